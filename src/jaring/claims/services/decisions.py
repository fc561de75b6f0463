"""The Pemda's maker-checker on the submission (compare-and-set on the status): the officer puts
the complete file forward, another person checks it (``approve``) or returns it; potential claims
are opened or dismissed. BPJS's side (receipt, decision, payment) is in ``bpjs``."""

from __future__ import annotations

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
from jaring.core.events import Change, region_changed
from jaring.core.i18n import stored


def submission_problems(claim: Claim) -> list[ValidationError]:
    """What still stops the claims officer from putting the file forward for the Pemda's check,
    each with its code (a page shows ``problem.messages``)."""
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
    transition(claim, ClaimStatus.POTENTIAL, ClaimStatus.REPORTED, user, "Klaim potensial dibuka")


@transaction.atomic
def dismiss(claim: Claim, user, note: str) -> None:
    """A potential claim that is not one (not the same person, already claimed elsewhere)."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    require_note(note)
    transition(
        claim, ClaimStatus.POTENTIAL, ClaimStatus.DISMISSED, user, note, decision_note=note.strip()
    )


@transaction.atomic
def submit(claim: Claim, user) -> None:
    """The officer puts the complete file forward for the Pemda's check (the maker's step)."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    judge(claim)
    problems = submission_problems(claim)
    if problems:
        raise ValidationError(problems)  # each problem keeps its own code
    transition(
        claim,
        ClaimStatus.REPORTED,
        ClaimStatus.CHECKING,
        user,
        "Diajukan untuk diperiksa",
        submitted_by=user,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def approve(claim: Claim, user, note: str = "") -> None:
    """The Pemda's checker passes the file to be sent to BPJS: one conditional UPDATE, so two
    checks at once cannot both win. BPJS, not the Pemda, then decides the benefit."""
    require_in(user, Capability.APPROVE_CLAIMS, claim.village_id)
    current = Claim.objects.get(pk=claim.pk)
    require_checker(current, user)  # no maker of any part of the claim, whatever its roles
    transition(
        current,
        ClaimStatus.CHECKING,
        ClaimStatus.CHECKED,
        user,
        "Berkas diperiksa, siap dikirim ke BPJS",
        decided_by=user,
        decided_at=timezone.now(),
        decision_note=note.strip(),
    )


@transaction.atomic
def send_back(claim: Claim, user, note: str) -> None:
    """The checker returns the file to the officer to be corrected."""
    require_in(user, Capability.APPROVE_CLAIMS, claim.village_id)
    require_note(note)
    current = Claim.objects.get(pk=claim.pk)
    if current.submitted_by_id == user.pk:
        raise PermissionDenied("Pengaju klaim tidak boleh memeriksa klaimnya sendiri.")
    transition(
        current,
        ClaimStatus.CHECKING,
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
        "return": lambda: send_back(claim, user, note),
    }[action]()


def require_note(note: str) -> None:
    if len(note.strip()) < 10:
        raise ValidationError(
            _("Write the reason (at least 10 characters)."), code="note_too_short"
        )


def transition(claim: Claim, from_status, to_status: str, user, reason: str, **fields):
    """Compare-and-set on the status (one status or several it may come from): whoever loses a
    race gets a clear error, not a repeat."""
    allowed = [from_status] if isinstance(from_status, str) else list(from_status)
    changed = Claim.objects.filter(pk=claim.pk, status__in=allowed).update(
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
