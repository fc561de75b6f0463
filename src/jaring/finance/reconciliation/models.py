"""Tables of the reconciliation with BPJS (registered with the finance app by finance.models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.finance.reconciliation.rules import Action, Cause, Kind, Problem


class StatementFormat(models.Model):
    """The columns of a BPJS branch's monthly statement (data, per branch, like the submission's
    ``enrolment.BranchFormat``): the headers it writes for each field Jaring reads."""

    office = models.OneToOneField(
        "accounts.OrgUnit", on_delete=models.CASCADE, related_name="bpjs_statement_format"
    )
    columns = models.JSONField(help_text=_("List of [header, field] pairs."))

    class Meta:
        app_label = "finance"
        verbose_name = _("BPJS statement format")

    def __str__(self) -> str:
        return f"{self.office}: {len(self.columns)} columns"


class StatementQuerySet(models.QuerySet):
    def refresh_ours_total(self) -> int:
        """Set each statement's ``ours_total`` to what Jaring bills its funder for its month
        now (``InvoiceLine.objects.owed_for``): called whenever lines are credited, so the
        figure never keeps a credited month (the import totals the same lines, summed per
        enrolment for the comparison). One sum per funder-month. Returns how many statements
        were updated."""
        from jaring.finance.models import InvoiceLine  # finance.models imports this module

        updated = 0
        for source, month in set(self.values_list("source_id", "month")):
            owed = InvoiceLine.objects.owed_for(source, month).aggregate(total=Sum("amount"))
            updated += self.filter(source=source, month=month).update(ours_total=owed["total"] or 0)
        return updated


class Statement(models.Model):
    """One imported BPJS bill / participant statement: a funder's month at the branch."""

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        "finance.FundingSource", on_delete=models.PROTECT, related_name="statements"
    )
    month = models.DateField(_("month"))
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(_("file"), max_length=255)
    file_path = models.CharField(max_length=500)
    rows = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    bpjs_total = models.PositiveBigIntegerField(_("BPJS total (Rp)"), default=0)
    ours_total = models.PositiveBigIntegerField(_("Jaring total (Rp)"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = StatementQuerySet.as_manager()

    class Meta:
        app_label = "finance"
        verbose_name = _("BPJS statement")
        ordering = ["-month", "-imported_at"]
        constraints = [
            # The same file for the same funder and month is one statement: a re-import finds it.
            models.UniqueConstraint(
                fields=["source", "month", "sha256"], name="statement_file_once"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="statement_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"BPJS {self.source_id} {self.month:%Y-%m} #{self.pk}"


class StatementLine(models.Model):
    """One row of a statement as read (the staging table the comparison runs on).

    A row that could not be read keeps its row number and ``problem``; nothing is dropped."""

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
    row_number = models.PositiveIntegerField()
    kpj = models.CharField(max_length=20, blank=True)  # as written when it is not 11 digits
    nik_index = models.CharField(max_length=64, blank=True)  # only for rows without a KPJ
    amount = models.BigIntegerField(null=True)
    active = models.BooleanField(null=True)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    enrolment = models.ForeignKey(
        "enrolment.Enrolment",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        app_label = "finance"
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "row_number"], name="statement_line_row_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.row_number} {self.kpj}"


class Difference(models.Model):
    """Something the statement and Jaring disagree on, its likely cause and what was decided."""

    scope_field = "statement__region__code"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="differences")
    kind = models.CharField(_("difference"), max_length=16, choices=Kind.choices)
    cause = models.CharField(_("likely cause"), max_length=20, choices=Cause.choices)
    line = models.ForeignKey(
        StatementLine, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    enrolment = models.ForeignKey(
        "enrolment.Enrolment", null=True, on_delete=models.PROTECT, related_name="+"
    )
    kpj = models.CharField(max_length=20, blank=True)
    bpjs_amount = models.BigIntegerField(null=True)
    ours_amount = models.BigIntegerField(null=True)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices, blank=True)
    note = models.CharField(_("why"), max_length=255, blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    acted_at = models.DateTimeField(null=True)
    credit_note = models.ForeignKey(
        "finance.CreditNote", null=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        app_label = "finance"
        verbose_name = _("reconciliation difference")
        constraints = [
            # A statement row gives at most one difference; so does a billed participant.
            models.UniqueConstraint(
                fields=["statement", "line"],
                condition=Q(line__isnull=False),
                name="difference_line_once",
            ),
            models.UniqueConstraint(
                fields=["statement", "enrolment"],
                condition=Q(line__isnull=True),
                name="difference_unlisted_once",
            ),
            models.CheckConstraint(
                condition=Q(action="") | (Q(acted_at__isnull=False) & ~Q(note="")),
                name="difference_action_has_who_when_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.kind} {self.kpj}"
