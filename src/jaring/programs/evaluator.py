"""The case evaluator: JSON cases in, JSON results out (``jaring rules evaluate``).

Each case is validated strictly (unknown fields, impossible dates, floats for money are refused)
and judged by :mod:`jaring.programs.rules`. A bad case yields an error object; it never raises.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from jaring.programs import rules
from jaring.programs.rulebook import RuleBook, RuleNotInForce, default_rulebook

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> datetime.date:
    match = MONTH.match(text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError("a month is written YYYY-MM, e.g. 2025-09")
    return datetime.date(int(match[1]), int(match[2]), 1)


def _valid_month(text: str) -> str:
    parse_month(text)
    return text


Month = Annotated[str, AfterValidator(_valid_month)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContributionCase(Strict):
    kind: Literal["contribution"]
    month: Month
    declared_income: StrictInt
    programs: list[rules.Program] = Field(default_factory=lambda: ["JKK", "JKM"])
    occupation_group: str | None = None
    funding: Literal["apbn", "apbd", "apbdes", "csr", "baznas", "self", "other"] | None = None


class ChildIn(Strict):
    birth_date: datetime.date
    education: rules.Education | None = None
    married: StrictBool = False
    working: StrictBool = False
    alive: StrictBool = True
    grade: Annotated[StrictInt, Field(ge=1, le=6)] | None = None  # class within its level


class BenefitCase(Strict):
    kind: Literal["benefit"]
    program: Literal["JKM", "JKK"]
    event: rules.Event
    event_date: datetime.date
    membership_start: datetime.date
    paid_through: Month
    declared_income: StrictInt | None = None
    disability_percent: Annotated[Decimal, Field(ge=0, le=100)] = Decimal(0)
    incapacity_days: Annotated[StrictInt, Field(ge=0)] = 0
    children: list[ChildIn] = Field(default_factory=list)
    claim_date: datetime.date | None = None

    @field_validator("disability_percent", mode="before")
    @classmethod
    def _no_float_percent(cls, value):
        if isinstance(value, float):
            return Decimal(str(value))
        return value


class Person(Strict):
    name: str | None = None
    birth_date: datetime.date | None = None
    date_of_death: datetime.date | None = None
    sex: Literal["L", "P"] | None = None


class FamilyMemberIn(Strict):
    relationship: rules.Relationship
    alive: StrictBool = True
    name: str | None = None
    birth_date: datetime.date | None = None
    married: StrictBool | None = None


class HeirsCase(Strict):
    kind: Literal["heirs"]
    deceased: Person = Field(default_factory=Person)
    family: list[FamilyMemberIn]
    date: datetime.date | None = None


Case = Annotated[ContributionCase | BenefitCase | HeirsCase, Field(discriminator="kind")]
CASE_ADAPTER = TypeAdapter(Case)


def error(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _validation_details(exc: ValidationError) -> list[dict]:
    # The first location part is the case kind (the union's tag); people name fields without it.
    return [
        {"field": ".".join(str(part) for part in problem["loc"][1:]), "problem": problem["msg"]}
        for problem in exc.errors(include_url=False, include_input=False)
    ]


def evaluate(case: Any, book: RuleBook | None = None, today: datetime.date | None = None) -> dict:
    """Judge one case. Never raises for bad input: returns ``{"error": {...}}`` instead."""
    book = book or default_rulebook()
    if not isinstance(case, dict) or "kind" not in case:
        return error("invalid_case", "A case is a JSON object with a 'kind' field.")
    try:
        parsed = CASE_ADAPTER.validate_python(case)
    except ValidationError as exc:
        return error(
            "invalid_case", "The case has invalid or unknown fields.", _validation_details(exc)
        )
    try:
        if isinstance(parsed, ContributionCase):
            return _contribution(book, parsed)
        if isinstance(parsed, BenefitCase):
            return _benefit(book, parsed)
        return _heirs(book, parsed, today or datetime.date.today())
    except rules.RuleError as exc:
        return error(exc.code, str(exc))
    except RuleNotInForce as exc:
        return error("no_rule_in_force", str(exc))


def evaluate_many(cases: Any, book: RuleBook | None = None) -> dict | list[dict]:
    if isinstance(cases, list):
        return [evaluate(case, book) for case in cases]
    return evaluate(cases, book)


def _contribution(book: RuleBook, case: ContributionCase) -> dict:
    result = rules.monthly_contribution(
        book,
        parse_month(case.month),
        case.declared_income,
        frozenset(case.programs),
        case.occupation_group,
        case.funding,
    )
    return {
        "total": result.total,
        "lines": [{"program": line.program.value, "amount": line.amount} for line in result.lines],
        "rule_refs": list(result.rule_refs),
    }


def _benefit(book: RuleBook, case: BenefitCase) -> dict:
    facts = rules.BenefitFacts(
        program=rules.Program(case.program),
        event=case.event,
        event_date=case.event_date,
        membership_start=case.membership_start,
        paid_through=parse_month(case.paid_through),
        declared_income=case.declared_income,
        disability_percent=case.disability_percent,
        incapacity_days=case.incapacity_days,
        children=tuple(rules.Child(**child.model_dump()) for child in case.children),
        claim_date=case.claim_date,
    )
    result = rules.benefit(book, facts)
    eligible = result.eligibility.eligible
    return {
        "eligible": eligible,
        **result.eligibility.reason,
        "arrears_months": result.eligibility.arrears_months,
        "total": result.total if eligible else 0,
        "components": result.components if eligible else [],
        "scholarship": {
            "eligible": result.scholarship.eligible,
            "children": result.scholarship.children,
            "total": result.scholarship.total,
            "note": result.scholarship.note,
            "note_id": result.scholarship.note_id,
        },
        "basis": result.basis,
        "rule_refs": result.rule_refs,
    }


def _heirs(book: RuleBook, case: HeirsCase, today: datetime.date) -> dict:
    day = case.date or case.deceased.date_of_death or today
    family = [
        rules.FamilyMember(
            relationship=member.relationship,
            alive=member.alive,
            birth_date=member.birth_date,
            married=member.married,
        )
        for member in case.family
    ]
    decision = rules.choose_heirs(book, day, family)
    return {
        "heirs": decision.heirs,
        "tier": decision.tier,
        "basis": decision.basis,
        "basis_id": decision.basis_id,
        "rule_refs": [decision.rule_ref],
    }
