"""Renewal: a new fiscal year continues the current cohort (same KPJ, unbroken membership),
drops who cannot continue with the reason, and fills what is left of the budget with newcomers."""

import datetime

import pytest
from django.core.management import call_command

from jaring.enrolment.models import Enrolment, PlanDrop, PlanSelection
from jaring.enrolment.selectors import plan_parts
from jaring.finance import planning
from jaring.finance import services as finance_services
from jaring.finance.protection import membership_start, protected_on
from jaring.registry.models import Worker
from tests.test_enrolment_finance import apbd, enrol_and_activate, finance_officer, registry

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date
PER_MONTH = 16_800


@pytest.fixture
def cohort_2025(apbd, finance_officer, tmp_path):  # noqa: F811
    """100 participants active April–December 2025 with KPJ numbers."""
    enrol_and_activate(apbd, finance_officer, tmp_path)
    assert Enrolment.objects.filter(status="active").count() == 100
    return apbd


def renew(source, user, year, workers, today):
    finance_services.allocate(source, year, workers * 12 * PER_MONTH, user, f"DPA {year}")
    plan = planning.plan_coverage(
        source.region, source, year, user, start_month=D(year, 1, 1), today=today
    )
    return plan


def test_three_years_keep_the_kpj_and_the_membership(cohort_2025, finance_officer):  # noqa: F811
    source = cohort_2025
    first = Enrolment.objects.order_by("pk").first()
    kpj = first.kpj_number
    died, moved = Enrolment.objects.order_by("pk")[1:3]
    Worker.objects.filter(pk=died.worker_id).update(status="deceased", date_of_death=D(2025, 10, 2))
    Worker.objects.filter(pk=moved.worker_id).update(status="moved")

    plan = renew(source, finance_officer, 2026, 110, today=D(2025, 11, 20))
    parts = plan_parts(plan)
    drops = dict(plan.drops.values_list("worker_id", "reason"))
    assert drops[died.worker_id] == PlanDrop.Reason.DECEASED
    assert drops[moved.worker_id] == PlanDrop.Reason.MOVED
    assert parts["continued"]["workers"] + parts["dropped_total"] == 100
    assert parts["continued"]["workers"] + parts["new"]["workers"] == plan.selected <= 110
    assert parts["new"]["workers"] > 0  # the rest of the budget buys newcomers
    assert parts["continued"]["cost"] == parts["continued"]["workers"] * 12 * PER_MONTH
    continued = PlanSelection.objects.get(plan=plan, worker_id=first.worker_id)
    assert continued.kind == "continued" and continued.previous_id == first.pk

    planning.commit_plan(plan, finance_officer)
    first.refresh_from_db()
    assert (first.status, first.end_reason, first.end_month) == (
        "ended",
        "budget_end",
        D(2025, 12, 1),
    )
    following = Enrolment.objects.get(worker_id=first.worker_id, plan=plan)
    assert (following.status, following.kpj_number) == ("active", kpj)
    assert (following.start_month, following.end_month) == (D(2026, 1, 1), D(2026, 12, 1))
    newcomers = Enrolment.objects.filter(plan=plan, status="planned")
    assert newcomers.count() == parts["new"]["workers"]  # newcomers go to BPJS first
    assert not Enrolment.objects.filter(plan=plan, worker_id=died.worker_id).exists()

    plan_2027 = renew(source, finance_officer, 2027, 200, today=D(2026, 11, 20))
    planning.commit_plan(plan_2027, finance_officer)
    third = Enrolment.objects.get(worker_id=first.worker_id, plan=plan_2027)
    assert third.kpj_number == kpj and third.start_month == D(2027, 1, 1)
    # The membership runs unbroken from April 2025 (for the 36-month scholarship rule).
    assert membership_start(third) == D(2025, 4, 1)
    # The 2026 newcomers (no KPJ yet, never active) are not a cohort to continue.
    assert not PlanSelection.objects.filter(
        plan=plan_2027, kind="continued", worker__in=newcomers.values("worker")
    ).exists()


def test_a_smaller_budget_continues_the_poorest_and_drops_the_rest(cohort_2025, finance_officer):  # noqa: F811
    plan = renew(cohort_2025, finance_officer, 2026, 60, today=D(2025, 11, 20))
    parts = plan_parts(plan)
    assert (parts["continued"]["workers"], parts["new"]["workers"]) == (60, 0)
    assert {d["reason"]: d["workers"] for d in parts["dropped"]} == {"budget": 40}
    kept = PlanSelection.objects.filter(plan=plan).values_list("desil", flat=True)
    dropped = PlanDrop.objects.filter(plan=plan).values_list("worker__desil", flat=True)
    known = [d for d in dropped if d is not None]
    assert not known or max(d for d in kept if d is not None) <= min(known)


def test_a_continued_participant_stays_protected_across_new_year(
    cohort_2025,
    finance_officer,  # noqa: F811
):
    from jaring.finance.models import Invoice

    region = cohort_2025.region
    for month in range(4, 13):
        finance_services.bill_month(region, D(2025, month, 1), finance_officer)
    plan = renew(cohort_2025, finance_officer, 2026, 100, today=D(2025, 11, 20))
    planning.commit_plan(plan, finance_officer)
    finance_services.bill_month(region, D(2026, 1, 1), finance_officer)
    for invoice in Invoice.objects.order_by("month"):
        finance_services.record_payment(
            invoice,
            invoice.total,
            invoice.month.replace(day=5),
            f"SP2D/{invoice.month}",
            finance_officer,
        )
    worker = Enrolment.objects.filter(plan=plan).first().worker
    answer = protected_on(worker, D(2026, 1, 20))
    assert answer.protected and answer.enrolment.plan_id == plan.pk
    assert answer.membership_start == D(2025, 4, 1)


def test_the_command_line_says_continued_dropped_and_new(cohort_2025, finance_officer, capsys):  # noqa: F811
    import json

    finance_services.allocate(cohort_2025, 2026, 120 * 12 * PER_MONTH, finance_officer, "DPA")
    call_command(
        "plan_coverage",
        "--region",
        "14.03",
        "--year",
        "2026",
        "--source",
        cohort_2025.name,
        "--start",
        "2026-01",
        "--json",
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["parts"]["continued"] == 100 and summary["parts"]["new"] == 20


def test_an_open_lapse_is_dropped_with_its_reason_until_the_arrears_are_paid(
    cohort_2025,
    finance_officer,  # noqa: F811
):
    """A participant lapsed for arrears is not continued: BPJS would credit the new year's
    contributions to the oldest unpaid months, so the year would be paid for nobody. The plan
    names the reason; once the arrears are paid (reactivated) a new plan continues it."""
    from jaring.finance.models import Lapse

    lapsed, reactivated = Enrolment.objects.order_by("pk")[:2]
    lapse = Lapse.objects.create(
        enrolment=lapsed, paid_through=D(2025, 6, 1), lapsed_on=D(2025, 10, 1)
    )
    Lapse.objects.create(
        enrolment=reactivated,
        paid_through=D(2025, 6, 1),
        lapsed_on=D(2025, 10, 1),
        reactivated_on=D(2025, 11, 2),
    )
    plan = renew(cohort_2025, finance_officer, 2026, 100, today=D(2025, 11, 20))
    drops = dict(plan.drops.values_list("worker_id", "reason"))
    assert drops == {lapsed.worker_id: PlanDrop.Reason.LAPSED}
    assert PlanSelection.objects.filter(
        plan=plan, worker_id=reactivated.worker_id, kind="continued"
    ).exists()
    parts = plan_parts(plan)
    assert {d["reason"]: d["workers"] for d in parts["dropped"]} == {"lapsed": 1}
    assert str(PlanDrop.Reason.LAPSED.label) == "Nonaktif: iuran menunggak"  # the Indonesian label

    planning.commit_plan(plan, finance_officer)
    assert not Enrolment.objects.filter(plan=plan, worker_id=lapsed.worker_id).exists()
    Lapse.objects.filter(pk=lapse.pk).update(reactivated_on=D(2025, 12, 3))  # arrears paid
    # The lapsed participant's place went to a newcomer: the revised budget adds one place.
    finance_services.allocate(cohort_2025, 2026, 101 * 12 * PER_MONTH, finance_officer, "DPA-P")
    later = planning.plan_coverage(
        cohort_2025.region,
        cohort_2025,
        2026,
        finance_officer,
        start_month=D(2026, 1, 1),
        today=D(2025, 12, 10),
    )
    # The 99 continued already are not a cohort to continue twice: only the reactivated one.
    assert list(later.selections.values_list("worker_id", "kind")) == [
        (lapsed.worker_id, "continued")
    ]
    assert not later.drops.exists()


def test_who_left_during_the_year_is_dropped_with_the_reason(cohort_2025, finance_officer):  # noqa: F811
    """An enrolment ended early in the year is still part of the cohort the next year's plan
    explains: a death (reported through the claims service, which ends the enrolment at the
    month of death) is dropped as "Meninggal dunia", a move away and a merge with their reasons;
    none of them continues, and a worker enrolled again after an early end is a cohort member
    once. A lapse past its window that leaves the worker living in the region is
    no drop: the worker may be enrolled again as a newcomer."""
    from jaring.accounts.rules import Capability
    from jaring.claims.services.reporting import mark_deceased
    from jaring.enrolment.services import end_enrolment

    died, moved, merged, lapsed, again = Enrolment.objects.order_by("pk")[:5]
    mark_deceased(died.worker, D(2025, 10, 2), None, "Laporan kematian")
    end_enrolment(moved, Enrolment.EndReason.MOVED, D(2025, 8, 1), None)
    Worker.objects.filter(pk=moved.worker_id).update(status="moved")  # left the registry's region
    Worker.objects.filter(pk=merged.worker_id).update(
        status="merged", merged_into_id=again.worker_id
    )
    end_enrolment(merged, Enrolment.EndReason.DUPLICATE, D(2025, 6, 1), None)
    end_enrolment(
        lapsed, Enrolment.EndReason.LAPSED, D(2025, 7, 1), None, Capability.MANAGE_FINANCE
    )
    end_enrolment(again, Enrolment.EndReason.LAPSED, D(2025, 5, 1), None)
    Enrolment.objects.create(  # enrolled again later in the year: its newer enrolment counts
        worker_id=again.worker_id,
        source=cohort_2025,
        status="active",
        start_month=D(2025, 9, 1),
        end_month=D(2025, 12, 1),
        declared_income=again.declared_income,
        kpj_number=again.kpj_number,
    )
    died.refresh_from_db()
    assert (died.status, died.end_reason, died.end_month) == ("ended", "death", D(2025, 10, 1))

    plan = renew(cohort_2025, finance_officer, 2026, 100, today=D(2025, 11, 20))
    drops = {d.worker_id: (d.reason, d.previous_id) for d in plan.drops.all()}
    assert drops == {
        died.worker_id: (PlanDrop.Reason.DECEASED, died.pk),
        moved.worker_id: (PlanDrop.Reason.MOVED, moved.pk),
        merged.worker_id: (PlanDrop.Reason.MERGED, merged.pk),
    }
    assert str(PlanDrop.Reason.DECEASED.label) == "Meninggal dunia"
    parts = plan_parts(plan)
    assert {d["reason"]: d["workers"] for d in parts["dropped"]} == {
        "deceased": 1,
        "moved": 1,
        "merged": 1,
    }
    again_selection = PlanSelection.objects.get(plan=plan, worker_id=again.worker_id)
    assert again_selection.kind == "continued" and again_selection.previous_id != again.pk
    assert parts["continued"]["workers"] == 96
    # Lapsed past its window but still living here: no drop, not continued (maybe a newcomer).
    assert not PlanSelection.objects.filter(
        plan=plan, worker_id=lapsed.worker_id, kind="continued"
    ).exists()

    planning.commit_plan(plan, finance_officer)
    gone = [died.worker_id, moved.worker_id, merged.worker_id]
    assert not Enrolment.objects.filter(plan=plan, worker_id__in=gone).exists()
    assert Enrolment.objects.filter(plan=plan, status="active").count() == 96
