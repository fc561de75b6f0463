"""Maker-checker: submitting a claim, approving, returning or rejecting it (compare-and-set)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.claims.models import (
    Claim,
    ClaimStatus,
)
from jaring.claims.participants import require_checker
from jaring.claims.services.common import DEATH_EVENTS, require_editable
from jaring.claims.services.judging import judge
from jaring.claims.services.payments import create_instalments
from jaring.core.events import Change, region_changed
from jaring.core.i18n import stored


def submission_problems(claim: Claim) -> list[ValidationError]:
    """What still stops the claims officer from sending the claim for approval, each with its
    code (a page shows ``problem.messages``)."""
    problems = []
    if not claim.eligible:
        reason = claim.eligibility or {}
        problems.append(
            ValidationError(
                _("The participant is not eligible: %(reason)s"),
                code="claim_not_eligible",
                params={"reason": stored(reason.get("reason", ""), reason.get("reason_id", ""))},
            )
        )
    if claim.arrears_months:
        problems.append(
            ValidationError(
                _("Pay the %(months)s month(s) of contributions in arrears first."),
                code="arrears_unpaid",
                params={"months": claim.arrears_months},
            )
        )
    if claim.event in DEATH_EVENTS and not claim.family.filter(is_heir=True).exists():
        problems.append(ValidationError(_("There is no heir yet."), code="heir_missing"))
    if claim.documents_complete_on is None:
        problems.append(
            ValidationError(
                _("The required documents are not complete or not checked yet."),
                code="documents_incomplete",
            )
        )
    return problems


@transaction.atomic
def open_potential(claim: Claim, user) -> None:
    """A potential claim from a death list becomes a claim in preparation."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    _transition(claim, ClaimStatus.POTENTIAL, ClaimStatus.REPORTED, user, "Klaim potensial dibuka")


@transaction.atomic
def dismiss(claim: Claim, user, note: str) -> None:
    """A potential claim that is not one (not the same person, already claimed elsewhere)."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    _require_note(note)
    _transition(
        claim, ClaimStatus.POTENTIAL, ClaimStatus.DISMISSED, user, note, decision_note=note.strip()
    )


@transaction.atomic
def submit(claim: Claim, user) -> None:
    """The officer sends a complete claim to the checker."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    judge(claim)
    problems = submission_problems(claim)
    if problems:
        raise ValidationError(problems)  # each problem keeps its own code
    _transition(
        claim,
        ClaimStatus.REPORTED,
        ClaimStatus.SUBMITTED,
        user,
        "Diajukan untuk persetujuan",
        submitted_by=user,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def approve(claim: Claim, user, note: str = "", today: datetime.date | None = None) -> None:
    """The checker approves: one conditional UPDATE, so two approvals at once cannot both win."""
    require_in(user, Capability.APPROVE_CLAIMS, claim.village_id)
    today = today or timezone.localdate()
    current = Claim.objects.get(pk=claim.pk)
    require_checker(current, user)  # no maker of any part of the claim, whatever its roles
    _transition(
        current,
        ClaimStatus.SUBMITTED,
        ClaimStatus.APPROVED,
        user,
        "Disetujui",
        decided_by=user,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )
    create_instalments(Claim.objects.get(pk=claim.pk), today)


@transaction.atomic
def send_back(claim: Claim, user, note: str, reject: bool) -> None:
    """The checker rejects the claim, or returns it to the officer to be corrected."""
    require_in(user, Capability.APPROVE_CLAIMS, claim.village_id)
    _require_note(note)
    current = Claim.objects.get(pk=claim.pk)
    if current.submitted_by_id == user.pk:
        raise PermissionDenied("Pengaju klaim tidak boleh memutus klaimnya sendiri.")
    if reject:
        _transition(
            current,
            ClaimStatus.SUBMITTED,
            ClaimStatus.REJECTED,
            user,
            note,
            decided_by=user,
            decided_at=timezone.now(),
            decision_note=note.strip(),
        )
    else:
        _transition(
            current,
            ClaimStatus.SUBMITTED,
            ClaimStatus.REPORTED,
            user,
            note,
            submitted_by=None,
            submitted_at=None,
            decision_note=note.strip(),
        )


def recheck(claim: Claim, user) -> None:
    """Judge an editable claim again (after its worker's contributions changed)."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    require_editable(claim)
    judge(claim)


def decide(claim: Claim, user, action: str, note: str = "") -> None:
    """One of the officer's or the checker's actions on a claim (each checks the user's role)."""
    {
        "open": lambda: open_potential(claim, user),
        "dismiss": lambda: dismiss(claim, user, note),
        "recheck": lambda: recheck(claim, user),
        "submit": lambda: submit(claim, user),
        "approve": lambda: approve(claim, user, note),
        "return": lambda: send_back(claim, user, note, reject=False),
        "reject": lambda: send_back(claim, user, note, reject=True),
    }[action]()


def _require_note(note: str) -> None:
    if len(note.strip()) < 10:
        raise ValidationError(
            _("Write the reason (at least 10 characters)."), code="note_too_short"
        )


def _transition(claim: Claim, from_status: str, to_status: str, user, reason: str, **fields):
    """Compare-and-set on the status: whoever loses a race gets a clear error, not a repeat."""
    changed = Claim.objects.filter(pk=claim.pk, status=from_status).update(
        status=to_status, **fields
    )
    if changed != 1:
        raise ValidationError(
            _("Another user changed the claim's status; reload the page."),
            code="claim_status_changed",
        )
    claim.refresh_from_db()
    claim._history_user, claim._change_reason = user, reason[:100]
    claim.save(update_fields=["status"])  # writes the history row with who and why
    region_changed(claim.village_id, Change.CLAIMS)
