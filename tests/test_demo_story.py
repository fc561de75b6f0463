"""The demo tells Bengkalis's real story: renewed since November 2022, deaths at the mortality
table's rate taken through the claims services, nothing after the report date.

The story is played at a smaller scale (the full one, ``make demo``, has 32.000 workers); every
figure asserted here is computed from the same table and rules, not copied from a run."""

import datetime
import math
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Sum
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from jaring.accounts.models import User
from jaring.claims.models import Claim, ClaimStatus
from jaring.core.crypto import nik_index
from jaring.demo.seed import (
    DEMO_ALLOCATION,
    DEMO_PAID,
    DEMO_PASSWORD,
    DEMO_REPORT_DATE,
    SEED_DEATHS,
    ClaimStage,
    claim_stage,
    import_demo_workers,
    seed_demo_story,
    setup_demo,
)
from jaring.enrolment.models import CoveragePlan, Enrolment
from jaring.finance.models import Allocation, Invoice, Payment
from jaring.finance.protection import membership_start
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.registry.models import Worker

REPORT = DEMO_REPORT_DATE
# One twentieth of the demo: 1.500 workers, 2025's budget for 1.400 of them, paid in the same
# proportion as the demo's Rp5,9 of Rp6,1 miliar.
SMALL_WORKERS = 1_500
SMALL_ALLOCATION = 1_400 * 12 * 16_800
SMALL_PAID = SMALL_ALLOCATION * DEMO_PAID // DEMO_ALLOCATION
# Columns that name a coverage period, not a day something happened: a plan, an enrolment and
# an invoice run to December of their fiscal year, billed and paid in advance.
PERIOD_COLUMNS = {
    ("enrolment.CoveragePlan", "end_month"),
    ("enrolment.Enrolment", "end_month"),
    ("finance.Invoice", "month"),
    ("finance.InvoiceLine", "month"),
    # The billing journal names billed months and months whose bill may change (periods).
    ("finance.BillingChange", "first_month"),
    ("finance.BillingChange", "last_month"),
    ("finance.BillingCheckpoint", "month"),
}


@pytest.fixture
def story(riau_regions, occupations, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=SMALL_WORKERS)
    seed_demo_story(users, allocation=SMALL_ALLOCATION, paid=SMALL_PAID)
    return users


def test_the_demo_tells_bengkalis_story_since_november_2022(story, client):
    plans = list(CoveragePlan.objects.order_by("fiscal_year"))
    assert [(p.fiscal_year, p.start_month) for p in plans] == [
        (2022, datetime.date(2022, 11, 1)),
        (2023, datetime.date(2023, 1, 1)),
        (2024, datetime.date(2024, 1, 1)),
        (2025, datetime.date(2025, 1, 1)),
    ]
    assert all(p.status == "committed" for p in plans)
    for earlier, later in zip(plans, plans[1:], strict=False):
        _renewal_keeps_kpj_and_membership(earlier, later)
    _deaths_follow_the_table(plans)
    _the_seed_families_were_handed_over_on_the_report_date()
    _claims_stand_at_their_stage()
    _paid_for_2025_by_the_report_date()
    _nothing_is_dated_after_the_report_date()
    _the_plan_shows_what_it_buys(client, plans[-1])
    seed_demo_story(story)  # runs once
    assert CoveragePlan.objects.count() == 4


def _renewal_keeps_kpj_and_membership(earlier: CoveragePlan, later: CoveragePlan) -> None:
    """Every continued participant keeps the KPJ of an enrolment that ended the month before;
    newcomers joined; who died in the earlier year did not continue."""
    continued = later.selections.filter(kind="continued").select_related("previous")
    assert continued.count() > 0.9 * earlier.selected
    assert later.selections.filter(kind="new").exists()
    following = dict(Enrolment.objects.filter(plan=later).values_list("worker_id", "kpj_number"))
    for selection in continued:
        assert selection.previous.plan_id == earlier.pk
        assert following[selection.worker_id] == selection.previous.kpj_number != ""
        assert selection.previous.end_month == datetime.date(later.fiscal_year - 1, 12, 1)
    died = Worker.objects.filter(status="deceased", date_of_death__year=earlier.fiscal_year).values(
        "pk"
    )
    assert not Enrolment.objects.filter(plan=later, worker__in=died).exists()
    assert set(Enrolment.objects.filter(plan=later).values_list("status", flat=True)) <= {
        "active",
        "ended",
    }


def _deaths_follow_the_table(plans: list[CoveragePlan]) -> None:
    """JKM claims per year within a Poisson band (4 standard deviations) around what the
    shipped table expects for the year's cohort; 2025 counted to the report date."""
    book = default_rulebook()
    for plan in plans:
        cohort = Enrolment.objects.filter(plan=plan).select_related("worker")
        rows = [(plan.fiscal_year - e.worker.birth_date.year, e.worker.sex, 1) for e in cohort]
        expected = program_rules.expected_in_cohort(
            book, rows, plan.months, plan.start_month, plan.cost
        ).deaths
        if plan.fiscal_year == REPORT.year:
            expected *= Decimal((REPORT - plan.start_month).days) / 365
        deaths = Claim.objects.filter(program="JKM", event_date__year=plan.fiscal_year).count()
        if plan.fiscal_year == REPORT.year:
            deaths -= len(SEED_DEATHS)
        band = 4 * math.sqrt(expected)
        assert expected - Decimal(band) <= deaths <= expected + Decimal(band), plan.fiscal_year
    assert Claim.objects.filter(program="JKM").count() >= 10


def _the_seed_families_were_handed_over_on_the_report_date() -> None:
    for nik, died, (heir, _relationship) in SEED_DEATHS:
        claim = Claim.objects.get(worker__nik_index=nik_index(nik))
        assert (claim.event_date, claim.status, claim.bpjs_total) == (
            died,
            ClaimStatus.PAID,
            42_000_000,
        )
        assert claim.handover.held_on == REPORT and claim.handover.is_signed
        assert claim.handover.recipient.full_name == heir
        assert claim.handover.handed_by_name == "Kasmarni"
        # Covered since November 2022 without a break, across three renewals.
        assert membership_start(claim.enrolment) == datetime.date(2022, 11, 1)
    seed = Worker.objects.filter(full_name__in=["Rusni", "Bahtiar", "Safri Ismail"])
    assert sorted(seed.values_list("village__name", flat=True)) == [
        "Bantan Tua",
        "Kelebuk",
        "Prapat Tunggal",
    ]


def _claims_stand_at_their_stage() -> None:
    """Older deaths are paid and handed over; recent ones in progress; September's came in
    through the Dukcapil death list as potential claims."""
    for claim in Claim.objects.exclude(status=ClaimStatus.POTENTIAL).select_related("handover"):
        stage = claim_stage(claim.event_date)
        if stage == ClaimStage.HANDED_OVER:
            assert claim.status == ClaimStatus.PAID and claim.handover.is_signed
        elif stage == ClaimStage.PAID:
            assert claim.status == ClaimStatus.PAID
        assert claim.eligible and claim.benefit_total == 42_000_000
    assert all(
        claim_stage(c.event_date) == ClaimStage.DEATH_LIST
        for c in Claim.objects.filter(status=ClaimStatus.POTENTIAL)
    )
    assert Claim.objects.filter(handover__isnull=False).count() > len(SEED_DEATHS)


def _paid_for_2025_by_the_report_date() -> None:
    allocation = Allocation.objects.get(fiscal_year=2025).amount
    paid = Payment.objects.filter(invoice__month__year=2025).aggregate(s=Sum("amount"))["s"]
    assert (allocation, paid) == (SMALL_ALLOCATION, SMALL_PAID)
    assert abs(Decimal(paid) / allocation - Decimal("5.9") / Decimal("6.1")) < Decimal("0.001")
    earlier = Invoice.objects.filter(month__year__lt=2025).annotate(paid=Sum("payments__amount"))
    assert all(invoice.paid == invoice.total for invoice in earlier)  # 2022-2024 paid in full
    assert all(p.paid_on <= REPORT for p in Payment.objects.all())


def _nothing_is_dated_after_the_report_date() -> None:
    """Every date column of every table (history tables too), except the coverage periods, is
    on or before the report date. Timestamps (when a row was written) are the machine's clock,
    not the story's, and are not dates of the story."""
    later = []
    for model in apps.get_models():
        recorded = getattr(model, "instance_type", model)  # a history table: its model's columns
        for field in model._meta.concrete_fields:
            column = (recorded._meta.label, field.name)
            if type(field) is models.DateField and column not in PERIOD_COLUMNS:
                if model._default_manager.filter(**{f"{field.name}__gt": REPORT}).exists():
                    later.append(column)
    assert later == []


def _the_plan_shows_what_it_buys(client, plan: CoveragePlan) -> None:
    client.post(reverse("login"), {"username": "keuangan", "password": DEMO_PASSWORD})
    page = client.get(reverse("finance:plan", args=[plan.pk])).text
    assert 'id="plan-expected"' in page and "Tabel Mortalita Indonesia IV" in page


def test_the_full_demo_expects_about_a_hundred_deaths_a_year():
    """The demo's 2025 cohort (30.257 participants, ages 20-65 as the synthetic registry draws
    them, half women) at the shipped table's rates: on the order of a hundred JKM claims a
    year, each Rp42 juta to a family."""
    participants = DEMO_ALLOCATION // (12 * 16_800)
    per_age_sex = participants // (46 * 2)
    cohort = [(age, sex, per_age_sex) for age in range(20, 66) for sex in "LP"]
    expected = program_rules.expected_in_cohort(
        default_rulebook(), cohort, 12, datetime.date(2025, 1, 1), DEMO_ALLOCATION
    )
    assert 80 <= expected.deaths <= 130
    assert expected.benefit_per_death == 42_000_000
    assert Decimal("0.5") < expected.benefits_per_rupiah < Decimal("1")


def test_the_mortality_table_is_tmi_iv_for_working_ages():
    table = program_rules.mortality_table()
    assert {age for age, _sex in table} == set(range(15, 71))
    assert table[(30, "L")] == Decimal("0.00075") and table[(30, "P")] == Decimal("0.00056")
    assert all(table[(age, "L")] >= table[(age, "P")] for age in range(15, 71))


@given(
    st.integers(min_value=0, max_value=110),
    st.sampled_from("LP"),
    st.integers(min_value=1, max_value=12),
)
def test_a_death_probability_grows_with_months_and_stays_a_probability(age, sex, months):
    probability = program_rules.death_probability(age, sex, months)
    assert 0 < probability <= program_rules.death_probability(age, sex, 12) < 1
    assert program_rules.death_probability(age + 1, sex, months) >= probability or age >= 70
