"""Claim rules with no database: working days, service level, document checklist, masking.

The money formulas (benefits, heirs, coverage) live in ``jaring.programs.rules``; this module
adds what only a claim needs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache

import filetype
import holidays

from jaring.programs.rulebook import RuleBook
from jaring.programs.rules import Event, Program, whole_rupiah

# Document kinds a claim can carry (the checklist picks from these; "other" is always allowed).
DOCUMENT_KINDS = (
    "kpj_card",
    "death_certificate",
    "ktp_deceased",
    "ktp_participant",
    "family_card",
    "ktp_heir",
    "heir_statement",
    "marriage_book",
    "bank_book",
    "accident_report",
    "medical_report",
    "police_report",
    "school_certificate",
    "other",
)

# What an uploaded document may be: sniffed from its first bytes, never from its name.
ACCEPTED_DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


# --- Working days (hari kerja) ------------------------------------------------------------------


@cache
def _indonesian_holidays(year: int) -> frozenset[datetime.date]:
    # Government category = cuti bersama, which BPJS offices observe like public holidays.
    calendar = holidays.Indonesia(years=year, categories=holidays.Indonesia.supported_categories)
    return frozenset(calendar)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _indonesian_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count


# --- Service level (PP 44/2015: JKM in 3 working days, JKK in 7) -------------------------------
# BPJS owes it: the clock runs from BPJS's receipt of the complete file, never from the Pemda's
# own document check.


@dataclass(frozen=True)
class ServiceLevel:
    target_days: int
    due: datetime.date | None
    working_days_taken: int | None
    days_late: int
    late_penalty: int
    overdue: bool
    rule_ref: str


def service_level(
    book: RuleBook,
    program: Program,
    received_on: datetime.date | None,
    paid_on: datetime.date | None,
    today: datetime.date,
    benefit_total: int,
) -> ServiceLevel:
    """Where a claim stands against BPJS's payment promise, counted from BPJS's receipt of the
    complete file; the late compensation is a share of ``benefit_total`` per working day."""
    rule = book.at("claims.service_level", received_on or today)
    target = rule.value[f"{program.value.lower()}_working_days"]
    if received_on is None:
        return ServiceLevel(target, None, None, 0, 0, False, rule.ref)
    due = add_working_days(received_on, target)
    end = paid_on or today
    taken = working_days_between(received_on, end)
    late = max(0, taken - target)
    penalty = whole_rupiah(Decimal(rule.value["late_penalty_per_day"]) * late * benefit_total)
    return ServiceLevel(
        target,
        due,
        taken if paid_on else None,
        late,
        penalty,
        paid_on is None and end > due,
        rule.ref,
    )


def latest_overdue_receipt(book: RuleBook, program: Program, today: datetime.date) -> datetime.date:
    """The latest BPJS receipt date whose payment deadline has passed by ``today`` (for SQL)."""
    target = book.at("claims.service_level", today).value[f"{program.value.lower()}_working_days"]
    day = today - datetime.timedelta(days=1)
    while add_working_days(day, target) >= today:
        day -= datetime.timedelta(days=1)
    return day


# --- What the family is told -------------------------------------------------------------------


class FamilyStage(StrEnum):
    """The claim's status as a family can be told (and later notified of) it."""

    REPORTED = "reported"
    FILE_COMPLETE = "file_complete"
    AT_BPJS = "at_bpjs"
    PAID = "paid"
    HANDED_OVER = "handed_over"
    REFUSED = "refused"


def family_stage(status: str, documents_complete: bool, handed_over: bool) -> FamilyStage | None:
    """The family's stage for a claim status (None for a potential or dismissed claim, which
    the family was never told of)."""
    if status in {"potential", "dismissed"}:
        return None
    if status == "rejected":
        return FamilyStage.REFUSED
    if status == "paid":
        return FamilyStage.HANDED_OVER if handed_over else FamilyStage.PAID
    if status in {"sent", "at_bpjs", "approved"}:
        return FamilyStage.AT_BPJS
    if status in {"checking", "checked"} or documents_complete:
        return FamilyStage.FILE_COMPLETE
    return FamilyStage.REPORTED


# --- Documents ------------------------------------------------------------------------------


def required_documents(
    book: RuleBook, event: Event, event_date: datetime.date, spouse_is_heir: bool, traffic: bool
) -> tuple[list[str], str]:
    """The checklist for one claim (document kinds, in order) and the rule's reference."""
    rule = book.at("claims.documents", event_date)
    kinds = list(rule.value[event.value])
    if spouse_is_heir and event in {Event.DEATH, Event.WORK_ACCIDENT_DEATH}:
        kinds += rule.value["if_spouse_heir"]
    if traffic:
        kinds += rule.value["if_traffic"]
    return kinds, rule.ref


def sniff_document_type(head: bytes) -> str | None:
    """The accepted MIME type the file's first bytes show (never its name), or None."""
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in ACCEPTED_DOCUMENT_TYPES else None


# --- Bank accounts --------------------------------------------------------------------------


def normalise_account_number(raw: str) -> tuple[str | None, str | None]:
    """Digits only, 6–20 of them (Indonesian bank account numbers), or an error code."""
    digits = "".join(ch for ch in raw or "" if not ch.isspace() and ch not in "-.")
    if not digits:
        return None, "account_missing"
    if not digits.isdigit():
        return None, "account_not_digits"
    if not 6 <= len(digits) <= 20:
        return None, "account_length"
    return digits, None


def mask_account(last_digits: str) -> str:
    return "••••" + last_digits[-4:]


# --- The JKK path: accident reports, STMB periods, the doctor's assessment ---------------------


@dataclass(frozen=True)
class Deadline:
    """A date something is due by, whether it was missed, and the rule that set it."""

    due: datetime.date | datetime.datetime
    late: bool
    rule_ref: str


def stage_one_deadline(
    book: RuleBook, accident_at: datetime.datetime, made_at: datetime.datetime
) -> Deadline:
    """The stage I accident report is due within the rule's hours (2 × 24) of the accident."""
    rule = book.at("jkk.accident_report", accident_at.date())
    due = accident_at + datetime.timedelta(hours=rule.value["stage_one_hours"])
    return Deadline(due, made_at > due, rule.ref)


def ruling_deadline(
    book: RuleBook, notified_on: datetime.date, ruled_on: datetime.date | None, today
) -> Deadline | None:
    """When BPJS must have ruled on a suspected work accident (None: no rule in force then);
    late once the day passed without a ruling, or when the ruling came after it."""
    rule = book.find("jkk.bpjs_ruling", notified_on)
    if rule is None:
        return None
    due = notified_on + datetime.timedelta(days=rule.value["days"])
    return Deadline(due, (ruled_on or today) > due, rule.ref)


def period_days(starts_on: datetime.date, ends_on: datetime.date) -> int:
    """Days unable to work in a period, both ends counted."""
    return (ends_on - starts_on).days + 1


class AssessmentKind(StrEnum):
    """The doctor's assessment at the end of treatment (penetapan cacat)."""

    NONE = "none"
    ANATOMICAL = "anatomical"
    FUNCTIONAL = "functional"
    TOTAL = "total"


def assessed_event(
    kind: AssessmentKind, table_percent: Decimal, function_loss_percent: Decimal
) -> tuple[Event, Decimal]:
    """The benefit event and the disability percentage the evaluator prices: a partial anatomical
    disability at the table's percentage, a partial functional one at the share of function lost
    of that percentage (PP 44/2015 Lampiran III), a total permanent one, or none (temporary
    incapacity only)."""
    if kind is AssessmentKind.TOTAL:
        return Event.TOTAL_DISABILITY, Decimal(0)
    if kind is AssessmentKind.NONE:
        return Event.TEMPORARY_INCAPACITY, Decimal(0)
    if not 0 < table_percent < 100:
        raise ValueError("table percentage must be above 0 and below 100")
    if kind is AssessmentKind.ANATOMICAL:
        return Event.PARTIAL_DISABILITY, table_percent
    if not 0 < function_loss_percent <= 100:
        raise ValueError("function lost must be above 0 and at most 100 percent")
    percent = (table_percent * function_loss_percent / 100).quantize(Decimal("0.01"))
    if percent <= 0:
        raise ValueError("the disability left is below 0.01 percent")
    return Event.PARTIAL_DISABILITY, percent
