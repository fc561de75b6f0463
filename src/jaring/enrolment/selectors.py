"""Reads about coverage: plans, selections with their explanation, enrolments, commitments."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scoped
from jaring.enrolment.models import CoveragePlan, Enrolment, PlanSelection
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
