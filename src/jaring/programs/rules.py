"""Contribution, benefit, eligibility and heir rules: pure functions over a RuleBook.

Every function takes the rule book and the facts of one case and returns plain results with
the references of the rule versions it used, so that each rupiah can be traced to a regulation.
Amounts are whole rupiah (``int``); rates are ``Decimal``; rounding is half-up, once, at the end
of each line.
"""

from __future__ import annotations

import csv
import datetime
import functools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jaring.core.i18n import both, render
from jaring.programs.rulebook import RuleBook


class Program(StrEnum):
    JKK = "JKK"
    JKM = "JKM"
    JHT = "JHT"


class Event(StrEnum):
    DEATH = "death"
    WORK_ACCIDENT_DEATH = "work_accident_death"
    TOTAL_DISABILITY = "total_disability"
    PARTIAL_DISABILITY = "partial_disability"
    TEMPORARY_INCAPACITY = "temporary_incapacity"


class Education(StrEnum):
    TK = "TK"
    SD = "SD"
    SMP = "SMP"
    SMA = "SMA"
    PT = "PT"


EDUCATION_ORDER = list(Education)
EVENTS_BY_PROGRAM = {
    Program.JKM: {Event.DEATH},
    Program.JKK: {
        Event.WORK_ACCIDENT_DEATH,
        Event.TOTAL_DISABILITY,
        Event.PARTIAL_DISABILITY,
        Event.TEMPORARY_INCAPACITY,
    },
}
SCHOLARSHIP_EVENTS = {Event.DEATH, Event.WORK_ACCIDENT_DEATH, Event.TOTAL_DISABILITY}
MANDATORY_PROGRAMS = {Program.JKK, Program.JKM}


class RuleError(ValueError):
    """The case cannot be judged: impossible or contradictory input. ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# Reasons a person reads: a stable code and an English msgid (Indonesian in locale/id).
REASONS = {
    "covered": _("Covered on the event date; contributions paid."),
    "covered_with_arrears": _(
        "Covered on the event date; %(months)s month(s) of contributions in arrears must be "
        "paid before the benefit is paid."
    ),
    "membership_inactive": _(
        "Not covered: %(months)s consecutive months unpaid at the event date, membership inactive."
    ),
    "not_enrolled": _("Not covered: no enrolment with a KPJ number covered the event date."),
    "no_kpj": _("Not covered yet: the enrolment has been sent to BPJS but has no KPJ number."),
    "not_started": _("Not covered yet: the enrolment starts after this date."),
    "enrolment_ended": _("Not covered: the enrolment ended before this date."),
    "deceased": _("Not covered: the worker died before this date."),
    "nothing_paid": _(
        "Not covered: no contribution had been paid for this enrolment by the event date."
    ),
    "not_judged": _("Cannot be judged: %(message)s"),
    "claim_expired": _(
        "Claim too late: the right to claim ended on %(deadline)s (%(years)s years after the "
        "event)."
    ),
}


def reason(code: str, **values) -> dict:
    """The reason as stored with a claim: its code and its text in English and Indonesian."""
    english, indonesian = both(REASONS[code], **values)
    return {"reason_code": code, "reason": english, "reason_id": indonesian}


def whole_rupiah(amount: Decimal | int) -> int:
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_between(earlier: datetime.date, later: datetime.date) -> int:
    """Whole calendar months from the month of ``earlier`` to the month of ``later``."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def full_months_elapsed(start: datetime.date, end: datetime.date) -> int:
    """Completed months from ``start`` to ``end`` (1 Mar → 28 Feb is 11, → 1 Mar is 12)."""
    months = months_between(start, end)
    return months - 1 if end.day < start.day else months


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year + years, day=28)


# --- Contributions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionLine:
    program: Program
    amount: int


@dataclass(frozen=True)
class Contribution:
    lines: tuple[ContributionLine, ...]
    rule_refs: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class ContributionParameters:
    """The contribution rules in force for one month, for one funding category."""

    income_min: int
    income_max: int
    rates: dict[Program, Decimal]  # share of declared income (JKK, JHT)
    flat: dict[Program, int]  # fixed amount (JKM)
    relief_factor: Decimal | None  # applies to relief_programs for relief_groups only
    relief_programs: frozenset[Program]
    relief_groups: frozenset[str]
    rule_refs: tuple[str, ...]

    def amount(self, program: Program, declared_income: int, relieved: bool) -> int:
        base = (
            declared_income * self.rates[program]
            if program in self.rates
            else Decimal(self.flat[program])
        )
        if relieved and program in self.relief_programs:
            base *= self.relief_factor
        return whole_rupiah(base)


def contribution_parameters(
    book: RuleBook, month: datetime.date, funding: str | None = None
) -> ContributionParameters:
    """Everything a billing run needs to price a month, in one object (rules read once)."""
    day = month_start(month)
    bounds = book.at("contribution.declared_income", day)
    jkk = book.at("contribution.jkk.rate", day)
    jkm = book.at("contribution.jkm.amount", day)
    jht = book.at("contribution.jht.rate", day)
    refs = [bounds.ref, jkk.ref, jkm.ref, jht.ref]
    relief = book.find("contribution.relief", day)
    relief_factor, relief_programs, relief_groups = None, frozenset(), frozenset()
    if relief and funding not in relief.value["excluded_funding"]:
        relief_factor = Decimal(relief.value["factor"])
        relief_programs = frozenset(Program(p) for p in relief.value["programs"])
        relief_groups = frozenset(relief.value["occupation_groups"])
        refs.append(relief.ref)
    return ContributionParameters(
        income_min=bounds.value["min"],
        income_max=bounds.value["max"],
        rates={Program.JKK: Decimal(jkk.value), Program.JHT: Decimal(jht.value)},
        flat={Program.JKM: int(jkm.value)},
        relief_factor=relief_factor,
        relief_programs=relief_programs,
        relief_groups=relief_groups,
        rule_refs=tuple(refs),
    )


def monthly_contribution(
    book: RuleBook,
    month: datetime.date,
    declared_income: int,
    programs: set[Program] | frozenset[Program] = MANDATORY_PROGRAMS,
    occupation_group: str | None = None,
    funding: str | None = None,
) -> Contribution:
    """One participant's contribution for one month, line by line."""
    missing = MANDATORY_PROGRAMS - set(programs)
    if missing:
        raise RuleError(
            "mandatory_programs",
            "A Bukan Penerima Upah participant must take both JKK and JKM "
            f"(missing: {', '.join(sorted(missing))}).",
        )
    params = contribution_parameters(book, month, funding)
    if not params.income_min <= declared_income <= params.income_max:
        raise RuleError(
            "declared_income_out_of_range",
            f"Declared income must be between {params.income_min} and {params.income_max} "
            f"rupiah, not {declared_income}.",
        )
    relieved = params.relief_factor is not None and occupation_group in params.relief_groups
    lines = tuple(
        ContributionLine(program, params.amount(program, declared_income, relieved))
        for program in Program
        if program in programs
    )
    refs = [
        ref for ref in params.rule_refs if relieved or not ref.startswith("contribution.relief")
    ]
    if Program.JHT not in programs:
        refs = [ref for ref in refs if not ref.startswith("contribution.jht")]
    return Contribution(lines=lines, rule_refs=tuple(refs))


# --- Coverage and eligibility --------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: dict
    arrears_months: int = 0
    rule_refs: tuple[str, ...] = ()


def coverage_on(
    book: RuleBook,
    event_date: datetime.date,
    membership_start: datetime.date,
    paid_through: datetime.date,
) -> Eligibility:
    """Was the participant protected on ``event_date``, given contributions paid through a month?"""
    if event_date < membership_start:
        raise RuleError("event_before_membership", "The event is before the membership started.")
    if month_start(paid_through) < month_start(membership_start):
        raise RuleError(
            "paid_through_before_membership",
            "Contributions cannot be paid through a month before the membership started.",
        )
    unpaid = max(0, months_between(paid_through, event_date))
    arrears = book.find("contribution.arrears", event_date)
    tolerated = arrears.value["inactive_after_months"] if arrears else 0
    refs = (arrears.ref,) if arrears else ()
    if unpaid == 0:
        return Eligibility(True, reason("covered"), 0, refs)
    if unpaid <= tolerated:
        return Eligibility(True, reason("covered_with_arrears", months=unpaid), unpaid, refs)
    return Eligibility(False, reason("membership_inactive", months=unpaid), unpaid, refs)


def claim_deadline(
    book: RuleBook, program: Program, event_date: datetime.date
) -> tuple[datetime.date | None, str]:
    """The last day a claim may be filed (None: no deadline) and the rule's reference."""
    rule = book.at(f"{program.value.lower()}.claim_deadline_years", event_date)
    if not rule.value:
        return None, rule.ref
    return add_years(event_date, rule.value), rule.ref


# --- Benefits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    birth_date: datetime.date
    education: Education | None
    married: bool = False
    working: bool = False
    alive: bool = True


@dataclass(frozen=True)
class BenefitFacts:
    program: Program
    event: Event
    event_date: datetime.date
    membership_start: datetime.date
    paid_through: datetime.date
    declared_income: int | None = None
    disability_percent: Decimal = Decimal(0)
    incapacity_days: int = 0
    children: tuple[Child, ...] = ()
    claim_date: datetime.date | None = None


@dataclass
class Scholarship:
    eligible: bool
    children: list[dict] = field(default_factory=list)
    total: int = 0
    note: str = ""
    note_id: str = ""


SCHOLARSHIP_NOTES = {
    "no_scholarship_event": _("not an event with a scholarship"),
    "not_covered": _("the participant was not covered"),
    "membership_too_short": _(
        "membership of %(months)s months is below the %(required)s months required"
    ),
    "no_child_in_education": _("no child in education below the age limit"),
}


def _no_scholarship(code: str, **values) -> Scholarship:
    note, note_id = both(SCHOLARSHIP_NOTES[code], **values)
    return Scholarship(eligible=False, note=note, note_id=note_id)


@dataclass
class Benefit:
    eligibility: Eligibility
    components: list[dict]
    scholarship: Scholarship
    rule_refs: list[str]

    @property
    def total(self) -> int:
        return sum(component["amount"] for component in self.components)


def benefit(book: RuleBook, facts: BenefitFacts) -> Benefit:
    """Eligibility, cash components and scholarship for one death or accident."""
    _check_benefit_facts(facts)
    eligibility = coverage_on(book, facts.event_date, facts.membership_start, facts.paid_through)
    refs = list(eligibility.rule_refs)
    deadline, deadline_ref = claim_deadline(book, facts.program, facts.event_date)
    refs.append(deadline_ref)
    if eligibility.eligible and deadline and facts.claim_date and facts.claim_date > deadline:
        years = book.at(f"{facts.program.value.lower()}.claim_deadline_years", facts.event_date)
        eligibility = Eligibility(
            False,
            reason("claim_expired", deadline=deadline.isoformat(), years=years.value),
            eligibility.arrears_months,
            eligibility.rule_refs,
        )
    components, component_refs = _cash_components(book, facts)
    refs += component_refs
    scholarship = _no_scholarship("no_scholarship_event")
    if facts.event in SCHOLARSHIP_EVENTS:
        scholarship, scholarship_ref = _scholarship(book, facts)
        refs.append(scholarship_ref)
    if not eligibility.eligible:
        scholarship = _no_scholarship("not_covered")
    return Benefit(eligibility, components, scholarship, refs)


def _check_benefit_facts(facts: BenefitFacts) -> None:
    if facts.event not in EVENTS_BY_PROGRAM[facts.program]:
        allowed = ", ".join(sorted(EVENTS_BY_PROGRAM[facts.program]))
        raise RuleError(
            "event_not_in_program",
            f"{facts.program.value} pays for: {allowed}; not {facts.event.value}.",
        )
    if facts.program is Program.JKK and not facts.declared_income:
        raise RuleError("declared_income_required", "JKK benefits need the declared income.")
    if facts.declared_income is not None and facts.declared_income <= 0:
        raise RuleError("declared_income_not_positive", "Declared income must be positive.")
    if facts.claim_date and facts.claim_date < facts.event_date:
        raise RuleError("claim_before_event", "The claim date is before the event.")
    if facts.event is Event.PARTIAL_DISABILITY and not 0 < facts.disability_percent < 100:
        raise RuleError(
            "disability_percent_range",
            "Partial disability needs the table percentage, above 0 and below 100.",
        )
    if facts.event is Event.TEMPORARY_INCAPACITY and facts.incapacity_days <= 0:
        raise RuleError(
            "incapacity_days_required", "Temporary incapacity needs the number of days (> 0)."
        )


def _periodic(value: dict) -> int:
    return value["periodic_monthly"] * value["periodic_months"]


def _cash_components(book: RuleBook, facts: BenefitFacts) -> tuple[list[dict], list[str]]:
    day, wage = facts.event_date, facts.declared_income or 0
    if facts.event is Event.DEATH:
        rule = book.at("jkm.death", day)
        value = rule.value
        parts = [
            ("lump_sum", value["lump_sum"]),
            ("periodic", _periodic(value)),
            ("funeral", value["funeral"]),
        ]
    elif facts.event is Event.WORK_ACCIDENT_DEATH:
        rule = book.at("jkk.death", day)
        value = rule.value
        parts = [
            ("death_compensation", value["wage_multiple"] * wage),
            ("periodic", _periodic(value)),
            ("funeral", value["funeral"]),
        ]
    elif facts.event is Event.TOTAL_DISABILITY:
        rule = book.at("jkk.total_disability", day)
        value = rule.value
        parts = [
            ("disability", Decimal(value["percent"]) * value["wage_multiple"] * wage),
            ("periodic", _periodic(value)),
        ]
    elif facts.event is Event.PARTIAL_DISABILITY:
        rule = book.at("jkk.partial_disability", day)
        amount = facts.disability_percent / 100 * rule.value["wage_multiple"] * wage
        parts = [("disability", amount)]
    else:
        rule = book.at("jkk.temporary_incapacity", day)
        amount = temporary_incapacity(rule.value, wage, facts.incapacity_days)
        parts = [("temporary_incapacity", amount)]
    return [{"code": code, "amount": whole_rupiah(amount)} for code, amount in parts], [rule.ref]


def temporary_incapacity(value: dict, wage: int, days: int, days_before: int = 0) -> Decimal:
    """STMB for ``days`` days unable to work after ``days_before`` days already counted (one
    period of several): a day within the first ``full_rate_months`` of incapacity at the full
    rate, any later day at the reduced rate."""
    full_days = value["full_rate_months"] * value["days_per_month"]
    at_full = max(0, min(days_before + days, full_days) - days_before)
    at_reduced = days - at_full
    daily = Decimal(wage) / value["days_per_month"]
    return daily * (
        at_full * Decimal(value["full_rate"]) + at_reduced * Decimal(value["reduced_rate"])
    )


def _scholarship_key(facts: BenefitFacts) -> str:
    return "jkm.scholarship" if facts.program is Program.JKM else "jkk.scholarship"


def _scholarship(book: RuleBook, facts: BenefitFacts) -> tuple[Scholarship, str]:
    rule = book.at(_scholarship_key(facts), facts.event_date)
    value = rule.value
    membership = full_months_elapsed(facts.membership_start, facts.event_date)
    if membership < value["min_membership_months"]:
        short = _no_scholarship(
            "membership_too_short", months=membership, required=value["min_membership_months"]
        )
        return short, rule.ref
    candidates = [
        (index, child)
        for index, child in enumerate(facts.children)
        if child.alive and not child.married and not child.working and child.education
    ]
    if value["kind"] == "flat":
        chosen = candidates[: value["max_children"]]
        children = [
            {
                "index": i,
                "level": c.education.value,
                "per_year": value["amount"],
                "years": 1,
                "schedule": [],
                "total": value["amount"],
            }
            for i, c in chosen
        ]
        total = sum(child["total"] for child in children)
        return Scholarship(eligible=bool(children), children=children, total=total), rule.ref

    children = []
    for index, child in candidates:
        plan = _schedule(value, child, facts.event_date)
        if plan:
            children.append(_child_entitlement(index, child, plan))
        if len(children) == value["max_children"]:
            break
    if not children:
        return _no_scholarship("no_child_in_education"), rule.ref
    total = min(sum(child["total"] for child in children), value["cap_total"])
    return Scholarship(eligible=True, children=children, total=total), rule.ref


def _schedule(value: dict, child: Child, event_date: datetime.date) -> list[dict]:
    """Years paid per level, from the child's level on, one payment a year until the age limit."""
    payments_left = 0
    while add_years(event_date, payments_left) < add_years(child.birth_date, value["max_age"]):
        payments_left += 1
    plan = []
    for level in EDUCATION_ORDER[EDUCATION_ORDER.index(child.education) :]:
        level_rule = value["levels"][level.value]
        years = min(level_rule["max_years"], payments_left)
        if years == 0:
            break
        payments_left -= years
        plan.append(
            {
                "level": level.value,
                "per_year": level_rule["per_year"],
                "years": years,
                "amount": level_rule["per_year"] * years,
            }
        )
    return plan


def _child_entitlement(index: int, child: Child, plan: list[dict]) -> dict:
    current = plan[0]
    return {
        "index": index,
        "level": current["level"],
        "per_year": current["per_year"],
        "years": current["years"],
        "schedule": plan,
        "total": sum(step["amount"] for step in plan),
    }


# --- Heirs (ahli waris) ---------------------------------------------------------------------


class Relationship(StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDCHILD = "grandchild"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    PARENT_IN_LAW = "parent_in_law"
    DESIGNATED = "designated"


RELATIONSHIP_NAMES = {
    "spouse": pgettext_lazy("heir", "widow/widower"),
    "child": pgettext_lazy("heir", "child"),
    "parent": pgettext_lazy("heir", "parent"),
    "grandchild": pgettext_lazy("heir", "grandchild"),
    "grandparent": pgettext_lazy("heir", "grandparent"),
    "sibling": pgettext_lazy("heir", "sibling"),
    "parent_in_law": pgettext_lazy("heir", "parent-in-law"),
    "designated": pgettext_lazy("heir", "designated in a will"),
}
HEIR_BASIS = _("Priority tier %(tier)s (%(names)s): the highest tier with a living member.")
NO_HEIR_BASIS = _(
    "No heir: the funeral cost goes to whoever arranged the funeral; the other benefits return "
    "to the social-security fund."
)


def _tier_basis(tier: int, relationships: list[str], language: str) -> str:
    """Why this tier inherits, in ``language`` (the relationships joined by "or")."""
    joiner = f" {render(_('or'), language)} "
    names = joiner.join(render(RELATIONSHIP_NAMES[r], language) for r in relationships)
    return render(HEIR_BASIS, language, tier=tier, names=names)


@dataclass(frozen=True)
class FamilyMember:
    relationship: Relationship
    alive: bool = True
    birth_date: datetime.date | None = None
    married: bool | None = None


@dataclass(frozen=True)
class HeirDecision:
    heirs: list[int]
    tier: int | None
    basis: str
    basis_id: str
    rule_ref: str


def choose_heirs(book: RuleBook, day: datetime.date, family: list[FamilyMember]) -> HeirDecision:
    """The rightful heirs: every living member of the highest non-empty priority tier."""
    rule = book.at("heirs.priority", day)
    for tier, relationships in enumerate(rule.value, start=1):
        chosen = [
            index
            for index, member in enumerate(family)
            if member.alive and member.relationship.value in relationships
        ]
        if chosen:
            return HeirDecision(
                heirs=chosen,
                tier=tier,
                basis=_tier_basis(tier, relationships, "en"),
                basis_id=_tier_basis(tier, relationships, "id"),
                rule_ref=rule.ref,
            )
    basis, basis_id = both(NO_HEIR_BASIS)
    return HeirDecision(heirs=[], tier=None, basis=basis, basis_id=basis_id, rule_ref=rule.ref)


# --- Expected deaths: what a cohort's contributions buy ---------------------------------------

MORTALITY_FILE = Path(__file__).resolve().parent / "data" / "mortality_tmi4_2019.csv"
MORTALITY_SOURCE = "Tabel Mortalita Indonesia IV (2019), AAJI"


@functools.cache
def mortality_table() -> dict[tuple[int, str], Decimal]:
    """qx by (age last birthday, sex 'L'/'P') from the shipped table (its header: source,
    licence, caveats). Read once; the file is part of the package, not a user's data."""
    with MORTALITY_FILE.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(int(r["age"]), r["sex"]): Decimal(r["qx"]) for r in rows}


def death_probability(age: int, sex: str, months: int = 12) -> Decimal:
    """The chance of dying within ``months`` at ``age``: qx pro rata, ages outside the table
    read at its nearest edge (the cohort's age rule keeps them near it)."""
    table = mortality_table()
    ages = [a for a, s in table if s == sex]
    age = min(max(age, min(ages)), max(ages))
    return table[(age, sex)] * months / 12


@dataclass(frozen=True)
class CohortExpectation:
    """Deaths expected in a cohort over its covered months and the JKM benefits they bring to
    families, against what the cohort's contributions cost."""

    participants: int
    deaths: Decimal
    benefit_per_death: int
    contributions: int
    rule_refs: tuple[str, ...]

    @property
    def benefits(self) -> int:
        return whole_rupiah(self.deaths * self.benefit_per_death)

    @property
    def benefits_per_rupiah(self) -> Decimal:
        """Rupiah of benefits expected for each rupiah of contribution."""
        if not self.contributions:
            return Decimal(0)
        return (Decimal(self.benefits) / self.contributions).quantize(Decimal("0.01"))


def expected_in_cohort(
    book: RuleBook,
    cohort: list[tuple[int, str, int]],
    months: int,
    day: datetime.date,
    contributions: int,
) -> CohortExpectation:
    """``cohort`` is (age last birthday, sex, participants) rows covered for ``months``; the
    JKM cash benefit (lump sum, periodic, funeral) is the one in force on ``day``."""
    deaths = sum((n * death_probability(age, sex, months) for age, sex, n in cohort), Decimal(0))
    rule = book.at("jkm.death", day)
    value = rule.value
    return CohortExpectation(
        participants=sum(n for _age, _sex, n in cohort),
        deaths=deaths,
        benefit_per_death=value["lump_sum"] + _periodic(value) + value["funeral"],
        contributions=contributions,
        rule_refs=(rule.ref,),
    )
