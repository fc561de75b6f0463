"""The scholarship year by year: BPJS pays each school year on application with a school
certificate; nothing is scheduled ahead; the years stop at graduation, age 23, marriage or the
cap; the projection runs from the child's current class (a 9-year-old in class 4 has three SD
years left, not six); a child not yet at school keeps a deferred entitlement."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from jaring.claims import selectors, services
from jaring.claims.models import ClaimStatus, ScholarshipYear
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Education, Program
from tests import test_claims
from tests.test_claims import PDF, SAFRI, bpjs_approves, prepare, to_bpjs, transfer, worker

D = datetime.date
people = test_claims.people
EVENT = D(2025, 5, 5)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def certificate(name: str):
    return SimpleUploadedFile(f"{name}.pdf", PDF + name.encode())


def add_child(claim, officer, name, birth, education=None, school_class=None, **extra):
    return services.add_family_member(
        claim,
        officer,
        full_name=name,
        relationship="child",
        birth_date=birth,
        education=education or "",
        school_class=school_class,
        **extra,
    )


def paid_claim(people, children):
    """A JKK work-accident death (a scholarship with no minimum membership) taken through the
    Pemda's check, BPJS's receipt, decision and payment; ``children`` as (name, birth, level,
    class, extra)."""
    officer = people["officer"]
    claim = services.report_event(
        worker(SAFRI),
        services.EventReport("JKK", "work_accident_death", EVENT, "family"),
        officer,
        today=D(2025, 6, 1),
    )
    members = [add_child(claim, officer, *child) for child in children]
    claim = prepare(claim, officer, people["clerk"])
    claim = to_bpjs(claim, officer, people["supervisor"], people["bpjs"])
    claim = bpjs_approves(claim, people["bpjs"])
    assert not claim.instalments.filter(kind="scholarship").exists()  # nothing ahead
    heir = claim.family.get(relationship="spouse")
    cash = claim.instalments.get(kind="cash")
    services.record_benefit_payment(cash, heir, transfer(cash.amount), people["bpjs"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    return claim, members


def apply(claim, child, user, school_year, level, school_class, final_year=False):
    return services.record_scholarship_application(
        claim,
        child,
        services.YearApplicationInput(
            school_year, level, school_class, D(school_year, 7, 20), final_year
        ),
        certificate(f"{child.pk}-{school_year}"),
        user,
    )


def test_a_nine_year_old_in_class_4_is_projected_three_sd_years_and_paid_year_by_year(
    people, media
):
    officer, bpjs = people["officer"], people["bpjs"]
    claim, (child,) = paid_claim(people, [("Putri", D(2016, 3, 1), "SD", 4)])
    entry = claim.scholarship["children"][0]
    assert entry["schedule"][0] == {
        "level": "SD",
        "per_year": 1_500_000,
        "years": 3,
        "amount": 4_500_000,
    }
    assert [step["years"] for step in entry["schedule"]] == [3, 3, 3, 5]

    first = apply(claim, child, officer, 2025, "SD", 4)
    assert (first.amount, first.rule_ref) == (1_500_000, "jkk.scholarship@2025-02-24")
    assert first.certificate.kind == "school_certificate"
    services.record_scholarship_payment(first, 1_500_000, D(2025, 8, 1), "BEA-2025-01", bpjs)
    second = apply(claim, child, officer, 2026, "SD", 5)
    services.record_scholarship_payment(second, 1_500_000, D(2026, 8, 3), "BEA-2026-01", bpjs)
    third = apply(claim, child, officer, 2027, "SD", 6)
    fourth = apply(claim, child, officer, 2028, "SMP", 1)
    assert fourth.amount == 2_000_000

    years = list(
        ScholarshipYear.objects.filter(child=child).values_list(
            "school_year", "level", "amount", "paid_amount"
        )
    )
    assert years == [
        (2025, "SD", 1_500_000, 1_500_000),
        (2026, "SD", 1_500_000, 1_500_000),
        (2027, "SD", 1_500_000, None),
        (2028, "SMP", 2_000_000, None),
    ]
    child.refresh_from_db()
    assert (child.education, child.school_class) == ("SMP", 1)  # as the certificate shows
    panel = selectors.scholarship_panel(claim)
    assert (panel["granted_total"], panel["paid_total"]) == (6_500_000, 3_000_000)
    assert [year.pk for year in panel["unpaid"]] == [third.pk, fourth.pk]


def test_the_years_stop_at_graduation_marriage_and_age_23(people, media):
    officer = people["officer"]
    claim, (student, bride, older) = paid_claim(
        people,
        [
            ("Rina", D(2007, 1, 1), "SMA", 3),
            ("Siti", D(2006, 1, 1), "SMA", 3),
            ("Budi", D(2004, 8, 1), "PT", 1),
        ],
    )
    apply(claim, student, officer, 2025, "SMA", 3, final_year=True)
    with pytest.raises(ValidationError, match="menyelesaikan pendidikan") as refused:
        apply(claim, student, officer, 2026, "PT", 1)
    assert refused.value.code == "scholarship_graduated"

    # Only two children are granted (the first two the family nominated).
    assert not any(c["member_id"] == older.pk for c in claim.scholarship["children"])
    with pytest.raises(ValidationError) as refused:
        apply(claim, older, officer, 2025, "PT", 1)
    assert refused.value.code == "scholarship_not_granted"

    bride.married = True
    bride.save()
    with pytest.raises(ValidationError) as refused:
        apply(claim, bride, officer, 2025, "SMA", 3)
    assert refused.value.code == "scholarship_married"


def test_age_23_ends_the_years(people, media):
    officer = people["officer"]
    claim, (student,) = paid_claim(people, [("Dewi", D(2004, 3, 1), "PT", 2)])
    apply(claim, student, officer, 2025, "PT", 2)
    apply(claim, student, officer, 2026, "PT", 3)
    with pytest.raises(ValidationError) as refused:
        apply(claim, student, officer, 2027, "PT", 4)  # 23 on 1 March 2027
    assert refused.value.code == "scholarship_age_limit"


def test_a_year_is_applied_for_once_and_paid_once(people, media):
    officer, bpjs = people["officer"], people["bpjs"]
    claim, (child,) = paid_claim(people, [("Ani", D(2012, 1, 1), "SMP", 2)])
    year = apply(claim, child, officer, 2025, "SMP", 2)
    with pytest.raises(ValidationError) as refused:
        apply(claim, child, officer, 2025, "SMP", 3)
    assert refused.value.code == "scholarship_year_twice"
    with pytest.raises(ValidationError):
        services.record_scholarship_payment(year, 2_000_001, D(2025, 8, 1), "X-1", bpjs)
    with pytest.raises(ValidationError):
        services.record_scholarship_payment(year, 2_000_000, D(2025, 7, 1), "X-1", bpjs)
    services.record_scholarship_payment(year, 2_000_000, D(2025, 8, 1), "X-1", bpjs)
    with pytest.raises(ValidationError) as refused:
        services.record_scholarship_payment(year, 2_000_000, D(2025, 8, 2), "X-2", bpjs)
    assert refused.value.code == "scholarship_year_paid"


def test_the_database_refuses_half_a_payment_and_an_overpayment(people, media):
    claim, (child,) = paid_claim(people, [("Ani", D(2012, 1, 1), "SMP", 2)])
    year = apply(claim, child, people["officer"], 2025, "SMP", 2)
    rows = ScholarshipYear.objects.filter(pk=year.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(paid_amount=2_000_000)  # no date, no reference
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.update(paid_amount=2_000_001, paid_on=D(2025, 8, 1), payment_reference="R")


def test_a_child_not_yet_at_school_keeps_a_deferred_entitlement_and_applies_later(people, media):
    claim, (baby,) = paid_claim(people, [("Bayi", D(2024, 6, 1), None, None)])
    entry = claim.scholarship["children"][0]
    assert entry["deferred"] is True and entry["member_id"] == baby.pk
    year = apply(claim, baby, people["officer"], 2029, "TK", 1)
    assert year.amount == 1_500_000


def test_no_year_before_bpjs_paid_the_claim(people, media):
    officer = people["officer"]
    claim = services.report_event(
        worker(SAFRI),
        services.EventReport("JKK", "work_accident_death", EVENT, "family"),
        officer,
        today=D(2025, 6, 1),
    )
    child = add_child(claim, officer, "Putri", D(2016, 3, 1), "SD", 4)
    with pytest.raises(ValidationError) as refused:
        apply(claim, child, officer, 2025, "SD", 4)
    assert refused.value.code == "scholarship_claim_not_paid"


def test_the_claim_page_shows_the_years_and_the_forms(people, media, client):
    claim, (child,) = paid_claim(people, [("Putri", D(2016, 3, 1), "SD", 4)])
    apply(claim, child, people["officer"], 2025, "SD", 4)
    client.force_login(people["officer"])
    page = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert 'id="scholarship-years"' in page and "Putri" in page
    assert 'id="scholarship-form"' in page and 'id="scholarship-payment-form"' in page
    assert 'id="benefit-basis"' in page and "jkk.death@2019-12-02" in page


# --- The yearly amount (pure, property-based) -------------------------------------------------

BOOK = default_rulebook()


@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.sampled_from(list(Education))), min_size=0, max_size=40
    ),
    st.sampled_from(list(Education)),
)
def test_a_year_never_takes_the_claim_past_its_174_million_cap(history, level):
    granted = []
    for child, past_level in history:
        application = program_rules.YearApplication(
            child, D(2010, 1, 1), False, False, past_level, 1, D(2025, 7, 1), D(2025, 7, 1)
        )
        try:
            amount, _ref = program_rules.scholarship_year(
                BOOK, Program.JKK, D(2025, 5, 5), application, granted
            )
        except program_rules.RuleError as exc:
            assert exc.code in {"scholarship_level_used", "scholarship_cap_reached"}
            continue
        granted.append(program_rules.YearGranted(child, past_level, amount))
        assert sum(year.amount for year in granted) <= 174_000_000
        assert (
            amount
            <= BOOK.at("jkk.scholarship", D(2025, 5, 5)).value["levels"][past_level.value][
                "per_year"
            ]
        )


def test_the_last_year_before_the_cap_is_paid_short_and_then_the_years_stop():
    near_cap = [program_rules.YearGranted(0, Education.PT, 173_000_000)]
    application = program_rules.YearApplication(
        1, D(2010, 1, 1), False, False, Education.PT, 1, D(2025, 7, 1), D(2025, 7, 1)
    )
    amount, _ref = program_rules.scholarship_year(
        BOOK, Program.JKK, D(2025, 5, 5), application, near_cap
    )
    assert amount == 1_000_000
    full = [*near_cap, program_rules.YearGranted(1, Education.PT, amount)]
    with pytest.raises(program_rules.RuleError) as refused:
        program_rules.scholarship_year(BOOK, Program.JKK, D(2025, 5, 5), application, full)
    assert refused.value.code == "scholarship_cap_reached"


def test_a_child_without_a_birth_date_is_refused_until_it_is_recorded(people, media):
    """Without a birth date the age limit (23) could never stop the years."""
    claim, (child,) = paid_claim(people, [("Ani", D(2012, 1, 1), "SMP", 2)])
    type(child).objects.filter(pk=child.pk).update(birth_date=None)
    child.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        apply(claim, child, people["officer"], 2025, "SMP", 2)
    assert refused.value.code == "scholarship_birth_date_missing"
