"""The JKK path of a work accident: the stage I report and its 2 × 24 hours, stage II, treatment
at a PLKK, STMB periods priced by the rule (the 12-month switch) and BPJS's payments of them,
the return to work, the doctor's assessment feeding the benefit, and a suspected work accident
BPJS must rule on in time."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jaring.claims import rules, selectors, services
from jaring.claims.models import AccidentReport, IncapacityPeriod
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import temporary_incapacity
from jaring.reference.models import Plkk
from jaring.regions.models import Region
from tests import test_claims
from tests.conftest import BENGKALIS, SIAK
from tests.test_claims import RUSNI, SAFRI, TODAY, D, death, worker

people = test_claims.people  # the claims tests' users and covered workers

ACCIDENT = D(2025, 7, 3)
STMB = default_rulebook().at("jkk.temporary_incapacity", ACCIDENT).value
WAGE = 1_000_000  # Safri's declared income


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, minute))


def accident(people, event="temporary_incapacity", **extra):
    return services.report_event(
        worker(SAFRI),
        services.EventReport("JKK", event, ACCIDENT, "family", cause="Jatuh dari perahu", **extra),
        people["officer"],
        today=TODAY,
    )


@pytest.fixture
def plkk(db):
    region = Region.objects.get(code=BENGKALIS)
    return Plkk.objects.create(
        region=region, name="RSUD Bengkalis", kind="hospital", address="Jl. Kelapapati Tengah"
    )


# --- Pure rules ------------------------------------------------------------------------------


@given(st.integers(0, 800), st.integers(1, 400), st.integers(0, 400), st.integers(1, 10))
def test_an_stmb_split_into_periods_costs_what_one_period_costs(before, days, split, tens):
    """However the days unable to work are cut into periods, the periods add up to one period;
    a day before the 12th month is paid in full, a later one at half."""
    wage = tens * 1_000_000
    split = min(split, days)
    whole = temporary_incapacity(STMB, wage, days, before)
    parts = temporary_incapacity(STMB, wage, split, before) + temporary_incapacity(
        STMB, wage, days - split, before + split
    )
    assert abs(whole - parts) < Decimal("0.000001")
    full_days = STMB["full_rate_months"] * STMB["days_per_month"]
    day_rate = Decimal(wage) / STMB["days_per_month"]
    one_day = temporary_incapacity(STMB, wage, 1, before)
    expected = day_rate if before < full_days else day_rate * Decimal(STMB["reduced_rate"])
    assert abs(one_day - expected) < Decimal("0.000001")


def test_the_first_twelve_months_are_paid_in_full_and_later_ones_at_half():
    assert STMB["full_rate_months"] == 12 and STMB["days_per_month"] == 30
    assert temporary_incapacity(STMB, 3_000_000, 30, 0) == 3_000_000
    assert temporary_incapacity(STMB, 3_000_000, 30, 360) == 1_500_000
    # A period across the switch: 10 days in full, 20 at half.
    assert temporary_incapacity(STMB, 3_000_000, 30, 350) == 1_000_000 + 1_000_000


@given(st.integers(0, 23), st.integers(0, 200))
def test_stage_one_is_late_only_after_two_times_24_hours(hour, minutes_after):
    book = default_rulebook()
    happened = at(ACCIDENT, hour)
    made = happened + datetime.timedelta(hours=47, minutes=minutes_after)
    deadline = rules.stage_one_deadline(book, happened, made)
    assert deadline.due == happened + datetime.timedelta(hours=48)
    assert deadline.late is (minutes_after > 60)
    assert deadline.rule_ref == "jkk.accident_report@2015-07-01"


def test_bpjs_rules_on_a_suspected_accident_within_30_days():
    book = default_rulebook()
    notified = D(2025, 7, 4)
    pending = rules.ruling_deadline(book, notified, None, D(2025, 8, 3))
    assert (pending.due, pending.late) == (D(2025, 8, 3), False)
    assert rules.ruling_deadline(book, notified, None, D(2025, 8, 4)).late
    assert rules.ruling_deadline(book, notified, D(2025, 8, 10), D(2025, 9, 1)).late
    assert not rules.ruling_deadline(book, notified, D(2025, 7, 20), D(2025, 9, 1)).late
    assert rules.ruling_deadline(book, D(2020, 1, 6), None, D(2020, 3, 1)) is None


@given(
    st.decimals(Decimal("0.01"), Decimal("99.99"), places=2),
    st.decimals(Decimal("1"), Decimal("100"), places=2),
)
def test_a_functional_disability_never_exceeds_the_anatomical_one(table, lost):
    kind = rules.AssessmentKind
    event, anatomical = rules.assessed_event(kind.ANATOMICAL, table, Decimal(0))
    try:
        _event, functional = rules.assessed_event(kind.FUNCTIONAL, table, lost)
    except ValueError:
        assert table * lost / 100 < Decimal("0.005")
        return
    assert event.value == "partial_disability" and anatomical == table
    assert 0 < functional <= anatomical


# --- Stages, treatment, STMB, return to work ----------------------------------------------------


def test_stage_one_and_two_are_recorded_and_a_late_stage_one_is_flagged(people):
    claim, officer = accident(people), people["officer"]
    with pytest.raises(ValidationError) as refused:
        services.record_accident_report(
            claim, officer, 2, at(D(2025, 7, 20), 9), treatment_ended_on=D(2025, 7, 19)
        )
    assert refused.value.code == "stage_one_missing"
    with pytest.raises(ValidationError) as refused:
        services.record_accident_report(
            claim, officer, 1, at(ACCIDENT, 9), accident_at=at(D(2025, 7, 2), 8)
        )
    assert refused.value.code == "accident_time_mismatch"
    services.record_accident_report(
        claim, officer, 1, at(D(2025, 7, 5), 9), accident_at=at(ACCIDENT, 8, 30)
    )
    path = selectors.jkk_path(claim)
    assert path.stage_one_deadline.due == at(D(2025, 7, 5), 8, 30)
    assert path.stage_one_deadline.late  # 48½ hours after the accident
    # A correction within the 2 × 24 hours clears the flag; the history keeps the first version.
    services.record_accident_report(
        claim, officer, 1, at(D(2025, 7, 4), 16), accident_at=at(ACCIDENT, 8, 30)
    )
    assert not selectors.jkk_path(claim).stage_one_deadline.late
    stage_one = AccidentReport.objects.get(claim=claim, stage=1)
    assert stage_one.history.count() == 2 and stage_one.recorded_by == officer
    services.record_accident_report(
        claim, officer, 2, at(D(2025, 8, 1), 10), treatment_ended_on=D(2025, 7, 30)
    )
    assert selectors.jkk_path(claim).stage_two.treatment_ended_on == D(2025, 7, 30)


def test_the_database_refuses_a_stage_one_without_the_accident_time(people):
    claim = accident(people)
    with pytest.raises(IntegrityError), transaction.atomic():
        AccidentReport.objects.create(
            claim=claim, stage=1, made_at=at(ACCIDENT, 9), recorded_by=people["officer"]
        )


def test_treatment_is_at_a_plkk_of_the_claims_kabupaten(people, plkk):
    claim, officer = accident(people), people["officer"]
    elsewhere = Plkk.objects.create(
        region=Region.objects.get(code=SIAK), name="RSUD Siak", kind="hospital", address="Siak"
    )
    with pytest.raises(ValidationError) as refused:
        services.record_treatment(claim, officer, elsewhere.pk, ACCIDENT)
    assert refused.value.code == "plkk_not_near"
    treatment = services.record_treatment(claim, officer, plkk.pk, ACCIDENT)
    with pytest.raises(ValidationError) as refused:
        services.record_discharge(treatment, officer, D(2025, 7, 1))
    assert refused.value.code == "discharged_before_admitted"
    services.record_discharge(treatment, officer, D(2025, 7, 12))
    [shown] = selectors.jkk_path(claim).treatments
    assert (shown.plkk.name, shown.discharged_on) == ("RSUD Bengkalis", D(2025, 7, 12))


def test_stmb_periods_are_priced_by_the_rule_and_switch_to_half_after_12_months(people):
    claim, officer, bpjs = accident(people), people["officer"], people["bpjs"]
    # 360 days in full (12 months of 30 days), then 30 days at half.
    first = services.record_incapacity_period(claim, officer, D(2025, 7, 3), D(2026, 6, 27))
    second = services.record_incapacity_period(claim, officer, D(2026, 6, 28), D(2026, 7, 27))
    assert (first.days, first.expected_amount) == (360, 12 * WAGE)
    assert (second.days, second.expected_amount) == (30, WAGE // 2)
    assert first.rule_ref == "jkk.temporary_incapacity@2019-12-02"
    with pytest.raises(ValidationError) as refused:
        services.record_incapacity_period(claim, officer, D(2026, 7, 20), D(2026, 8, 1))
    assert refused.value.code == "period_overlap"
    # BPJS's payments, recorded by the branch's officer or the Pemda's officer following up.
    services.record_incapacity_payment(first, bpjs, 12 * WAGE, D(2026, 7, 1), "STMB-1")
    services.record_incapacity_payment(second, officer, 480_000, D(2026, 8, 5), "STMB-2")
    path = selectors.jkk_path(claim)
    assert (path.expected_total, path.paid_total) == (12_500_000, 12_480_000)
    assert [p.payment_difference for p in path.periods] == [0, -20_000]
    with pytest.raises(ValidationError) as refused:
        services.record_incapacity_payment(second, bpjs, 0, D(2026, 8, 5), "STMB-2")
    assert refused.value.code == "stmb_amount_invalid"


def test_the_database_keeps_a_payment_whole(people):
    claim = accident(people)
    period = services.record_incapacity_period(
        claim, people["officer"], D(2025, 7, 3), D(2025, 7, 12)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        IncapacityPeriod.objects.filter(pk=period.pk).update(bpjs_paid_amount=100)


def test_return_to_work_ends_the_incapacity(people):
    claim, officer = accident(people), people["officer"]
    services.record_incapacity_period(claim, officer, D(2025, 7, 3), D(2025, 8, 1))
    with pytest.raises(ValidationError) as refused:
        services.record_return_to_work(claim, officer, D(2025, 7, 20))
    assert refused.value.code == "returned_during_period"
    services.record_return_to_work(claim, officer, D(2025, 8, 2))
    with pytest.raises(ValidationError) as refused:
        services.record_incapacity_period(claim, officer, D(2025, 8, 2), D(2025, 8, 10))
    assert refused.value.code == "period_after_return"
    assert selectors.jkk_path(claim).return_to_work.returned_on == D(2025, 8, 2)


# --- The assessment feeds the benefit ---------------------------------------------------------


def test_no_disability_leaves_the_stmb_days_as_the_benefit(people):
    claim, officer = accident(people, incapacity_days=1), people["officer"]
    services.record_incapacity_period(claim, officer, D(2025, 7, 3), D(2025, 8, 1))
    services.record_incapacity_period(claim, officer, D(2025, 8, 2), D(2025, 8, 31))
    services.record_return_to_work(claim, officer, D(2025, 9, 1))
    claim = services.record_assessment(
        claim, officer, services.Assessment("none", D(2025, 9, 1), "dr. Rina")
    )
    assert (claim.event, claim.incapacity_days) == ("temporary_incapacity", 60)
    assert claim.eligible and claim.benefit_total == 2 * WAGE
    assert claim.benefit_total == selectors.jkk_path(claim).expected_total


@pytest.mark.parametrize(
    ("kind", "table", "lost", "event", "disability"),
    [
        ("anatomical", "10", "0", "partial_disability", 8_000_000),  # 10 % × 80 × wage
        ("functional", "10", "50", "partial_disability", 4_000_000),  # 50 % of 10 % × 80 × wage
        ("total", "0", "0", "total_disability", 56_000_000),  # 70 % × 80 × wage
    ],
)
def test_the_assessment_decides_the_benefit_event(people, kind, table, lost, event, disability):
    claim, officer = accident(people, incapacity_days=1), people["officer"]
    claim = services.record_assessment(
        claim,
        officer,
        services.Assessment(kind, D(2025, 9, 1), "dr. Rina", Decimal(table), Decimal(lost)),
    )
    assert claim.event == event and claim.eligible
    assert {c["code"]: c["amount"] for c in claim.components}["disability"] == disability
    assert claim.history.first().history_change_reason == "Kelayakan dan manfaat dihitung ulang"


def test_an_assessment_is_refused_for_a_death_or_a_claim_sent_on(people):
    officer = people["officer"]
    fatal = accident(people, event="work_accident_death")
    with pytest.raises(ValidationError) as refused:
        services.record_assessment(
            fatal, officer, services.Assessment("none", D(2025, 9, 1), "dr. Rina")
        )
    assert refused.value.code == "assessment_after_death"
    jkm = death(RUSNI, D(2025, 8, 10), officer)
    with pytest.raises(ValidationError) as refused:
        services.record_return_to_work(jkm, officer, D(2025, 9, 1))
    assert refused.value.code == "jkk_only"


# --- A suspected work accident ------------------------------------------------------------------


def test_a_suspected_accident_waits_for_bpjss_ruling_and_is_flagged_overdue(people):
    claim, officer, bpjs = accident(people), people["officer"], people["bpjs"]
    with pytest.raises(ValidationError) as refused:
        services.record_ruling(claim, bpjs, "work_accident", D(2025, 7, 10))
    assert refused.value.code == "suspicion_missing"
    services.record_suspicion(claim, officer, D(2025, 7, 4), "Jatuh saat menarik jaring")
    path = selectors.jkk_path(claim, today=D(2025, 8, 3))
    assert (path.ruling_deadline.due, path.ruling_deadline.late) == (D(2025, 8, 3), False)
    assert selectors.jkk_path(claim, today=D(2025, 8, 4)).ruling_deadline.late
    with pytest.raises(ValidationError) as refused:
        services.record_ruling(claim, bpjs, "work_accident", D(2025, 7, 1))
    assert refused.value.code == "ruled_before_notified"
    services.record_ruling(claim, bpjs, "work_accident", D(2025, 7, 25), "Kronologi sesuai")
    path = selectors.jkk_path(claim)
    assert path.suspicion.ruling == "work_accident" and not path.ruling_deadline.late
    assert path.suspicion.ruling_recorded_by == bpjs


# --- Who may do what -----------------------------------------------------------------------------


def test_only_the_regions_officers_record_the_path_and_bpjs_only_its_own_facts(people):
    claim = accident(people)
    with pytest.raises(PermissionDenied):
        services.record_suspicion(claim, people["bpjs"], D(2025, 7, 4), "Jatuh saat bekerja")
    with pytest.raises(PermissionDenied):
        services.record_return_to_work(claim, people["siak"], D(2025, 8, 1))
    with pytest.raises(PermissionDenied):
        services.record_incapacity_period(claim, people["supervisor"], ACCIDENT, ACCIDENT)


def test_the_claim_page_shows_the_path_and_only_the_users_actions(people, plkk, client):
    claim, officer = accident(people), people["officer"]
    services.record_incapacity_period(claim, officer, D(2025, 7, 3), D(2025, 7, 12))
    url = reverse("claims:detail", args=[claim.pk])
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert 'id="jkk-path"' in page and 'id="jkk-stmb"' in page
    assert 'id="jkk-deadline"' in page and "3 Juli 2030" in page  # 5 years after the accident
    for name in ("tahap_1", "perawatan", "stmb", "stmb_bayar", "kembali_kerja", "penilaian"):
        assert f'id="jkk-{name}-form"' in page
    assert 'id="jkk-tahap_2-form"' not in page  # stage II follows stage I
    client.force_login(people["bpjs"])
    page = client.get(url).content.decode()
    assert 'id="jkk-stmb_bayar-form"' in page and 'id="jkk-tahap_1-form"' not in page
    refused = client.post(
        reverse("claims:jkk_action", args=[claim.pk, "stmb"]),
        {"stmb-starts_on": "2025-07-13", "stmb-ends_on": "2025-07-20"},
    )
    assert refused.status_code == 403
    client.force_login(officer)
    response = client.post(
        reverse("claims:jkk_action", args=[claim.pk, "tahap_1"]),
        {"tahap_1-accident_at": "2025-07-03T08:00", "tahap_1-made_at": "2025-07-06T08:00"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'id="stage-one-late"' in page
