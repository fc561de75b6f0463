"""Reads about money, always region-scoped: the budget line, invoices, payments, paid-through."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.core.crypto import nik_index
from jaring.core.masking import mask_kpj
from jaring.enrolment.models import OPEN_STATUSES, Enrolment
from jaring.finance.models import (
    Allocation,
    FundingSource,
    Invoice,
    InvoiceLine,
    Lapse,
    Payment,
)
from jaring.finance.protection import lapse_start, paid_through, protected_on, protected_workers
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.registry.models import Worker


def sources_for(user):
    return scoped(FundingSource.objects.select_related("region"), user, Capability.VIEW_REPORTS)


def invoices_for(user):
    return scoped(Invoice.objects.select_related("source"), user, Capability.VIEW_REPORTS)


def invoice_for(user, pk: int) -> Invoice:
    invoice = invoices_for(user).filter(pk=pk).first()
    if invoice is None:
        raise Http404(pk)
    return invoice


def invoice_lines_export(user, invoice: Invoice, request=None) -> bool:
    """An invoice's participant rows are being handed out (registry rights in its region, else
    403): logged like every per-person export. True when the user may see full KPJ numbers."""
    region = invoice.source.region_id
    require(user, Capability.VIEW_REGISTRY, region)
    log_personal_access(
        user,
        PersonalDataAccess.Action.EXPORT,
        "invoice_lines",
        invoice.pk,
        region,
        request=request,
    )
    return scope_for(user, Capability.VIEW_PERSONAL_DATA).contains(region)


def paid_amount(invoice: Invoice) -> int:
    return invoice.payments.aggregate(total=Sum("amount"))["total"] or 0


@dataclass(frozen=True)
class BudgetMeasure:
    """One figure of the budget line: its field on ``BudgetLine``, its name and what it means
    (the tooltip), the same on every page and export."""

    field: str
    label: str
    explanation: str


# The budget line's figures, defined once: every page (budget, plan) and the Excel show these,
# in this order, with these names and explanations.
BUDGET_MEASURES = (
    BudgetMeasure(
        "allocation",
        _("Allocation"),
        _("The year's budget ceiling (pagu) of this funding source, from the DPA or APBD-P."),
    ),
    BudgetMeasure(
        "committed",
        _("Committed to year end"),
        _(
            "Months planned for the enrolled participants in this year times the monthly "
            "contribution at the lowest income bracket (the rules in force in January)."
        ),
    ),
    BudgetMeasure(
        "billed",
        _("Billed"),
        _("Contribution invoices made so far; each month priced by the rules in force then."),
    ),
    BudgetMeasure(
        "credited",
        _("Credited (months not owed)"),
        _(
            "Billed months that were not owed (death or exit before them), taken back by "
            "credit notes."
        ),
    ),
    BudgetMeasure(
        "paid",
        _("Paid to BPJS"),
        _("Payments recorded against the invoices (SP2D or transfer)."),
    ),
    BudgetMeasure(
        "remaining_to_commit",
        _("Remaining to commit"),
        _("Allocation minus committed: what new plans can still use (sisa pagu)."),
    ),
    BudgetMeasure(
        "remaining_to_pay",
        _("Remaining to pay"),
        _("Billed minus credited minus paid: invoices still owed to BPJS."),
    ),
)


@dataclass(frozen=True)
class BudgetLine:
    """One funding source's year: the figures of ``BUDGET_MEASURES`` and the participants."""

    source: FundingSource
    fiscal_year: int
    allocation: int
    committed: int
    billed: int
    paid: int
    covered_workers: int
    credited: int = 0  # billed for months not owed (death, exit), taken back by credit notes
    lapsed: int = 0  # participants of the source lapsed now for arrears (finance.Lapse)

    @property
    def remaining_to_commit(self) -> int:
        """Sisa pagu: what new plans can still use."""
        return self.allocation - self.committed

    @property
    def remaining_to_pay(self) -> int:
        """Billed, not credited, not yet paid."""
        return self.billed - self.credited - self.paid

    @property
    def billed_beyond_committed(self) -> int:
        """How much the net billing exceeds the commitment (0 if it does not): months priced
        above the lowest bracket, or a rate rule that changed after January."""
        return max(0, self.billed - self.credited - self.committed)

    @property
    def absorption_percent(self) -> Decimal | None:
        if not self.allocation:
            return None
        return (Decimal(100 * self.paid) / self.allocation).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    def figures(self) -> list[tuple[BudgetMeasure, int]]:
        return [(measure, getattr(self, measure.field)) for measure in BUDGET_MEASURES]


def budget_totals(lines: list[BudgetLine]) -> list[tuple[BudgetMeasure, int]]:
    """The sum of each figure over ``lines`` (the budget page's footer)."""
    return [
        (measure, sum(getattr(line, measure.field) for line in lines))
        for measure in BUDGET_MEASURES
    ]


def latest_allocated_year(user) -> int | None:
    """The latest fiscal year with an allocation the user may see (the budget page opens there)."""
    allocations = scoped(Allocation.objects.all(), user, Capability.VIEW_REPORTS)
    return allocations.aggregate(year=Max("fiscal_year"))["year"]


def budget_lines(user, fiscal_year: int, source: FundingSource | None = None) -> list[BudgetLine]:
    year_start, year_end = datetime.date(fiscal_year, 1, 1), datetime.date(fiscal_year, 12, 1)
    allocations = {
        a.source_id: a.amount
        for a in scoped(
            Allocation.objects.filter(fiscal_year=fiscal_year), user, Capability.VIEW_REPORTS
        )
    }
    # Only this user's sources are summed: a kabupaten's page never scans the nation's lines.
    in_scope = sources_for(user) if source is None else sources_for(user).filter(pk=source.pk)
    invoices = Invoice.objects.filter(
        source__in=in_scope.values("pk"), month__gte=year_start, month__lte=year_end
    )
    billed = dict(
        invoices.values("source_id").annotate(t=Sum("total")).values_list("source_id", "t")
    )
    paid = dict(
        Payment.objects.filter(invoice__in=invoices)
        .values("invoice__source_id")
        .annotate(t=Sum("amount"))
        .values_list("invoice__source_id", "t")
    )
    # Through the partial index of credited lines (few), not every line of the year.
    credited = dict(
        InvoiceLine.objects.filter(credit_note__isnull=False, invoice__in=invoices)
        .values("invoice__source_id")
        .annotate(t=Sum("amount"))
        .values_list("invoice__source_id", "t")
    )
    # Participants billed in the year: each enrolment is billed on its own source's invoices,
    # so an EXISTS per enrolment counts them without a DISTINCT over every line.
    covered = dict(
        Enrolment.objects.filter(source__in=in_scope.values("pk"))
        .filter(
            Exists(
                InvoiceLine.objects.filter(
                    enrolment_id=OuterRef("pk"), month__gte=year_start, month__lte=year_end
                )
            )
        )
        .values("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    )
    lapsed = dict(
        _lapses_in_year(fiscal_year)
        .values("enrolment__source_id")
        .annotate(n=Count("enrolment__worker_id", distinct=True))
        .values_list("enrolment__source_id", "n")
    )
    sources = in_scope.filter(Q(pk__in=allocations) | Q(pk__in=billed))
    lines = []
    for each in sources:
        lines.append(
            BudgetLine(
                source=each,
                fiscal_year=fiscal_year,
                allocation=allocations.get(each.pk, 0),
                committed=committed_cost(each, fiscal_year),
                billed=billed.get(each.pk, 0),
                paid=paid.get(each.pk, 0),
                covered_workers=covered.get(each.pk, 0),
                credited=credited.get(each.pk, 0),
                lapsed=lapsed.get(each.pk, 0),
            )
        )
    return lines


def _lapses_in_year(fiscal_year: int):
    """Lapsed now (``Lapse.objects.current()``), of enrolments covering part of the year."""
    return Lapse.objects.current().filter(
        enrolment__start_month__lte=datetime.date(fiscal_year, 12, 1),
        enrolment__end_month__gte=datetime.date(fiscal_year, 1, 1),
    )


def kpj_shown(user, region_code: str, kpj: str) -> str:
    """A KPJ as this user may see it: in full with the personal-data right in the region, else
    its last four digits (as on the invoice workbook)."""
    if scope_for(user, Capability.VIEW_PERSONAL_DATA).contains(region_code):
        return kpj
    return mask_kpj(kpj)


def lapsed_participants(user, fiscal_year: int, limit: int = 200, request=None) -> list[dict]:
    """The participants lapsed now (registry roles only, names masked, KPJ by ``kpj_shown``):
    KPJ, village, source, paid through, the first month without protection, found on. The read
    is logged per region like every list of participants."""
    book = default_rulebook()
    lapses = scoped(
        _lapses_in_year(fiscal_year).select_related(
            "enrolment__worker__village", "enrolment__source"
        ),
        user,
        Capability.VIEW_REGISTRY,
    ).order_by("enrolment__worker__village_id", "enrolment_id")[:limit]
    rows = [
        {
            "lapse": lapse,
            "worker": lapse.enrolment.worker,
            "kpj": kpj_shown(user, lapse.enrolment.source.region_id, lapse.enrolment.kpj_number),
            "since": lapse_start(lapse.enrolment, lapse.paid_through, book, lapse.lapsed_on),
        }
        for lapse in lapses
    ]
    for region_code in sorted({row["lapse"].enrolment.source.region_id for row in rows}):
        log_personal_access(
            user,
            PersonalDataAccess.Action.VIEW_LIST,
            "lapsed_participants",
            fiscal_year,
            region_code,
            request=request,
        )
    return rows


def committed_cost(source, fiscal_year: int) -> int:
    """Planned cost to year end of every enrolment of ``source`` that covers part of the year.

    Priced at the lowest bracket's rules in force in January (what Pemda budgets); billing prices
    each month by the rules in force that month.
    """
    first, last = datetime.date(fiscal_year, 1, 1), datetime.date(fiscal_year, 12, 1)
    params = program_rules.contribution_parameters(default_rulebook(), first, source.rule_funding)
    enrolments = Enrolment.objects.filter(
        source=source,
        start_month__lte=last,
        end_month__gte=first,
        status__in=[*OPEN_STATUSES, "ended"],
    )
    total = 0
    for row in enrolments.values("start_month", "end_month", "declared_income").annotate(
        n=Count("id")
    ):
        start, end = max(row["start_month"], first), min(row["end_month"], last)
        months = program_rules.months_between(start, end) + 1
        monthly = sum(
            params.amount(p, row["declared_income"], False)
            for p in program_rules.MANDATORY_PROGRAMS
        )
        total += months * monthly * row["n"]
    return total


def worker_coverage(worker, today: datetime.date) -> dict:
    """A worker's protection today (the one definition) and each enrolment with its paid-through."""
    enrolments = worker.enrolments.select_related("source").order_by("-start_month")
    return {
        "protection": protected_on(worker, today),
        "enrolments": [{"enrolment": e, "paid_through": paid_through(e)} for e in enrolments],
    }


@dataclass(frozen=True)
class CitizenAnswer:
    """All a citizen learns by checking their own coverage: protected on ``day`` or not, and
    until when. Not found, another birth date and not protected read the same."""

    day: datetime.date
    protected: bool
    until: datetime.date | None = None


def citizen_protection(nik: str, birth_date: datetime.date, day: datetime.date) -> CitizenAnswer:
    """Is the person with this NIK *and* this birth date protected on ``day``
    (``protection.protected_on``)? Public, so it reveals nothing else and takes the same path
    whether or not the NIK is registered: one statement of the same shape (the set form of
    the definition, by the blind index) answers "not protected" for an unknown NIK, a wrong
    birth date and an unprotected worker alike; only a protected person costs more reads,
    for the "until when" that the answer shows anyway."""
    candidates = Worker.objects.filter(nik_index=nik_index(nik), birth_date=birth_date)
    worker = protected_workers(candidates, day).order_by().first()
    if worker is None:
        return CitizenAnswer(day, False)
    protection = protected_on(worker, day)
    if not protection.protected:  # the two forms agree (tests/test_protection.py)
        return CitizenAnswer(day, False)
    return CitizenAnswer(day, True, protection.until)
