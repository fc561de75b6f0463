"""The rule corrections of issue 15, each against its regulation's figures, with properties
where a rule has a range (income steps, membership months, relief months)."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.programs import rules
from jaring.programs.evaluator import evaluate
from jaring.programs.rulebook import RuleVersion, default_rulebook

BOOK = default_rulebook()
D = datetime.date
STEPS = rules.income_steps(BOOK, D(2026, 1, 1))


def death(**overrides):
    case = {
        "kind": "benefit",
        "program": "JKM",
        "event": "death",
        "event_date": "2025-09-22",
        "membership_start": "2022-03-01",
        "declared_income": 1_000_000,
        "paid_through": "2025-09",
    }
    return case | overrides


def contribution(month, group=None, funding=None, income=1_000_000):
    case = {"kind": "contribution", "month": month, "declared_income": income}
    return case | {"occupation_group": group, "funding": funding}


# --- JKK total permanent disability: 24 x Rp500.000 from 2 December 2019 (PP 82/2019) ------------


def test_total_disability_at_one_million_is_68_million():
    result = evaluate(death(program="JKK", event="total_disability"))
    assert result["components"] == [
        {"code": "disability", "amount": 56_000_000},
        {"code": "periodic", "amount": 12_000_000},
    ]
    assert result["total"] == 68_000_000
    assert "jkk.total_disability@2019-12-02" in result["rule_refs"]


def test_total_disability_before_2_december_2019_had_the_4_8_million_periodic_part():
    before = BOOK.at("jkk.total_disability", D(2019, 12, 1))
    assert before.value["periodic_monthly"] * before.value["periodic_months"] == 4_800_000
    after = BOOK.at("jkk.total_disability", D(2019, 12, 2))
    assert after.value["periodic_monthly"] * after.value["periodic_months"] == 12_000_000
    assert "PP 82/2019" in after.source and after.confidence == "sure"


@given(st.sampled_from(STEPS))
def test_total_disability_is_56_wages_plus_12_million_at_every_income_step(wage):
    result = evaluate(death(program="JKK", event="total_disability", declared_income=wage))
    assert result["total"] == 56 * wage + 12_000_000


# --- Scholarship: a working student is no longer excluded from 24 February 2025 ----------------


def working_student(event_date):
    return death(
        event_date=event_date,
        membership_start="2021-01-01",
        paid_through=event_date[:7],
        children=[{"birth_date": "2004-06-01", "education": "PT", "working": True}],
    )


def test_a_child_working_while_studying_was_excluded_before_permenaker_1_2025():
    result = evaluate(working_student("2025-02-23"))
    assert result["scholarship"]["eligible"] is False
    assert "jkm.scholarship@2019-12-02" in result["rule_refs"]


def test_a_child_working_while_studying_is_paid_from_24_february_2025():
    result = evaluate(working_student("2025-02-24"))
    assert result["scholarship"]["eligible"] is True
    assert result["scholarship"]["children"][0]["level"] == "PT"
    assert "jkm.scholarship@2025-02-24" in result["rule_refs"]


def test_scholarship_still_ends_at_marriage_and_at_23():
    married = {"birth_date": "2008-01-01", "education": "SMA", "married": True}
    aged_23 = {"birth_date": "2002-09-22", "education": "PT"}  # 23 on the event date
    result = evaluate(death(children=[married, aged_23]))
    assert result["scholarship"]["eligible"] is False


# --- The scholarship projection runs from the child's current class ---------------------------


def test_a_nine_year_old_in_class_4_has_three_sd_years_left_not_six():
    child = {"birth_date": "2016-05-01", "education": "SD", "grade": 4}
    entry = evaluate(death(children=[child]))["scholarship"]["children"][0]
    assert entry["schedule"][0] == {
        "level": "SD",
        "per_year": 1_500_000,
        "years": 3,
        "amount": 4_500_000,
    }
    assert entry["grade"] == 4
    # Then SMP 3 + SMA 3 + PT 5 years in full (she is 9: 14 payments before 23).
    assert [step["years"] for step in entry["schedule"]] == [3, 3, 3, 5]
    assert entry["total"] == 4_500_000 + 6_000_000 + 9_000_000 + 60_000_000


def test_a_class_outside_its_level_is_refused():
    child = {"birth_date": "2016-05-01", "education": "SMP", "grade": 4}
    assert evaluate(death(children=[child]))["error"]["code"] == "grade_out_of_range"


@given(st.integers(min_value=1, max_value=6))
def test_each_later_class_leaves_one_year_less_of_the_level(grade):
    child = {"birth_date": "2016-05-01", "education": "SD", "grade": grade}
    entry = evaluate(death(children=[child]))["scholarship"]["children"][0]
    assert entry["schedule"][0]["years"] == 6 - grade + 1


# --- Reduced JKM for a BPU participant who dies in the first months of membership [check] -----


ON = RuleVersion(
    "jkm.early_death_bpu",
    {
        "enabled": True,
        "within_months": 3,
        "components": {"lump_sum": 8_000_000, "funeral": 2_000_000},
    },
    D(2025, 1, 1),
    "test",
    "check",
)


def test_switched_on_a_death_within_three_months_of_membership_pays_the_reduced_10_million():
    result = evaluate(
        death(membership_start="2025-07-01", paid_through="2025-09"), BOOK.with_versions(ON)
    )
    assert result["eligible"] is True
    assert result["components"] == [
        {"code": "lump_sum", "amount": 8_000_000},
        {"code": "funeral", "amount": 2_000_000},
    ]
    assert result["total"] == 10_000_000
    assert result["basis"]["rule_ref"] == "jkm.early_death_bpu@2025-01-01"
    assert "2 completed month(s)" in result["basis"]["basis"]
    assert "jkm.early_death_bpu@2025-01-01" in result["rule_refs"]
    assert "jkm.death@2019-12-02" not in result["rule_refs"]


def test_as_shipped_the_unconfirmed_reduction_is_off_and_the_full_42_million_is_expected():
    result = evaluate(death(membership_start="2025-07-01", paid_through="2025-09"))
    assert result["total"] == 42_000_000
    assert result["basis"]["rule_ref"] == "jkm.death@2019-12-02"
    assert BOOK.at("jkm.early_death_bpu", D(2025, 9, 1)).value["enabled"] is False


def test_the_other_reported_variant_is_a_data_change_funeral_only():
    funeral_only = RuleVersion(
        "jkm.early_death_bpu",
        {"enabled": True, "within_months": 3, "components": {"funeral": 10_000_000}},
        D(2025, 1, 1),
        "test",
        "check",
    )
    result = evaluate(
        death(membership_start="2025-08-01", paid_through="2025-09"),
        BOOK.with_versions(funeral_only),
    )
    assert result["components"] == [{"code": "funeral", "amount": 10_000_000}]


@given(st.integers(min_value=0, max_value=12))
def test_the_reduced_benefit_applies_exactly_below_three_completed_months(months_before):
    start = D(2025, 9, 22)
    for _ in range(months_before):
        start = (start.replace(day=1) - datetime.timedelta(days=1)).replace(day=22)
    result = evaluate(
        death(membership_start=start.isoformat(), paid_through="2025-09"), BOOK.with_versions(ON)
    )
    assert result["total"] == (10_000_000 if months_before < 3 else 42_000_000)


# --- PP 50/2025: the non-transport relief, April-December 2026 --------------------------------


@pytest.mark.parametrize(
    ("month", "group", "funding", "total"),
    [
        ("2026-03", "agriculture", "csr", 16_800),  # before the non-transport period
        ("2026-04", "agriculture", "csr", 8_400),
        ("2026-12", None, "self", 8_400),
        ("2027-01", "agriculture", "csr", 16_800),  # after it
        ("2026-06", "agriculture", "apbd", 16_800),  # Pemda-funded: full rate
        ("2026-06", "agriculture", "apbn", 16_800),
        ("2026-06", "agriculture", "apbdes", 8_400),  # APBDes not stated to be APBD [check]
        ("2026-02", "transport", "csr", 8_400),  # the transport relief, beside it
        ("2027-03", "transport", "csr", 8_400),
        ("2027-04", "transport", "csr", 16_800),
    ],
)
def test_relief_by_month_group_and_funder(month, group, funding, total):
    result = evaluate(contribution(month, group, funding))
    assert result["total"] == total


def test_the_non_transport_relief_names_its_own_row():
    refs = evaluate(contribution("2026-05", "agriculture", "csr"))["rule_refs"]
    assert "contribution.relief.non_transport@2026-04-01" in refs
    assert "contribution.relief@2026-01-01" not in refs
    refs = evaluate(contribution("2026-05", "transport", "csr"))["rule_refs"]
    assert "contribution.relief@2026-01-01" in refs
    assert "contribution.relief.non_transport@2026-04-01" not in refs


months_2026 = st.integers(min_value=1, max_value=12).map(lambda m: f"2026-{m:02d}")


@given(months_2026, st.sampled_from(["agriculture", "fishery", None]), st.sampled_from(STEPS))
def test_non_transport_relief_halves_exactly_in_its_months(month, group, income):
    full = evaluate(contribution(month, group, "apbd", income))["total"]
    paid = evaluate(contribution(month, group, "csr", income))["total"]
    in_period = "2026-04" <= month <= "2026-12"
    assert paid == (rules.whole_rupiah(Decimal(income) / 200) + 3_400 if in_period else full)


# --- The declared income is a step of the table -----------------------------------------------


def test_the_table_runs_from_one_million_to_20_7_million_with_the_1_2_million_step():
    assert STEPS[0] == 1_000_000 and STEPS[-1] == 20_700_000
    assert 1_200_000 in STEPS and 1_100_000 not in STEPS


@given(st.integers(min_value=-10, max_value=30_000_000))
def test_an_income_off_the_table_is_refused_and_a_step_is_accepted(income):
    result = evaluate(contribution("2025-09", income=income))
    if income in STEPS:
        assert result["total"] > 0
    else:
        assert result["error"]["code"] == "declared_income_not_in_table"


def test_the_refusal_names_the_nearest_steps_in_indonesian():
    with pytest.raises(rules.RuleError) as refused:
        rules.check_declared_income(BOOK, D(2025, 9, 1), 1_150_000)
    assert refused.value.message_id == (
        "Penghasilan yang dilaporkan Rp1.150.000 bukan salah satu nilai pada tabel penghasilan "
        "BPJS; pilih Rp1.000.000 / Rp1.200.000 (nilai dari Rp1.000.000 sampai Rp20.700.000)."
    )


# --- Contribution sources cite PP 44/2015 Lampiran II as amended (last by PP 49/2023) ---------


@pytest.mark.parametrize(
    "key", ["contribution.jkk.rate", "contribution.jkm.amount", "contribution.declared_income"]
)
def test_contribution_rows_cite_pp_44_2015_lampiran_ii_not_a_permenaker_annex(key):
    source = BOOK.at(key, D(2025, 9, 1)).source
    assert "PP 44/2015 Lampiran II" in source and "PP 49/2023" in source
    assert "Permenaker 5/2021, Lampiran" not in source
