"""Programme rules: table-driven from the regulation's figures, and property-based."""

import datetime
import json
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jaring.programs import rules
from jaring.programs.evaluator import evaluate
from jaring.programs.rulebook import RuleBook, RuleVersion, default_rulebook

BOOK = default_rulebook()
D = datetime.date


def contribution_case(**overrides):
    return {"kind": "contribution", "month": "2025-09", "declared_income": 1_000_000} | overrides


def benefit_case(**overrides):
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


# --- Contributions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "programs", "lines", "total"),
    [
        (1_000_000, ["JKK", "JKM"], {"JKK": 10_000, "JKM": 6_800}, 16_800),
        (2_000_000, ["JKK", "JKM"], {"JKK": 20_000, "JKM": 6_800}, 26_800),
        (1_000_000, ["JKK", "JKM", "JHT"], {"JKK": 10_000, "JKM": 6_800, "JHT": 20_000}, 36_800),
        (20_700_000, ["JKK", "JKM"], {"JKK": 207_000, "JKM": 6_800}, 213_800),
        (1_200_000, ["JKK", "JKM"], {"JKK": 12_000, "JKM": 6_800}, 18_800),  # BPJS: Rp12.000
    ],
)
def test_contribution_examples(income, programs, lines, total):
    result = evaluate(contribution_case(declared_income=income, programs=programs))
    assert {line["program"]: line["amount"] for line in result["lines"]} == lines
    assert result["total"] == total
    assert "contribution.jkk.rate@2015-07-01" in result["rule_refs"]


def test_seed_budget_buys_about_thirty_thousand_worker_years():
    monthly = evaluate(contribution_case())["total"]
    assert monthly * 12 == 201_600
    assert 6_100_000_000 // (monthly * 12) == 30_257


def test_transport_relief_halves_jkk_and_jkm_only_for_self_funded_from_2026():
    relief_month = contribution_case(month="2026-02", occupation_group="transport")
    assert evaluate(relief_month | {"funding": "self"})["total"] == 8_400
    assert evaluate(relief_month | {"funding": "apbd"})["total"] == 16_800
    assert evaluate(relief_month | {"funding": "apbn"})["total"] == 16_800
    assert (
        evaluate(contribution_case(month="2025-12", occupation_group="transport"))["total"]
        == 16_800
    )
    assert (
        evaluate(contribution_case(month="2027-04", occupation_group="transport"))["total"]
        == 16_800
    )
    assert (
        evaluate(contribution_case(month="2027-03", occupation_group="transport"))["total"] == 8_400
    )
    assert (
        evaluate(contribution_case(month="2026-02", occupation_group="farming"))["total"] == 16_800
    )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        (contribution_case(declared_income=999_999), "declared_income_not_in_table"),
        (contribution_case(declared_income=1_150_000), "declared_income_not_in_table"),
        (contribution_case(programs=["JKM"]), "mandatory_programs"),
        (contribution_case(month="2025-13"), "invalid_case"),
        (contribution_case(month="Sept 2025"), "invalid_case"),
        (contribution_case(declared_income=1_000_000.0), "invalid_case"),
        (contribution_case(declared_income="1000000"), "invalid_case"),
        (contribution_case(colour="red"), "invalid_case"),
        (contribution_case(programs=["JKN"]), "invalid_case"),
        (contribution_case(month="2014-01"), "no_rule_in_force"),
        ({"month": "2025-09"}, "invalid_case"),
        ({"kind": "lottery"}, "invalid_case"),
        ("not an object", "invalid_case"),
    ],
)
def test_bad_contribution_cases_get_an_error_object(case, code):
    result = evaluate(case)
    assert result["error"]["code"] == code
    assert result["error"]["message"]


def test_error_details_name_the_field():
    result = evaluate(contribution_case(colour="red", month="2025-00"))
    fields = {detail["field"] for detail in result["error"]["details"]}
    assert fields == {"colour", "month"}


STEPS = rules.income_steps(BOOK, D(2025, 9, 1))
incomes = st.sampled_from(STEPS)


@given(incomes, incomes, st.booleans())
def test_contribution_is_monotonic_in_declared_income(a, b, with_jht):
    low, high = sorted((a, b))
    programs = ["JKK", "JKM", "JHT"] if with_jht else ["JKK", "JKM"]
    assert (
        evaluate(contribution_case(declared_income=low, programs=programs))["total"]
        <= evaluate(contribution_case(declared_income=high, programs=programs))["total"]
    )


@given(incomes, st.sampled_from(["2025-09", "2026-02"]), st.sampled_from([None, "transport"]))
def test_contribution_total_is_the_sum_of_its_lines(income, month, group):
    result = evaluate(
        contribution_case(declared_income=income, month=month, occupation_group=group)
    )
    assert result["total"] == sum(line["amount"] for line in result["lines"])
    assert all(isinstance(line["amount"], int) for line in result["lines"])


# --- Benefits --------------------------------------------------------------------------------


def test_jkm_death_pays_42_million_in_three_components():
    result = evaluate(benefit_case())
    assert result["eligible"] is True and result["reason_code"] == "covered"
    assert result["total"] == 42_000_000
    assert {c["code"]: c["amount"] for c in result["components"]} == {
        "lump_sum": 20_000_000,
        "periodic": 12_000_000,
        "funeral": 10_000_000,
    }
    assert "jkm.death@2019-12-02" in result["rule_refs"]


def test_a_death_before_pp_82_2019_is_judged_by_the_old_amounts():
    result = evaluate(
        benefit_case(event_date="2019-12-01", membership_start="2018-01-01", paid_through="2019-12")
    )
    assert result["total"] == 16_200_000 + 4_800_000 + 3_000_000
    assert "jkm.death@2015-07-01" in result["rule_refs"]


def test_a_new_rate_version_added_as_data_is_picked_by_date():
    raised = RuleVersion(
        key="jkm.death",
        value={
            "lump_sum": 30_000_000,
            "periodic_monthly": 500_000,
            "periodic_months": 24,
            "funeral": 10_000_000,
        },
        effective_from=D(2026, 1, 1),
        source="hypothetical amendment",
    )
    book = BOOK.with_versions(raised)
    assert evaluate(benefit_case(), book)["total"] == 42_000_000
    later = benefit_case(event_date="2026-02-01", paid_through="2026-02")
    assert evaluate(later, book)["total"] == 52_000_000
    assert "jkm.death@2026-01-01" in evaluate(later, book)["rule_refs"]
    with pytest.raises(ValueError):
        book.with_versions(raised)


@pytest.mark.parametrize(
    ("event", "extra", "components"),
    [
        (
            "work_accident_death",
            {},
            {"death_compensation": 48_000_000, "periodic": 12_000_000, "funeral": 10_000_000},
        ),
        ("total_disability", {}, {"disability": 56_000_000, "periodic": 12_000_000}),
        ("partial_disability", {"disability_percent": 10}, {"disability": 8_000_000}),
        ("partial_disability", {"disability_percent": "12.5"}, {"disability": 10_000_000}),
        ("temporary_incapacity", {"incapacity_days": 30}, {"temporary_incapacity": 1_000_000}),
        (
            "temporary_incapacity",
            {"incapacity_days": 390},
            {"temporary_incapacity": 12_000_000 + 500_000},
        ),
    ],
)
def test_jkk_benefits_at_the_lowest_bracket(event, extra, components):
    result = evaluate(benefit_case(program="JKK", event=event, **extra))
    assert {c["code"]: c["amount"] for c in result["components"]} == components
    assert result["total"] == sum(components.values())


def test_jkk_claim_after_five_years_is_expired_jkm_has_no_deadline():
    on_time = benefit_case(program="JKK", event="work_accident_death", claim_date="2030-09-22")
    late = benefit_case(program="JKK", event="work_accident_death", claim_date="2030-09-23")
    assert evaluate(on_time)["eligible"] is True
    assert evaluate(late)["eligible"] is False
    assert evaluate(late)["reason_code"] == "claim_expired"
    assert evaluate(benefit_case(claim_date="2045-01-01"))["eligible"] is True


@pytest.mark.parametrize(
    ("paid_through", "eligible", "arrears"),
    [("2025-09", True, 0), ("2025-08", True, 1), ("2025-06", True, 3), ("2025-05", False, 4)],
)
def test_arrears_up_to_three_months_keep_protection(paid_through, eligible, arrears):
    result = evaluate(benefit_case(paid_through=paid_through))
    assert (result["eligible"], result["arrears_months"]) == (eligible, arrears)
    if not eligible:
        assert result["total"] == 0 and result["components"] == []
        assert "nonaktif" in result["reason_id"]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        (benefit_case(event_date="2022-02-28"), "event_before_membership"),
        (benefit_case(paid_through="2021-12"), "paid_through_before_membership"),
        (benefit_case(event_date="2025-02-30"), "invalid_case"),
        (benefit_case(program="JKM", event="total_disability"), "event_not_in_program"),
        (benefit_case(program="JKK", event="death"), "event_not_in_program"),
        (
            benefit_case(program="JKK", event="work_accident_death", declared_income=None),
            "declared_income_required",
        ),
        (benefit_case(declared_income=-1), "declared_income_not_positive"),
        (benefit_case(program="JKK", event="partial_disability"), "disability_percent_range"),
        (benefit_case(program="JKK", event="temporary_incapacity"), "incapacity_days_required"),
        (benefit_case(claim_date="2025-09-01"), "claim_before_event"),
        (benefit_case(children=[{"birth_date": "2014-05-01", "education": "S3"}]), "invalid_case"),
    ],
)
def test_impossible_benefit_cases_get_an_error_object(case, code):
    assert evaluate(case)["error"]["code"] == code


# --- Scholarship -----------------------------------------------------------------------------


def test_scholarship_needs_three_years_of_membership_for_jkm():
    child = [{"birth_date": "2014-05-01", "education": "SD"}]
    short = evaluate(benefit_case(membership_start="2022-09-23", children=child))
    assert short["scholarship"]["eligible"] is False
    assert "36 months" in short["scholarship"]["note"]
    enough = evaluate(benefit_case(membership_start="2022-09-22", children=child))
    assert enough["scholarship"]["eligible"] is True


def test_jkk_scholarship_has_no_minimum_membership():
    result = evaluate(
        benefit_case(
            program="JKK",
            event="work_accident_death",
            membership_start="2025-09-01",
            children=[{"birth_date": "2014-05-01", "education": "SD"}],
        )
    )
    assert result["scholarship"]["eligible"] is True


def test_full_path_from_tk_is_87_million_and_two_children_reach_the_174_million_cap():
    toddler = {"birth_date": "2021-09-22", "education": "TK"}  # 4 years old
    result = evaluate(benefit_case(children=[toddler, toddler, toddler]))
    scholarship = result["scholarship"]
    assert [child["total"] for child in scholarship["children"]] == [87_000_000, 87_000_000]
    assert scholarship["total"] == 174_000_000
    assert scholarship["children"][0]["schedule"][0] == {
        "level": "TK",
        "per_year": 1_500_000,
        "years": 2,
        "amount": 3_000_000,
    }
    assert result["total"] == 42_000_000  # the scholarship is reported apart from the cash


def test_scholarship_stops_at_age_23_and_skips_married_or_working_children():
    nearly_23 = {"birth_date": "2003-01-01", "education": "PT"}  # 22 at the event
    married = {"birth_date": "2005-01-01", "education": "PT", "married": True}
    result = evaluate(benefit_case(children=[married, nearly_23]))
    children = result["scholarship"]["children"]
    assert [c["index"] for c in children] == [1]
    assert children[0]["years"] == 1 and children[0]["total"] == 12_000_000


def test_child_not_yet_at_school_keeps_a_deferred_entitlement():
    baby = {"birth_date": "2025-01-01", "education": None}
    result = evaluate(benefit_case(children=[baby]))
    scholarship = result["scholarship"]
    assert scholarship["eligible"] is True and scholarship["total"] == 0
    assert scholarship["children"][0]["deferred"] is True
    assert "scholarship.deferred_entitlement@2019-12-02" in result["rule_refs"]


def test_a_switched_off_deferred_entitlement_leaves_no_scholarship():
    off = RuleVersion(
        "scholarship.deferred_entitlement",
        {"enabled": False, "starts_at_level": "TK"},
        D(2025, 1, 1),
        "test",
    )
    baby = {"birth_date": "2025-01-01", "education": None}
    result = evaluate(benefit_case(children=[baby]), BOOK.with_versions(off))
    assert result["scholarship"]["eligible"] is False
    assert result["scholarship"]["note"] == "no child in education below the age limit"


ages = st.integers(min_value=3, max_value=30)
levels = st.sampled_from(list(rules.Education))


@given(st.lists(st.tuples(ages, levels), max_size=4))
def test_scholarship_never_exceeds_its_caps(children):
    case = benefit_case(
        children=[
            {"birth_date": f"{2025 - age}-03-01", "education": level.value}
            for age, level in children
        ]
    )
    scholarship = evaluate(case)["scholarship"]
    assert scholarship["total"] <= 174_000_000
    assert len(scholarship["children"]) <= 2
    for child in scholarship["children"]:
        assert child["total"] <= 87_000_000
        assert child["total"] == sum(step["amount"] for step in child["schedule"])
        age = children[child["index"]][0]
        assert sum(step["years"] for step in child["schedule"]) <= 23 - age + 1


# --- Coverage window properties -------------------------------------------------------------

dates = st.dates(min_value=D(2022, 7, 1), max_value=D(2030, 12, 31))


@given(dates, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=48))
def test_one_day_after_the_coverage_window_is_never_eligible(start, paid_months, extra_days):
    """Coverage runs to the end of the 3rd month after the last paid month, not one day more."""
    paid_through = rules.month_start(start)
    for _ in range(paid_months):
        paid_through = (paid_through + datetime.timedelta(days=32)).replace(day=1)
    window_end = paid_through
    for _ in range(4):
        window_end = (window_end + datetime.timedelta(days=32)).replace(day=1)
    last_covered_day = window_end - datetime.timedelta(days=1)
    assume(last_covered_day >= start)
    inside = rules.coverage_on(BOOK, last_covered_day, start, paid_through)
    outside = rules.coverage_on(
        BOOK, last_covered_day + datetime.timedelta(days=1 + extra_days), start, paid_through
    )
    assert inside.eligible is True
    assert outside.eligible is False


@given(dates)
def test_one_day_before_membership_is_never_eligible(start):
    result = evaluate(
        benefit_case(
            membership_start=start.isoformat(),
            event_date=(start - datetime.timedelta(days=1)).isoformat(),
            paid_through=start.strftime("%Y-%m"),
        )
    )
    assert "error" in result or result["eligible"] is False


@given(
    st.sampled_from(
        [
            "death",
            "work_accident_death",
            "total_disability",
            "partial_disability",
            "temporary_incapacity",
        ]
    ),
    incomes,
    st.integers(min_value=1, max_value=99),
    st.integers(min_value=1, max_value=2000),
)
def test_benefit_total_is_the_sum_of_its_components(event, income, percent, days):
    program = "JKM" if event == "death" else "JKK"
    result = evaluate(
        benefit_case(
            program=program,
            event=event,
            declared_income=income,
            disability_percent=percent,
            incapacity_days=days,
        )
    )
    assert result["total"] == sum(c["amount"] for c in result["components"]) > 0


# --- Heirs --------------------------------------------------------------------------------------

relationships = st.sampled_from(list(rules.Relationship))
members = st.builds(
    lambda relationship, alive: {"relationship": relationship.value, "alive": alive},
    relationships,
    st.booleans(),
)


@given(st.lists(members, max_size=8))
def test_heirs_come_from_the_highest_non_empty_tier(family):
    result = evaluate({"kind": "heirs", "deceased": {"name": "X"}, "family": family})
    tiers = BOOK.at("heirs.priority", D.today()).value
    tier_of = {name: number for number, names in enumerate(tiers, start=1) for name in names}
    living = [i for i, m in enumerate(family) if m["alive"]]
    if not living:
        assert result["heirs"] == [] and result["tier"] is None
        return
    best = min(tier_of[family[i]["relationship"]] for i in living)
    assert result["tier"] == best
    assert result["heirs"] == [i for i in living if tier_of[family[i]["relationship"]] == best]


@pytest.mark.parametrize(
    ("family", "heirs", "tier"),
    [
        (
            [{"relationship": "spouse"}, {"relationship": "child"}, {"relationship": "parent"}],
            [0, 1],
            1,
        ),
        (
            [
                {"relationship": "spouse", "alive": False},
                {"relationship": "parent"},
                {"relationship": "grandchild"},
            ],
            [1],
            2,
        ),
        ([{"relationship": "grandparent"}, {"relationship": "grandchild"}], [1], 3),
        (
            [
                {"relationship": "parent_in_law"},
                {"relationship": "sibling"},
                {"relationship": "sibling"},
            ],
            [1, 2],
            5,
        ),
        ([{"relationship": "designated"}, {"relationship": "parent_in_law"}], [1], 6),
        ([{"relationship": "designated"}], [0], 7),
        ([], [], None),
    ],
)
def test_heirs_examples(family, heirs, tier):
    result = evaluate(
        {"kind": "heirs", "deceased": {"date_of_death": "2025-09-01"}, "family": family}
    )
    assert (result["heirs"], result["tier"]) == (heirs, tier)
    assert result["basis"] and result["basis_id"]


def test_heirs_refuse_unknown_relationships():
    result = evaluate({"kind": "heirs", "family": [{"relationship": "neighbour"}]})
    assert result["error"]["code"] == "invalid_case"


# --- Rule data and documentation ------------------------------------------------------------


def test_every_rule_row_has_a_source_and_a_known_confidence():
    assert BOOK.versions
    for version in BOOK.versions:
        assert version.source.strip()
        assert version.confidence in {"sure", "check"}


def test_rule_book_refuses_two_versions_starting_the_same_day():
    row = {"key": "x", "value": 1, "effective_from": D(2025, 1, 1), "source": "s"}
    with pytest.raises(ValueError):
        RuleBook.from_rows([row, dict(row)])


def test_rules_md_is_generated_from_the_data(capsys):
    from pathlib import Path

    from django.core.management import call_command

    call_command("rules", "docs")
    generated = capsys.readouterr().out
    committed = (Path(__file__).resolve().parent.parent / "docs" / "RULES.md").read_text()
    assert generated == committed, "regenerate: jaring rules docs > docs/RULES.md"
    for key in BOOK.keys():
        assert f"`{key}`" in committed


def test_cli_evaluates_a_file_of_cases(tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "cases.json"
    path.write_text(json.dumps([contribution_case(), benefit_case(), {"kind": "nope"}]))
    call_command("rules", "evaluate", str(path))
    results = json.loads(capsys.readouterr().out)
    assert [r.get("total") for r in results[:2]] == [16_800, 42_000_000]
    assert results[2]["error"]["code"] == "invalid_case"


def test_cli_reports_unreadable_input_without_a_traceback(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("rules", "evaluate", str(broken))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("rules", "evaluate", str(tmp_path / "missing.json"))


def test_decimal_percent_is_exact():
    facts = rules.BenefitFacts(
        program=rules.Program.JKK,
        event=rules.Event.PARTIAL_DISABILITY,
        event_date=D(2025, 9, 22),
        membership_start=D(2025, 1, 1),
        paid_through=D(2025, 9, 1),
        declared_income=3_333_333,
        disability_percent=Decimal("33.3"),
    )
    # 33.3% x 80 x 3,333,333 = 88,799,991.12 -> 88,799,991
    assert rules.benefit(BOOK, facts).total == 88_799_991


@given(st.integers(min_value=0, max_value=10**13))
def test_whole_rupiah_rounds_every_half_rupiah_up(rupiah):
    # Half up, as BPJS prices: banker's rounding would take 0,5 / 2,5 / 4,5 … down.
    assert rules.whole_rupiah(Decimal(rupiah) + Decimal("0.5")) == rupiah + 1


@given(st.integers(min_value=0, max_value=10**15))
def test_whole_rupiah_is_the_nearest_rupiah_with_halves_up(sen):
    assert rules.whole_rupiah(Decimal(sen) / 100) == (sen + 50) // 100
