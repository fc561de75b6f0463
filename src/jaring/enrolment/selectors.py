"""Reads about coverage: plans, selections with their explanation, enrolments, commitments."""

from __future__ import annotations

import datetime

from django.db.models import Count
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scoped
from jaring.enrolment.models import OPEN_STATUSES, CoveragePlan, Enrolment, PlanSelection
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Region


def plans_for(user):
    return scoped(
        CoveragePlan.objects.select_related("source", "region"), user, Capability.VIEW_REPORTS
    )


def plan_for(user, pk: int) -> CoveragePlan:
    plan = plans_for(user).filter(pk=pk).first()
    if plan is None:
        raise Http404(pk)
    return plan


def plan_by_district(plan: CoveragePlan) -> list[dict]:
    """Selected workers and cost per kecamatan, for the preview before committing."""
    rows = list(
        plan.selections.values("district_code").annotate(n=Count("id")).order_by("district_code")
    )
    names = Region.objects.in_bulk([r["district_code"] for r in rows])
    per_worker = plan.monthly_cost * plan.months
    return [
        {
            "code": r["district_code"],
            "name": names[r["district_code"]].name,
            "workers": r["n"],
            "cost": r["n"] * per_worker,
            "quota": plan.quotas.get(r["district_code"]),
        }
        for r in rows
    ]


def explain(selection: PlanSelection, plan: CoveragePlan) -> str:
    """Why this worker was selected, in the words an operator reads."""
    desil = f"desil {selection.desil}" if selection.desil else "desil belum diketahui"
    quota = plan.quotas.get(selection.district_code)
    within = f", kuota kecamatan {quota}" if quota else ""
    return (
        f"Terpilih: {desil}; urutan ke-{selection.overall_rank} di kabupaten, "
        f"ke-{selection.district_rank} di kecamatan{within}."
    )


def enrolments_for(user):
    return scoped(
        Enrolment.objects.select_related("worker", "source"), user, Capability.VIEW_REGISTRY
    )


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
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        monthly = sum(
            params.amount(p, row["declared_income"], False)
            for p in program_rules.MANDATORY_PROGRAMS
        )
        total += months * monthly * row["n"]
    return total


def coverage_of(worker, today: datetime.date) -> list[dict]:
    """Each enrolment of a worker with what has been paid and whether it protects today."""
    from jaring.finance.selectors import paid_through

    rows = []
    for enrolment in worker.enrolments.select_related("source").order_by("-start_month"):
        paid = paid_through(enrolment)
        protected = None
        if enrolment.status in {"active", "ended"} and paid:
            last = min(today, _month_end(enrolment.end_month))
            protected = program_rules.coverage_on(
                default_rulebook(), max(last, enrolment.start_month), enrolment.start_month, paid
            )
        rows.append({"enrolment": enrolment, "paid_through": paid, "coverage": protected})
    return rows


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )
