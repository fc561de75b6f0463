"""Maker-checker: submitting a claim, approving, returning or rejecting it (compare-and-set)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jaring.claims.models import (
    Claim,
    ClaimStatus,
)
from jaring.claims.services.common import DEATH_EVENTS, require_editable
from jaring.claims.services.judging import judge
from jaring.claims.services.payments import create_instalments
from jaring.core.events import Change, region_changed


def submission_problems(claim: Claim) -> list[str]:
    """What still stops the claims officer from sending the claim for approval."""
    problems = []
    if not claim.eligible:
        problems.append("Peserta tidak memenuhi syarat: " + claim.eligibility.get("reason_id", ""))
    if claim.arrears_months:
        problems.append(f"Lunasi dahulu tunggakan iuran {claim.arrears_months} bulan.")
    if claim.event in DEATH_EVENTS and not claim.family.filter(is_heir=True).exists():
        problems.append("Belum ada ahli waris.")
    if claim.documents_complete_on is None:
        problems.append("Dokumen wajib belum lengkap atau belum diperiksa.")
    return problems


@transaction.atomic
def open_potential(claim: Claim, user) -> None:
    """A potential claim from a death list becomes a claim in preparation."""
    _transition(claim, ClaimStatus.POTENTIAL, ClaimStatus.REPORTED, user, "Klaim potensial dibuka")


@transaction.atomic
def dismiss(claim: Claim, user, note: str) -> None:
    if len(note.strip()) < 10:
        raise ValidationError("Tuliskan alasan (minimal 10 karakter).")
    _transition(
        claim, ClaimStatus.POTENTIAL, ClaimStatus.DISMISSED, user, note, decision_note=note.strip()
    )


@transaction.atomic
def submit(claim: Claim, user) -> None:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    judge(claim)
    problems = submission_problems(claim)
    if problems:
        raise ValidationError(problems)
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
    today = today or timezone.localdate()
    current = Claim.objects.get(pk=claim.pk)
    if current.submitted_by_id == user.pk:
        raise PermissionDenied("Pengaju klaim tidak boleh menyetujui klaimnya sendiri.")
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
    if len(note.strip()) < 10:
        raise ValidationError("Tuliskan alasan (minimal 10 karakter).")
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


def decide(claim: Claim, user, action: str, note: str = "") -> None:
    """One of the officer's or the checker's actions on a claim, after the role check."""
    from jaring.claims.selectors import may_approve, may_prepare

    allowed, act = {
        "open": (may_prepare, lambda: open_potential(claim, user)),
        "dismiss": (may_prepare, lambda: dismiss(claim, user, note)),
        "recheck": (may_prepare, lambda: require_editable(claim) or judge(claim)),
        "submit": (may_prepare, lambda: submit(claim, user)),
        "approve": (may_approve, lambda: approve(claim, user, note)),
        "return": (may_approve, lambda: send_back(claim, user, note, reject=False)),
        "reject": (may_approve, lambda: send_back(claim, user, note, reject=True)),
    }[action]
    if not allowed(user, claim):
        raise PermissionDenied
    act()


def _transition(claim: Claim, from_status: str, to_status: str, user, reason: str, **fields):
    """Compare-and-set on the status: whoever loses a race gets a clear error, not a repeat."""
    changed = Claim.objects.filter(pk=claim.pk, status=from_status).update(
        status=to_status, **fields
    )
    if changed != 1:
        raise ValidationError("Status klaim sudah berubah oleh pengguna lain; muat ulang halaman.")
    claim.refresh_from_db()
    claim._history_user, claim._change_reason = user, reason[:100]
    claim.save(update_fields=["status"])  # writes the history row with who and why
    region_changed(claim.village_id, Change.CLAIMS)
