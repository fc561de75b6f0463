"""Reads about coverage: plans, selections with their explanation, enrolments, commitments."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import Http404

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.accounts.services import log_personal_access
from jaring.enrolment.models import CoveragePlan, Enrolment, PlanDrop, PlanSelection, Submission
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
    if selection.kind == PlanSelection.Kind.CONTINUED:
        return (
            f"Diperpanjang (KPJ tetap): {desil}; urutan ke-{selection.overall_rank} "
            f"di kabupaten."
        )
    return (
        f"Terpilih: {desil}; urutan ke-{selection.overall_rank} di kabupaten, "
        f"ke-{selection.district_rank} di kecamatan{within}."
    )


def plan_parts(plan: CoveragePlan) -> dict:
    """What a plan buys, part by part: continued, new, and who of the cohort is dropped (why)."""
    per_worker = plan.monthly_cost * plan.months
    counts = dict(plan.selections.values_list("kind").annotate(n=Count("id")))
    drops = dict(plan.drops.values_list("reason").annotate(n=Count("id")))
    parts = {
        kind: {
            "label": label,
            "workers": counts.get(kind, 0),
            "cost": counts.get(kind, 0) * per_worker,
        }
        for kind, label in PlanSelection.Kind.choices
    }
    return {
        **parts,
        "dropped": [
            {"reason": reason, "label": label, "workers": drops[reason]}
            for reason, label in PlanDrop.Reason.choices
            if reason in drops
        ],
        "dropped_total": sum(drops.values()),
    }


def plan_expectation(plan: CoveragePlan) -> program_rules.CohortExpectation:
    """Deaths the mortality table expects among the plan's selected workers over its months, and
    the JKM benefits they would bring to families, against the plan's cost. Age is the one
    reached in the fiscal year; one grouped count, not a row per worker."""
    cohort = (
        plan.selections.annotate(born=ExtractYear("worker__birth_date"))
        .values_list("born", "worker__sex")
        .annotate(n=Count("id"))
    )
    return program_rules.expected_in_cohort(
        default_rulebook(),
        [(plan.fiscal_year - born, sex, n) for born, sex, n in cohort],
        plan.months,
        plan.start_month,
        plan.cost,
    )


def enrolments_for(user):
    return scoped(
        Enrolment.objects.select_related("worker", "source"), user, Capability.VIEW_REGISTRY
    )


def may_exchange(user, region_code: str | None = None) -> bool:
    """Exchange files carry NIKs: enrolment staff who may see personal data, or BPJS officers."""
    enrol = scope_for(user, Capability.MANAGE_ENROLMENT)
    personal = scope_for(user, Capability.VIEW_PERSONAL_DATA)
    kpj = scope_for(user, Capability.RECORD_KPJ)
    if region_code is None:
        return not (enrol.is_empty or personal.is_empty) or not kpj.is_empty
    return (enrol.contains(region_code) and personal.contains(region_code)) or kpj.contains(
        region_code
    )


def submissions_for(user):
    return scoped(
        Submission.objects.select_related("region", "created_by"), user, Capability.VIEW_REGISTRY
    )


def submission_for(user, pk: int) -> Submission:
    """A submission for a user who may exchange files in its region (else a 404)."""
    submission = submissions_for(user).filter(pk=pk).first()
    if submission is None or not may_exchange(user, submission.region_id):
        raise Http404(pk)
    return submission


def submission_file_for(user, pk: int, request=None) -> Submission:
    """A submission whose file (one row per participant, with NIKs) is being handed out: logged."""
    submission = submission_for(user, pk)
    if not submission.file_path or not Path(submission.file_path).is_file():
        raise Http404(pk)  # purged after the retention period
    log_personal_access(
        user,
        PersonalDataAccess.Action.EXPORT,
        "bpjs_submission",
        submission.pk,
        submission.region_id,
        request=request,
    )
    return submission
