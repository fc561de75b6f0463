from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaring.core.fields import NikFreeCharField
from jaring.programs.rules import months_between


class CoveragePlan(models.Model):
    """Who a funding source can cover for the rest of a fiscal year, chosen by a stated rule."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMMITTED = "committed", _("Committed")
        CANCELLED = "cancelled", _("Cancelled")

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    source = models.ForeignKey(
        "finance.FundingSource", on_delete=models.PROTECT, related_name="plans"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    start_month = models.DateField(_("first covered month"))
    end_month = models.DateField(_("last covered month"))
    monthly_cost = models.PositiveIntegerField(_("contribution per worker-month"))
    budget_available = models.BigIntegerField(_("budget available"))
    capacity = models.PositiveIntegerField(_("workers the budget covers"))
    quotas = models.JSONField(_("quota per district"), default=dict, blank=True)
    selected = models.PositiveIntegerField(_("selected"), default=0)
    cost = models.PositiveBigIntegerField(_("cost to year end"), default=0)
    rule_refs = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("coverage plan")
        verbose_name_plural = _("coverage plans")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_month__lte=F("end_month")), name="plan_months_ordered"
            ),
            models.CheckConstraint(
                condition=Q(cost__lte=F("budget_available")) | Q(selected=0),
                name="plan_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.fiscal_year} #{self.pk}"

    @property
    def months(self) -> int:
        return months_between(self.start_month, self.end_month) + 1


class PlanSelection(models.Model):
    """A worker a plan selected, and where it stood in the priority order (its explanation).

    A renewal plan first continues the current cohort (``CONTINUED``: same KPJ, unbroken
    membership), then fills what is left of the budget with newcomers (``NEW``)."""

    class Kind(models.TextChoices):
        CONTINUED = "continued", _("Continued")
        NEW = "new", _("New")

    # Looked up through selection_once and selection_district_idx, which lead with the plan.
    plan = models.ForeignKey(
        CoveragePlan, on_delete=models.CASCADE, related_name="selections", db_index=False
    )
    worker = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NEW)
    # For a continued participant: the enrolment it continues (its KPJ carries over).
    previous = models.ForeignKey(
        "enrolment.Enrolment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    district_code = models.CharField(max_length=8)
    desil = models.PositiveSmallIntegerField(null=True)
    overall_rank = models.PositiveIntegerField()
    district_rank = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "worker"], name="selection_once"),
            models.CheckConstraint(
                condition=Q(kind="new", previous__isnull=True)
                | Q(kind="continued", previous__isnull=False),
                name="selection_continued_has_previous",
            ),
        ]
        indexes = [models.Index(fields=["plan", "district_code"], name="selection_district_idx")]

    def __str__(self) -> str:
        return f"plan {self.plan_id}: worker {self.worker_id} #{self.overall_rank}"


class PlanDrop(models.Model):
    """A worker a plan does not take, and why: a participant of the current cohort a renewal
    does not continue, or a worker another funding source already covers in the plan's months."""

    class Reason(models.TextChoices):
        DECEASED = "deceased", _("Died")
        MOVED = "moved", _("Moved out of the region")
        MERGED = "merged", _("Duplicate record (merged)")
        AGE = "age", _("Past the age limit")
        BUDGET = "budget", _("Beyond the budget")
        # Lapsed for arrears (finance.Lapse open): BPJS would put the new year's contributions
        # on the oldest unpaid months first, so continuing would pay old arrears, not the year.
        LAPSED = "lapsed", _("Lapsed: contributions in arrears")
        # Not a cohort member: a newcomer another funding source already covers in the plan's
        # months (one funder per participant-month).
        OTHER_FUNDER = "funded", _("Covered by another funder")

    plan = models.ForeignKey(CoveragePlan, on_delete=models.CASCADE, related_name="drops")
    worker = models.ForeignKey("registry.Worker", on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey("enrolment.Enrolment", on_delete=models.CASCADE, related_name="+")
    district_code = models.CharField(max_length=8)
    reason = models.CharField(max_length=10, choices=Reason.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "worker"], name="drop_once")]

    def __str__(self) -> str:
        return f"plan {self.plan_id}: worker {self.worker_id} dropped ({self.reason})"


OPEN_STATUSES = ("planned", "submitted", "active")


class Enrolment(models.Model):
    """A worker's BPJS Ketenagakerjaan BPU coverage paid by one funding source for a period."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SUBMITTED = "submitted", _("Submitted to BPJS")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        # Ended before its first month (a death before coverage began): never billed.
        CANCELLED = "cancelled", _("Cancelled before it began")

    class EndReason(models.TextChoices):
        DEATH = "death", _("Death")
        MOVED = "moved", _("Moved away")
        BUDGET_END = "budget_end", _("End of budget period")
        DUPLICATE = "duplicate", _("Duplicate")
        # Lapsed for arrears and not reactivated within the window (finance.services.mark_lapses).
        LAPSED = "lapsed", _("Membership lapsed (arrears not paid in time)")

    scope_field = "worker__village__code"

    worker = models.ForeignKey(
        "registry.Worker", on_delete=models.PROTECT, related_name="enrolments"
    )
    # Looked up through enrolment_billing_idx, which leads with the source: a second index
    # would only be one more write for every enrolment a plan or a renewal creates.
    source = models.ForeignKey(
        "finance.FundingSource",
        on_delete=models.PROTECT,
        related_name="enrolments",
        db_index=False,
    )
    plan = models.ForeignKey(
        CoveragePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    start_month = models.DateField(_("first covered month"))
    end_month = models.DateField(_("last covered month"))
    declared_income = models.PositiveBigIntegerField(_("declared income"))
    programs = models.CharField(_("programmes"), max_length=20, default="JKK,JKM")
    kpj_number = models.CharField(_("KPJ number"), max_length=11, blank=True)
    submission = models.ForeignKey(
        "enrolment.Submission",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
        db_index=False,  # enrolment_submission_idx: only the rows sent to BPJS
    )
    bpjs_note = NikFreeCharField(_("BPJS note"), max_length=255, blank=True)  # BPJS's free text
    end_reason = models.CharField(
        _("end reason"), max_length=12, choices=EndReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(no_db_index=["worker", "source", "plan", "submission"])

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [
            models.Index(fields=["source", "status", "start_month"], name="enrolment_billing_idx"),
            models.Index(
                fields=["submission"],
                name="enrolment_submission_idx",
                condition=Q(submission__isnull=False),
            ),
        ]
        constraints = [
            # One funding source at a time: at most one open enrolment per worker.
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(status__in=OPEN_STATUSES),
                name="enrolment_one_open_per_worker",
            ),
            models.CheckConstraint(
                condition=Q(start_month__lte=F("end_month")), name="enrolment_months_ordered"
            ),
            models.CheckConstraint(
                condition=Q(start_month__day=1) & Q(end_month__day=1), name="enrolment_whole_months"
            ),
            models.CheckConstraint(
                condition=Q(kpj_number="") | Q(kpj_number__regex=r"^[0-9]{11}$"),
                name="enrolment_kpj_format",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | ~Q(kpj_number=""), name="enrolment_active_has_kpj"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["ended", "cancelled"], end_reason__gt="")
                | (~Q(status__in=["ended", "cancelled"]) & Q(end_reason="")),
                name="enrolment_end_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.source_id} {self.start_month:%Y-%m}..{self.end_month:%Y-%m}"


class BranchFormat(models.Model):
    """The columns a BPJS branch wants in its submission spreadsheet, and the headers its reply
    uses (data, per branch, edited by the region's administrator)."""

    FIELDS = {
        "nik": _("NIK"),
        "full_name": _("full name"),
        "birth_date": _("birth date"),
        "birth_place": _("place of birth"),
        "sex": _("sex"),
        "address": _("address"),
        "village": _("village"),
        "district": _("district"),
        "occupation": _("occupation"),
        "declared_income": _("declared income"),
        "programs": _("programmes"),
        "start_month": _("start month"),
        "phone": _("phone"),
    }
    # What Jaring reads from a reply; the branch's own header names add to the usual spellings.
    REPLY_FIELDS = {
        "nik": _("NIK"),
        "kpj": _("KPJ number"),
        "status": _("status"),
        "reason": _("reason"),
    }

    # What Jaring reads from the branch's claim report / benefit payment report (claims applies
    # it); one amount field per benefit component BPJS computes.
    CLAIM_REPORT_FIELDS = {
        "bpjs_number": _("BPJS claim number"),
        "kpj": _("KPJ number"),
        "event_date": _("event date"),
        "received_on": _("receipt date"),
        "status": _("status"),
        "decided_on": _("decision date"),
        "reason": _("reason"),
        "amount_lump_sum": _("lump-sum benefit"),
        "amount_periodic": _("periodic benefit"),
        "amount_funeral": _("funeral cost"),
        "amount_death_compensation": _("death compensation"),
        "amount_disability": _("disability compensation"),
        "amount_temporary_incapacity": _("temporary incapacity benefit"),
        "paid_on": _("payment date"),
        "paid_amount": _("amount paid"),
        "reference": _("transfer reference"),
        "bank": _("bank"),
        "account_number": _("account number"),
        "account_holder": _("account holder"),
    }

    scope_field = "office__region__code"

    office = models.OneToOneField(
        "accounts.OrgUnit",
        on_delete=models.CASCADE,
        related_name="bpjs_format",
        verbose_name=_("BPJS office"),
    )
    columns = models.JSONField(
        _("submission columns"), help_text=_("List of [header, field] pairs, in order.")
    )
    reply_columns = models.JSONField(
        _("reply headers"),
        default=list,
        blank=True,
        help_text=_("List of [header, field] pairs the branch's reply uses."),
    )
    claim_report_columns = models.JSONField(
        _("claim report headers"),
        default=list,
        blank=True,
        help_text=_("List of [header, field] pairs the branch's claim report uses."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("BPJS branch file layout")
        verbose_name_plural = _("BPJS branch file layouts")

    def __str__(self) -> str:
        return f"{self.office}: {len(self.columns)} columns"

    def clean(self) -> None:
        errors = {}
        problem = layout_problem(self.columns, self.FIELDS, required="nik")
        if problem:
            errors["columns"] = problem
        problem = layout_problem(self.reply_columns or [], self.REPLY_FIELDS, required=None)
        if problem:
            errors["reply_columns"] = problem
        problem = layout_problem(
            self.claim_report_columns or [], self.CLAIM_REPORT_FIELDS, required=None
        )
        if problem:
            errors["claim_report_columns"] = problem
        if self.office_id and self.office.kind != "bpjs":
            errors["office"] = _("A file layout belongs to a BPJS office.")
        if errors:
            raise ValidationError(errors)


def layout_problem(pairs, fields: dict, required: str | None):
    """Why ``pairs`` is not a valid list of [header, field] pairs over ``fields``, or None."""
    if not isinstance(pairs, list) or not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in pairs
    ):
        return _("Write one column per line as HEADER = field.")
    headers = [h.strip() for h, _f in pairs]
    if any(not h for h in headers):
        return _("Every column needs a header.")
    if len({h.casefold() for h in headers}) != len(headers):
        return _("A header appears twice.")
    unknown = sorted({f for _h, f in pairs if f not in fields})
    if unknown:
        return _("Unknown field: %(fields)s. Known: %(known)s.") % {
            "fields": ", ".join(unknown),
            "known": ", ".join(fields),
        }
    if required and required not in {f for _h, f in pairs}:
        return _("The layout needs the field %(field)s.") % {"field": required}
    return None


DEFAULT_BRANCH_COLUMNS = [
    ["NIK", "nik"],
    ["NAMA LENGKAP", "full_name"],
    ["TEMPAT LAHIR", "birth_place"],
    ["TANGGAL LAHIR", "birth_date"],
    ["JENIS KELAMIN", "sex"],
    ["ALAMAT", "address"],
    ["DESA/KELURAHAN", "village"],
    ["KECAMATAN", "district"],
    ["PEKERJAAN", "occupation"],
    ["PENGHASILAN", "declared_income"],
    ["PROGRAM", "programs"],
    ["MULAI KEPESERTAAN", "start_month"],
    ["NO HP", "phone"],
]


class Submission(models.Model):
    """A file of planned enrolments sent to the BPJS branch, and what came back."""

    scope_field = "region__code"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_path = models.CharField(max_length=500)
    rows = models.PositiveIntegerField(default=0)
    reply_file = models.CharField(max_length=500, blank=True)
    matched = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Pengajuan #{self.pk} ({self.rows})"
