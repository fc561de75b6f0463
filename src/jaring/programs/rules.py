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

    def __init__(self, code: str, message: str, message_id: str = ""):
        super().__init__(message)
        self.code = code
        self.message_id = message_id or message


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

    income_steps: tuple[int, ...]  # the declared-income table's nominal steps, ascending
    rates: dict[Program, Decimal]  # share of declared income (JKK, JHT)
    flat: dict[Program, int]  # fixed amount (JKM)
    relief_factor: Decimal | None  # applies to relief_programs for the groups relieved only
    relief_programs: frozenset[Program]
    relief_groups: frozenset[str]  # occupation groups relieved by name (transport)
    # None: only relief_groups are relieved; a set: every group but these is relieved too
    # (PP 50/2025's non-transport relief, April-December 2026).
    relief_all_but: frozenset[str] | None
    rule_refs: tuple[str, ...]

    @property
    def income_min(self) -> int:
        return self.income_steps[0]

    @property
    def income_max(self) -> int:
        return self.income_steps[-1]

    def relieves(self, occupation_group: str | None) -> bool:
        if self.relief_factor is None:
            return False
        if occupation_group in self.relief_groups:
            return True
        return self.relief_all_but is not None and occupation_group not in self.relief_all_but

    def amount(self, program: Program, declared_income: int, relieved: bool) -> int:
        base = (
            declared_income * self.rates[program]
            if program in self.rates
            else Decimal(self.flat[program])
        )
        if relieved and program in self.relief_programs:
            base *= self.relief_factor
        return whole_rupiah(base)


# The declared income is a nominal step of a table (PP 44/2015 Lampiran II as amended): one
# definition, used by the registry's form and import, the API and the contribution itself.
INCOME_NOT_IN_TABLE = _(
    "The declared income Rp%(income)s is not a step of the BPJS income table; choose "
    "%(nearest)s (steps from Rp%(lowest)s to Rp%(highest)s)."
)


def income_steps(book: RuleBook, day: datetime.date) -> tuple[int, ...]:
    """Every nominal declared income the table in force on ``day`` allows, ascending."""
    rule = book.at("contribution.declared_income", day)
    steps = set()
    for segment in rule.value["brackets"]:
        step = segment["step"] or 1
        steps.update(range(segment["from"], segment["to"] + 1, step))
    return tuple(sorted(steps))


def _rupiah_digits(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def income_problem(steps: tuple[int, ...], income: int) -> dict | None:
    """None for a step of the table; else the parameters of INCOME_NOT_IN_TABLE (the nearest
    steps are named, so the person can choose one instead of guessing)."""
    if income in steps:
        return None
    below = [step for step in steps if step < income][-1:]
    above = [step for step in steps if step > income][:1]
    return {
        "income": _rupiah_digits(income),
        "nearest": " / ".join(f"Rp{_rupiah_digits(step)}" for step in below + above),
        "lowest": _rupiah_digits(steps[0]),
        "highest": _rupiah_digits(steps[-1]),
    }


def check_declared_income(book: RuleBook, day: datetime.date, income: int) -> None:
    """Refuse an income that is not a step of the table in force on ``day`` (RuleError)."""
    _refuse_off_table(income_steps(book, day), income)


def _refuse_off_table(steps: tuple[int, ...], income: int) -> None:
    params = income_problem(steps, income)
    if params:
        english, indonesian = both(INCOME_NOT_IN_TABLE, **params)
        raise RuleError("declared_income_not_in_table", english, indonesian)


# PP 50/2025: the transport relief, and the relief for every other BPU participant.
RELIEF_KEYS = ("contribution.relief", "contribution.relief.non_transport")


def _reliefs(book: RuleBook, day: datetime.date, funding: str | None) -> list:
    """The relief rows in force for this funding (PP 50/2025: not for APBN/APBD-funded ones)."""
    rows = [book.find(key, day) for key in RELIEF_KEYS]
    return [row for row in rows if row and funding not in row.value["excluded_funding"]]


def _row_relieves(groups: list | dict, occupation_group: str | None) -> bool:
    """A relief row's groups: a list names them; {"all_but": [...]} is every group but these."""
    if isinstance(groups, dict):
        return occupation_group not in groups["all_but"]
    return occupation_group in groups


def contribution_parameters(
    book: RuleBook, month: datetime.date, funding: str | None = None
) -> ContributionParameters:
    """Everything a billing run needs to price a month, in one object (rules read once)."""
    day = month_start(month)
    table = book.at("contribution.declared_income", day)
    jkk = book.at("contribution.jkk.rate", day)
    jkm = book.at("contribution.jkm.amount", day)
    jht = book.at("contribution.jht.rate", day)
    refs = [table.ref, jkk.ref, jkm.ref, jht.ref]
    reliefs = _reliefs(book, day, funding)
    if len({row.value["factor"] for row in reliefs}) > 1:
        raise RuleError("relief_factors_differ", "Two reliefs with different factors overlap.")
    named, all_but = set(), None
    for row in reliefs:
        groups = row.value["occupation_groups"]
        if isinstance(groups, dict):  # {"all_but": [...]}: every group but these
            others = set(groups["all_but"])
            all_but = others if all_but is None else all_but & others
        else:
            named.update(groups)
        refs.append(row.ref)
    return ContributionParameters(
        income_steps=income_steps(book, day),
        rates={Program.JKK: Decimal(jkk.value), Program.JHT: Decimal(jht.value)},
        flat={Program.JKM: int(jkm.value)},
        relief_factor=Decimal(reliefs[0].value["factor"]) if reliefs else None,
        relief_programs=frozenset(Program(p) for row in reliefs for p in row.value["programs"]),
        relief_groups=frozenset(named),
        relief_all_but=None if all_but is None else frozenset(all_but - named),
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
    _refuse_off_table(params.income_steps, declared_income)
    relieved = params.relieves(occupation_group)
    lines = tuple(
        ContributionLine(program, params.amount(program, declared_income, relieved))
        for program in Program
        if program in programs
    )
    refs = [ref for ref in params.rule_refs if not ref.startswith("contribution.relief")]
    if relieved:
        refs += [ref for ref in params.rule_refs if _relief_applies(book, ref, occupation_group)]
    if Program.JHT not in programs:
        refs = [ref for ref in refs if not ref.startswith("contribution.jht")]
    return Contribution(lines=lines, rule_refs=tuple(refs))


def _relief_applies(book: RuleBook, ref: str, occupation_group: str | None) -> bool:
    """Whether the relief row ``ref`` is the one that relieves this occupation group."""
    key, _sep, start = ref.partition("@")
    if key not in RELIEF_KEYS:
        return False
    row = book.at(key, datetime.date.fromisoformat(start))
    return _row_relieves(row.value["occupation_groups"], occupation_group)


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
    grade: int | None = None  # the class within its level (SD class 4 = 4); None: its first


def remaining_years_in_level(level: Education, grade: int | None, max_years: int) -> int:
    """Years of a level still to be paid from the child's current class on (class 4 of SD's six
    years leaves three: 4, 5 and 6... the current year included, so 6 - 4 + 1 = 3)."""
    return max(0, max_years - (grade or 1) + 1)


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
    "deferred": _("deferred until the child starts school (its first application)"),
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
    basis: dict  # which rule decided the cash amount: rule_ref, basis, basis_id

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
    basis = benefit_basis(book, facts, component_refs)
    scholarship = _no_scholarship("no_scholarship_event")
    if facts.event in SCHOLARSHIP_EVENTS:
        scholarship, scholarship_refs = _scholarship(book, facts)
        refs += scholarship_refs
    if not eligibility.eligible:
        scholarship = _no_scholarship("not_covered")
    return Benefit(eligibility, components, scholarship, refs, basis)


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
        early = _early_death_rule(book, facts)
        if early:
            return _components(early.value["components"].items()), [early.ref]
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
    return _components(parts), [rule.ref]


def _components(parts) -> list[dict]:
    return [{"code": code, "amount": whole_rupiah(amount)} for code, amount in parts]


def _early_death_rule(book: RuleBook, facts: BenefitFacts):
    """The reduced-JKM row when it is switched on and the BPU participant died within its first
    months of membership (reported by BPJS branches, [check]); else None."""
    rule = book.find("jkm.early_death_bpu", facts.event_date)
    if rule is None or not rule.value["enabled"]:
        return None
    months = full_months_elapsed(facts.membership_start, facts.event_date)
    return rule if months < rule.value["within_months"] else None


# Which rule decided the cash amount, as a person reads it (shown with the claim).
BASES = {
    "full": _("The full benefit of rule %(ref)s."),
    "early_death": _(
        "A reduced benefit: the participant died after %(months)s completed month(s) of "
        "membership, within the first %(within)s months (rule %(ref)s, still to be confirmed "
        "against the regulation)."
    ),
}


def benefit_basis(book: RuleBook, facts: BenefitFacts, refs: list[str]) -> dict:
    """The rule that decided the cash components, with its reason in English and Indonesian."""
    early = _early_death_rule(book, facts) if facts.event is Event.DEATH else None
    if early:
        months = full_months_elapsed(facts.membership_start, facts.event_date)
        english, indonesian = both(
            BASES["early_death"],
            months=months,
            within=early.value["within_months"],
            ref=early.ref,
        )
        return {"rule_ref": early.ref, "basis": english, "basis_id": indonesian}
    english, indonesian = both(BASES["full"], ref=refs[0])
    return {"rule_ref": refs[0], "basis": english, "basis_id": indonesian}


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


def _check_grade(value: dict, child: Child) -> None:
    max_years = value["levels"][child.education.value]["max_years"]
    if child.grade is not None and not 1 <= child.grade <= max_years:
        raise _year_refused("grade_out_of_range", level=child.education.value, years=max_years)


def _scholarship(book: RuleBook, facts: BenefitFacts) -> tuple[Scholarship, list[str]]:
    rule = book.at(_scholarship_key(facts), facts.event_date)
    value = rule.value
    membership = full_months_elapsed(facts.membership_start, facts.event_date)
    if membership < value["min_membership_months"]:
        short = _no_scholarship(
            "membership_too_short", months=membership, required=value["min_membership_months"]
        )
        return short, [rule.ref]
    deferred = book.find("scholarship.deferred_entitlement", facts.event_date)
    keeps_deferred = bool(deferred and deferred.value["enabled"])
    candidates = [
        (index, child)
        for index, child in enumerate(facts.children)
        if child.alive and not child.married and not (child.working and value["working_excludes"])
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
            if c.education
        ]
        total = sum(child["total"] for child in children)
        return Scholarship(eligible=bool(children), children=children, total=total), [rule.ref]

    children = []
    for index, child in candidates:
        if child.education is None:
            if keeps_deferred and facts.event_date < add_years(child.birth_date, value["max_age"]):
                children.append(_deferred_entitlement(index))
        else:
            _check_grade(value, child)
            plan = _schedule(value, child, facts.event_date)
            if plan:
                children.append(_child_entitlement(index, child, plan))
        if len(children) == value["max_children"]:
            break
    if not children:
        return _no_scholarship("no_child_in_education"), [rule.ref]
    total = min(sum(child["total"] for child in children), value["cap_total"])
    refs = [rule.ref, deferred.ref] if any_deferred(children) else [rule.ref]
    return Scholarship(eligible=True, children=children, total=total), refs


def any_deferred(children: list[dict]) -> bool:
    return any(child.get("deferred") for child in children)


def _deferred_entitlement(index: int) -> dict:
    """A child not yet at school keeps its place (one of the children), paid once it starts."""
    note, note_id = both(SCHOLARSHIP_NOTES["deferred"])
    return {
        "index": index,
        "deferred": True,
        "level": "",
        "per_year": 0,
        "years": 0,
        "schedule": [],
        "total": 0,
        "note": note,
        "note_id": note_id,
    }


def _schedule(value: dict, child: Child, event_date: datetime.date) -> list[dict]:
    """Years paid per level, from the child's current class on (class 4 of SD leaves three SD
    years), then every later level in full, one payment a year until the age limit."""
    payments_left = 0
    while add_years(event_date, payments_left) < add_years(child.birth_date, value["max_age"]):
        payments_left += 1
    plan = []
    for level in EDUCATION_ORDER[EDUCATION_ORDER.index(child.education) :]:
        level_rule = value["levels"][level.value]
        in_level = level_rule["max_years"]
        if level is child.education:
            in_level = remaining_years_in_level(level, child.grade, in_level)
        years = min(in_level, payments_left)
        if years == 0 and level is child.education:
            continue  # past the level's paid years (a repeated class): the next level pays
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
        "grade": child.grade if current["level"] == child.education.value else None,
        "level": current["level"],
        "per_year": current["per_year"],
        "years": current["years"],
        "schedule": plan,
        "total": sum(step["amount"] for step in plan),
    }


# --- Scholarship year by year -----------------------------------------------------------------
# BPJS pays the scholarship each school year on application with a school certificate. Each
# year is judged when it is applied for, against the years already granted for the claim.


@dataclass(frozen=True)
class YearGranted:
    child: int  # any stable id of the child within the claim
    level: Education
    amount: int
    final_year: bool = False


@dataclass(frozen=True)
class YearApplication:
    child: int
    birth_date: datetime.date
    married: bool
    working: bool
    level: Education
    grade: int
    school_year_starts: datetime.date  # the first day of the school year applied for
    applied_on: datetime.date


YEAR_REFUSALS = {
    "scholarship_not_granted": _("The scholarship was not granted for this child."),
    "scholarship_married": _("The scholarship ends when the child marries."),
    "scholarship_working": _("The scholarship ends when the child works (before 24 Feb 2025)."),
    "scholarship_age_limit": _("The scholarship ends at age %(age)s."),
    "scholarship_graduated": _("The child finished education in an earlier year."),
    "scholarship_level_used": _("The %(level)s years of this child are all paid (%(years)s)."),
    "scholarship_cap_reached": _("The claim's scholarship cap of Rp%(cap)s is reached."),
    "grade_out_of_range": _("%(level)s has classes 1 to %(years)s."),
}


def _year_refused(code: str, **values) -> RuleError:
    english, indonesian = both(YEAR_REFUSALS[code], **values)
    return RuleError(code, english, indonesian)


def scholarship_year(
    book: RuleBook,
    program: Program,
    event_date: datetime.date,
    application: YearApplication,
    granted: list[YearGranted],
) -> tuple[int, str]:
    """The amount BPJS owes for one school year of one child, and the rule's reference; a
    refusal (RuleError with a readable Indonesian text) when the years have stopped: marriage,
    work (before Permenaker 1/2025), age 23, graduation, the level's years or the cap."""
    key = "jkm.scholarship" if program is Program.JKM else "jkk.scholarship"
    rule = book.at(key, event_date)
    value = rule.value
    level_rule = value["levels"][application.level.value]
    if not 1 <= application.grade <= level_rule["max_years"]:
        raise _year_refused(
            "grade_out_of_range", level=application.level.value, years=level_rule["max_years"]
        )
    if application.married:
        raise _year_refused("scholarship_married")
    # Whether work ends it is judged by the rule in force when the year is applied for.
    if application.working and book.at(key, application.applied_on).value["working_excludes"]:
        raise _year_refused("scholarship_working")
    if application.school_year_starts >= add_years(application.birth_date, value["max_age"]):
        raise _year_refused("scholarship_age_limit", age=value["max_age"])
    own = [year for year in granted if year.child == application.child]
    if any(year.final_year for year in own):
        raise _year_refused("scholarship_graduated")
    at_level = sum(1 for year in own if year.level is application.level)
    if at_level >= level_rule["max_years"]:
        raise _year_refused("scholarship_level_used", level=application.level.value, years=at_level)
    room = value["cap_total"] - sum(year.amount for year in granted)
    if room <= 0:
        raise _year_refused("scholarship_cap_reached", cap=_rupiah_digits(value["cap_total"]))
    return min(level_rule["per_year"], room), rule.ref


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
