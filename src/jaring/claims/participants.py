"""Who made a claim, so that none of them checks it (maker-checker by person, not by role).

A maker is anyone who reported or prepared the claim, changed it while it was in preparation,
added or changed its family (heirs), uploaded or verified one of its documents, made an heir
exception or put the file forward for the Pemda's check (submitted it). A user holding both the
officer's and the supervisor's role is still one person: having made any part of the claim, it
may not check its submission to BPJS. Read from the claim's own
columns, its documents and the history tables (django-simple-history), so a later correction
does not wash a maker out.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from jaring.claims.models import Claim, ClaimStatus

_PREPARATION = {ClaimStatus.POTENTIAL, ClaimStatus.REPORTED, ClaimStatus.CHECKING}
# A file sent back to the officer (by the Pemda's checker, or by BPJS asking for more documents):
# whoever sent it back made nothing.
_SENT_BACK_FROM = {ClaimStatus.CHECKING, ClaimStatus.SENT, ClaimStatus.AT_BPJS}


class MakerCannotCheck(ValidationError, PermissionDenied):
    """A maker of the claim tried to check its submission: a refusal by rule (the page shows the
    message, the API answers with the code) that is also a permission refusal."""

    def __init__(self):
        super().__init__(
            _(
                "You helped prepare this claim (reported, heirs, documents or submission), "
                "so another officer must check it before it goes to BPJS."
            ),
            code="maker_cannot_approve",
        )


def makers_of(claim: Claim) -> frozenset[int]:
    """The ids of every user who made any part of ``claim``."""
    makers = {claim.created_by_id, claim.submitted_by_id, claim.heir_override_by_id}
    makers |= _history_makers(claim)
    makers |= set(
        claim.family.model.history.filter(claim_id=claim.pk).values_list(
            "history_user_id", flat=True
        )
    )
    for column in ("uploaded_by_id", "verified_by_id"):
        makers |= set(claim.documents.values_list(column, flat=True))
    makers.discard(None)
    return frozenset(makers)


def _history_makers(claim: Claim) -> set[int | None]:
    """Users who changed the claim while it was prepared; one who sent it back is not one."""
    makers: set[int | None] = set()
    previous = None
    rows = claim.history.order_by("history_date", "history_id").values_list(
        "status", "history_user_id", "submitted_by_id", "heir_override_by_id"
    )
    for status, user_id, submitted_by, override_by in rows:
        returned = previous in _SENT_BACK_FROM and status == ClaimStatus.REPORTED
        if status in _PREPARATION and not returned:
            makers.add(user_id)
        makers |= {submitted_by, override_by}
        previous = status
    return makers


def require_checker(claim: Claim, user) -> None:
    """Raise :class:`MakerCannotCheck` if ``user`` made any part of ``claim``."""
    if user.pk in makers_of(claim):
        raise MakerCannotCheck
