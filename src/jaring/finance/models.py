from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from jaring.core.params import FIRST_YEAR, LAST_YEAR


class FundingSource(models.Model):
    """Where the money for contributions comes from (sumber dana)."""

    class Kind(models.TextChoices):
        APBD_KABUPATEN = "apbd_kab", _("APBD kabupaten/kota")
        APBD_PROVINSI = "apbd_prov", _("APBD provinsi")
        APBDES = "apbdes", _("APBDes / Dana Desa")
        DBHCHT = "dbhcht", _("DBH Cukai Hasil Tembakau")
        DBH_SAWIT = "dbh_sawit", _("DBH Sawit")
        CSR = "csr", _("CSR")
        BAZNAS = "baznas", _("Baznas / zakat")
        OTHER = "other", _("Other")

    # How each kind counts for rate rules (PP 50/2025 excludes APBN/APBD-funded participants).
    RULE_FUNDING = {
        "apbd_kab": "apbd",
        "apbd_prov": "apbd",
        "dbhcht": "apbd",
        "dbh_sawit": "apbd",
        "apbdes": "apbdes",
        "csr": "csr",
        "baznas": "baznas",
        "other": "other",
    }

    scope_field = "region__code"

    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="source_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def rule_funding(self) -> str:
        return self.RULE_FUNDING[self.kind]


class Allocation(models.Model):
    """A fiscal year's budget ceiling for one funding source (pagu anggaran)."""

    scope_field = "source__region__code"

    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="allocations")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    amount = models.PositiveBigIntegerField(_("allocation (Rp)"))
    budget_document = models.CharField(
        _("budget document"),
        max_length=120,
        blank=True,
        help_text=_("e.g. DPA number or APBD-P decree"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.UniqueConstraint(fields=["source", "fiscal_year"], name="allocation_per_year"),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=FIRST_YEAR, fiscal_year__lte=LAST_YEAR),
                name="allocation_year_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.fiscal_year}: {self.amount}"


class PaymentState(models.TextChoices):
    """How far an invoice is paid: what the invoice list and page say of it."""

    PAID = "paid", pgettext_lazy("invoice", "Paid")
    PARTLY_PAID = "partly_paid", pgettext_lazy("invoice", "Partly paid")
    UNPAID = "unpaid", pgettext_lazy("invoice", "Unpaid")


def payment_state(total: int, paid: int) -> PaymentState:
    if paid <= 0:
        return PaymentState.UNPAID
    return PaymentState.PAID if paid >= total else PaymentState.PARTLY_PAID


class InvoiceQuerySet(models.QuerySet):
    def with_paid(self) -> InvoiceQuerySet:
        """Each invoice with ``paid``, the sum of its payments, in the same query (no N+1)."""
        paid = (
            Payment.objects.filter(invoice=OuterRef("pk"))
            .values("invoice")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.select_related("source").annotate(paid=Coalesce(Subquery(paid), 0))


class Invoice(models.Model):
    """The contribution bill of one funding source for one month (tagihan iuran)."""

    scope_field = "source__region__code"

    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="invoices")
    month = models.DateField(_("month"))
    number = models.CharField(_("number"), max_length=60, unique=True)
    total = models.PositiveBigIntegerField(_("total (Rp)"), default=0)
    line_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-month", "source_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "month"], name="invoice_per_source_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="invoice_month_first_day"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def payment_state(self) -> PaymentState:
        """Paid, partly paid or unpaid; needs ``paid`` (``Invoice.objects.with_paid()``)."""
        return payment_state(self.total, self.paid)


class InvoiceLineQuerySet(models.QuerySet):
    def program_totals(self) -> dict[str, int]:
        """The sum of each programme's contributions over these lines, in BPJS's order."""
        totals = self.aggregate(
            **{program: Sum(column) for program, column in InvoiceLine.PROGRAM_AMOUNTS.items()}
        )
        return {program: total or 0 for program, total in totals.items()}

    def owed_for(self, source, month) -> InvoiceLineQuerySet:
        """What Jaring bills ``source`` for ``month`` now: the lines of that funder-month's
        invoice (there is one at most: ``invoice_per_source_month``) that no credit note took
        back. The one definition of that bill: the reconciliation compares a BPJS statement
        with it per enrolment, and a statement's ``ours_total`` is its sum.

        The invoice is looked up first (one query) and its lines filtered by its id, which
        PostgreSQL's statistics place in one month's partition; joined to the invoice, the
        lines of every month were read to find them."""
        invoice = (
            Invoice.objects.filter(source=source, month=month).values_list("pk", flat=True).first()
        )
        return self.filter(invoice=invoice, credit_note__isnull=True)


class InvoiceLine(models.Model):
    """One participant's contributions for one month: every programme of the month on one row,
    as BPJS credits a month only when all of it is paid (the participant-month)."""

    # Both foreign keys lead an index below, so neither needs its own.
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    enrolment = models.ForeignKey(
        "enrolment.Enrolment",
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        db_index=False,
    )
    # The participant (the enrolment's worker, which never changes), so that the database can
    # refuse a second funder for the same participant-month (``line_one_funder_per_month``).
    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField()
    # The contribution to each programme (iuran JKK, JKM and, when taken, JHT) and their sum.
    jkk_amount = models.PositiveBigIntegerField(_("JKK contribution"))
    jkm_amount = models.PositiveBigIntegerField(_("JKM contribution"))
    jht_amount = models.PositiveBigIntegerField(_("JHT contribution"), default=0)
    amount = models.PositiveBigIntegerField()
    # Set when the month turned out not to be owed (the enrolment ended or was cancelled
    # before it): the line stays as billed, and the credit note takes it back.
    credit_note = models.ForeignKey(
        "finance.CreditNote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
    )
    # Which payment paid this participant-month is not stamped here: a payment records the
    # prefix of its invoice's participant-months that it paid (finance.allocation.payer_sql).

    objects = InvoiceLineQuerySet.as_manager()

    # The programme of each amount column, in the order BPJS lists them.
    PROGRAM_AMOUNTS = {"JKK": "jkk_amount", "JKM": "jkm_amount", "JHT": "jht_amount"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "month"], name="invoice_line_once"),
            # One funder at a time: a participant-month is owed by one funding source only (a
            # line taken back by a credit note no longer counts, so the next funder may bill it).
            models.UniqueConstraint(
                fields=["worker", "month"],
                condition=Q(credit_note__isnull=True),
                name="line_one_funder_per_month",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("jkk_amount") + F("jkm_amount") + F("jht_amount")),
                name="line_amount_is_sum",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice"], name="line_invoice_idx"),
            # Credited lines are few: the budget line sums them without reading every line.
            models.Index(
                fields=["invoice"],
                condition=Q(credit_note__isnull=False),
                name="line_credited_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.month:%Y-%m} {self.amount}"


class BillingChange(models.Model):
    """One entry of the billing change journal: something happened that may change what
    ``source`` would be billed for the months ``first_month``..``last_month`` (an enrolment
    of it was written, a line of one of its participants was credited). Written by database
    triggers (migration ``finance 0010``), so that no writer — the ORM, a bulk statement, a
    hand-written UPDATE — can change an enrolment without it; read and pruned by
    ``finance.changes``.

    Kept small by pruning (``finance.changes.prune``)."""

    # An id, not a foreign key: a log row names the source it concerned; pruning removes it.
    source_id = models.BigIntegerField()
    first_month = models.DateField()
    last_month = models.DateField()
    recorded_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(first_month__lte=F("last_month")), name="billing_change_months"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.first_month:%Y-%m}..{self.last_month:%Y-%m} #{self.pk}"


class BillingCheckpoint(models.Model):
    """A funder-month billed completely: every covered enrolment of ``source`` had its
    ``month`` billed or owed by another funder as of journal position ``position`` (the
    highest ``BillingChange`` id whose change the billing saw). A re-run with no journal entry
    for the funder-month above it bills nothing and reports ``skipped_other_funder`` again
    without counting (``finance.changes``)."""

    # Looked up through billing_checkpoint_once, which leads with the source.
    source = models.ForeignKey(
        FundingSource, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField()
    position = models.BigIntegerField()
    skipped_other_funder = models.PositiveIntegerField(default=0)
    billed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "month"], name="billing_checkpoint_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="billing_checkpoint_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.month:%Y-%m} @{self.position}"


class Payment(models.Model):
    """Money paid to BPJS against an invoice: who recorded it, when, and the bank reference."""

    scope_field = "invoice__source__region__code"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("paid on"))
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    reference = models.CharField(_("reference (SP2D / transfer)"), max_length=80)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # What it paid (finance.allocation): the invoice's participant-months in enrolment order up
    # to this enrolment id, among the lines up to this line id, that no earlier payment paid.
    # NULL: the money did not reach a whole participant-month (it waits for the next payment).
    paid_through_enrolment = models.BigIntegerField(null=True, blank=True, editable=False)
    paid_through_line = models.BigIntegerField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.UniqueConstraint(fields=["invoice", "reference"], name="payment_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class CreditNote(models.Model):
    """Contributions billed for months that were not owed (the participant died or left before
    them), taken back against the funding source (nota kredit)."""

    scope_field = "source__region__code"

    source = models.ForeignKey(FundingSource, on_delete=models.PROTECT, related_name="credits")
    enrolment = models.ForeignKey(
        "enrolment.Enrolment", on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.CharField(_("reason"), max_length=255)
    total = models.PositiveBigIntegerField(_("total (Rp)"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="credit_positive")]

    def __str__(self) -> str:
        return f"NK/{self.source_id}/{self.pk}: {self.total}"


class LapseQuerySet(models.QuerySet):
    def current(self) -> LapseQuerySet:
        """Lapsed now: not reactivated, and the enrolment still active (``lapsed_sql``'s rule)."""
        return self.filter(reactivated_on__isnull=True, enrolment__status="active")


def lapsed_sql(worker_id: str) -> str:
    """``EXISTS (…)``: the worker in column ``worker_id`` is lapsed now — the set form of
    ``Lapse.objects.current()`` for summaries (no parameters)."""
    quote = connection.ops.quote_name
    lapses = quote(Lapse._meta.db_table)
    enrolments = quote(Lapse._meta.get_field("enrolment").related_model._meta.db_table)
    return (
        f"EXISTS (SELECT 1 FROM {lapses} ll JOIN {enrolments} le ON le.id = ll.enrolment_id "  # noqa: S608  # nosec B608
        f"WHERE le.worker_id = {worker_id} AND ll.reactivated_on IS NULL "
        f"AND le.status = 'active')"
    )


class Lapse(models.Model):
    """A participant whose membership went inactive for unpaid contributions (nonaktif karena
    menunggak), from the month after the months the arrears rule tolerates, until the arrears
    are paid within the reactivation window (``reactivated_on``).

    A dated state, not an enrolment status: the enrolment stays the funder's commitment with
    its KPJ and its months, and whether the participant is protected on a day is still
    answered by ``finance.protection.protected_on`` alone; the monthly lapse run
    (``services.mark_lapses``) records when that answer turned to "inactive for arrears" and
    when paid arrears turned it back.
    """

    scope_field = "enrolment__worker__village__code"

    enrolment = models.ForeignKey(
        "enrolment.Enrolment", on_delete=models.PROTECT, related_name="lapses"
    )
    # Paid through this month when the lapse was found (None: nothing paid); the arrears start
    # the month after (``finance.protection.paid_through``).
    paid_through = models.DateField(_("paid through"), null=True, blank=True)
    lapsed_on = models.DateField(_("lapsed on (found by the monthly run)"))
    reactivated_on = models.DateField(_("reactivated on"), null=True, blank=True)
    history = HistoricalRecords(no_db_index=["enrolment"])

    objects = LapseQuerySet.as_manager()

    class Meta:
        verbose_name = _("lapse")
        verbose_name_plural = _("lapses")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(reactivated_on__isnull=True),
                name="lapse_one_open_per_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(reactivated_on__isnull=True) | Q(reactivated_on__gte=F("lapsed_on")),
                name="lapse_reactivated_after",
            ),
            models.CheckConstraint(
                condition=Q(paid_through__isnull=True) | Q(paid_through__day=1),
                name="lapse_month_first_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} nonaktif {self.lapsed_on}"


from jaring.finance.reconciliation.models import (  # noqa: E402, F401  (registered here)
    Difference,
    Statement,
    StatementFormat,
    StatementLine,
)
