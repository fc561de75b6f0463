"""Reads about money, always region-scoped: the budget line, invoices, payments, paid-through."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require, scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.enrolment.models import OPEN_STATUSES, Enrolment
from jaring.finance.models import Allocation, FundingSource, Invoice, InvoiceLine, Payment
from jaring.finance.protection import paid_through, protected_on
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook


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
class BudgetLine:
    """The seed's sentence for one source and year: allocated, committed, billed, paid."""

    source: FundingSource
    fiscal_year: int
    allocation: int
    committed: int
    billed: int
    paid: int
    covered_workers: int
    credited: int = 0  # billed for months not owed (death, exit), taken back by credit notes

    @property
    def remaining(self) -> int:
        return self.allocation - self.paid

    @property
    def uncommitted(self) -> int:
        return self.allocation - self.committed

    @property
    def outstanding(self) -> int:
        return self.billed - self.credited - self.paid

    @property
    def absorption_percent(self) -> Decimal | None:
        if not self.allocation:
            return None
        return (Decimal(100 * self.paid) / self.allocation).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def budget_lines(user, fiscal_year: int) -> list[BudgetLine]:
    year_start, year_end = datetime.date(fiscal_year, 1, 1), datetime.date(fiscal_year, 12, 1)
    allocations = {
        a.source_id: a.amount
        for a in scoped(
            Allocation.objects.filter(fiscal_year=fiscal_year), user, Capability.VIEW_REPORTS
        )
    }
    invoices = Invoice.objects.filter(month__gte=year_start, month__lte=year_end)
    billed = dict(
        invoices.values("source_id").annotate(t=Sum("total")).values_list("source_id", "t")
    )
    paid = dict(
        Payment.objects.filter(invoice__in=invoices)
        .values("invoice__source_id")
        .annotate(t=Sum("amount"))
        .values_list("invoice__source_id", "t")
    )
    credited = dict(
        InvoiceLine.objects.filter(invoice__in=invoices, credit_note__isnull=False)
        .values("invoice__source_id")
        .annotate(t=Sum("amount"))
        .values_list("invoice__source_id", "t")
    )
    covered = dict(
        InvoiceLine.objects.filter(invoice__in=invoices)
        .values("invoice__source_id")
        .annotate(n=Count("enrolment_id", distinct=True))
        .values_list("invoice__source_id", "n")
    )
    lines = []
    for source in sources_for(user).filter(Q(pk__in=allocations) | Q(pk__in=billed)):
        lines.append(
            BudgetLine(
                source=source,
                fiscal_year=fiscal_year,
                allocation=allocations.get(source.pk, 0),
                committed=committed_cost(source, fiscal_year),
                billed=billed.get(source.pk, 0),
                paid=paid.get(source.pk, 0),
                covered_workers=covered.get(source.pk, 0),
                credited=credited.get(source.pk, 0),
            )
        )
    return lines


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
