"""Eligibility, benefit and heirs by the rules in force on the event date."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from jaring.claims.models import (
    Claim,
)
from jaring.claims.services.common import DEATH_EVENTS
from jaring.finance.protection import Protection, paid_through, protected_on
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Event, Program, Relationship

JUDGED_FIELDS = [
    "enrolment",
    "paid_through",
    "eligible",
    "eligibility",
    "arrears_months",
    "components",
    "benefit_total",
    "scholarship",
    "rule_refs",
    "heir_basis",
    "checked_at",
]


def judge(claim: Claim, today: datetime.date | None = None) -> Claim:
    """Eligibility, benefit and heirs by the rules in force on the event date (saved)."""
    today = today or timezone.localdate()
    claim.refresh_from_db()  # judge the stored claim (its history row must show the real status)
    book = default_rulebook()
    protection = protected_on(claim.worker, claim.event_date, book)
    claim.enrolment, claim.paid_through = protection.enrolment, protection.paid_through
    claim.components, claim.benefit_total, claim.scholarship = [], 0, {}
    claim.arrears_months, claim.rule_refs = 0, []
    if protection.paid_through is None:
        claim.eligible, claim.eligibility = False, protection.reason
    else:
        _apply_benefit(claim, book, protection, today)
    if claim.heir_override_by_id is None:
        _choose_heirs(claim, book)
    claim.checked_at = timezone.now()
    claim._change_reason = "Kelayakan dan manfaat dihitung ulang"
    # Only what judging computes: a stale copy must never write back a status or a decision.
    claim.save(update_fields=JUDGED_FIELDS)
    return claim


def _arrears_still_owed(protection: Protection, at_event: int) -> int:
    """Of the months in arrears on the event date (tolerated by the rule, but to be settled before
    BPJS pays), those still unpaid now: payments made since count for settling, not for cover."""
    if not at_event:
        return 0
    paid_now = paid_through(protection.enrolment)
    return max(0, program_rules.months_between(paid_now, protection.day)) if paid_now else at_event


def _apply_benefit(claim, book, protection: Protection, today) -> None:
    children = list(claim.family.filter(relationship=Relationship.CHILD).order_by("id"))
    facts = program_rules.BenefitFacts(
        program=Program(claim.program),
        event=Event(claim.event),
        event_date=claim.event_date,
        membership_start=protection.membership_start,
        paid_through=protection.paid_through,
        declared_income=protection.enrolment.declared_income,
        disability_percent=Decimal(str(claim.disability_percent)),
        incapacity_days=claim.incapacity_days,
        children=tuple(
            program_rules.Child(
                birth_date=child.birth_date or claim.event_date,
                education=program_rules.Education(child.education) if child.education else None,
                married=child.married,
                working=child.working,
                alive=child.alive,
                grade=child.school_class,
            )
            for child in children
        ),
        claim_date=claim.reported_on or today,
    )
    try:
        result = program_rules.benefit(book, facts)
    except program_rules.RuleError as exc:
        claim.eligible = False
        claim.eligibility = program_rules.reason("not_judged", message=str(exc))
        return
    claim.eligible = result.eligibility.eligible
    # Which rule decided the amount (e.g. the reduced JKM of the first months) goes with it.
    claim.eligibility = result.eligibility.reason | result.basis
    claim.arrears_months = _arrears_still_owed(protection, result.eligibility.arrears_months)
    claim.rule_refs = result.rule_refs
    if claim.eligible:
        claim.components = result.components
        claim.benefit_total = result.total
        scholarship = result.scholarship
        claim.scholarship = {
            "eligible": scholarship.eligible,
            "total": scholarship.total,
            "note": scholarship.note,
            "note_id": scholarship.note_id,
            "children": [
                {**entry, "member_id": children[entry["index"]].pk}
                for entry in scholarship.children
            ],
        }


def _choose_heirs(claim: Claim, book) -> None:
    if claim.event not in DEATH_EVENTS:
        claim.heir_basis = "Manfaat dibayarkan kepada peserta sendiri."
        return
    members = list(claim.family.order_by("id"))
    decision = program_rules.choose_heirs(
        book,
        claim.event_date,
        [program_rules.FamilyMember(Relationship(m.relationship), alive=m.alive) for m in members],
    )
    chosen = {members[index].pk for index in decision.heirs}
    for member in members:
        if member.is_heir != (member.pk in chosen):
            member.is_heir = member.pk in chosen
            member.save(update_fields=["is_heir"])
    claim.heir_basis = decision.basis_id
