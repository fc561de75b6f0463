"""The document checklist of a claim: uploads checked by content, verified by another user."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in, require_one_of_in
from jaring.claims import rules
from jaring.claims.models import (
    Claim,
    ClaimDocument,
)
from jaring.claims.services.common import require_editable, store_upload
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Event, Relationship

# Who may check a document against its original: the Pemda's claims officers and checkers, or a
# BPJS officer (never its uploader).
CHECKERS = (
    Capability.PREPARE_CLAIMS,
    Capability.APPROVE_CLAIMS,
    Capability.RECORD_BPJS_CLAIMS,
)


def required_documents(claim: Claim) -> list[str]:
    spouse_heir = claim.family.filter(is_heir=True, relationship=Relationship.SPOUSE).exists()
    kinds, _ref = rules.required_documents(
        default_rulebook(),
        Event(claim.event),
        claim.event_date,
        spouse_heir,
        claim.traffic_accident,
    )
    return kinds


@transaction.atomic
def upload_document(
    claim: Claim, kind: str, upload, user, also: Sequence[str] = ()
) -> ClaimDocument:
    """Keep an uploaded document outside the web root after checking its size and real type.
    One scanned file may serve several document types: ``also`` names the others."""
    require_in(user, Capability.PREPARE_CLAIMS, claim.village_id)
    require_editable(claim)
    if kind not in rules.DOCUMENT_KINDS or not set(also) <= set(rules.DOCUMENT_KINDS):
        raise ValidationError(_("Unknown document kind."), code="document_kind_unknown")
    also_kinds = [k for k in rules.DOCUMENT_KINDS if k in set(also) - {kind}]
    return store_document(claim, kind, upload, user, also_kinds)


def store_document(
    claim: Claim, kind: str, upload, user, also_kinds: Sequence[str] = ()
) -> ClaimDocument:
    """The file checked and kept, and its row (the caller checked who may, and when)."""
    stored = store_upload(claim, upload)
    try:
        with transaction.atomic():
            document = ClaimDocument.objects.create(
                claim=claim,
                kind=kind,
                also_kinds=list(also_kinds),
                original_name=Path(upload.name).name[:255],
                stored_file=str(stored.path),
                content_type=stored.content_type,
                size=upload.size,
                sha256=stored.sha256,
                uploaded_by=user,
            )
    except IntegrityError as exc:
        stored.path.unlink(missing_ok=True)
        raise ValidationError(
            _("The same file was already uploaded for this claim."), code="document_duplicate"
        ) from exc
    _note_upload(claim, user)
    return document


@transaction.atomic
def verify_document(document: ClaimDocument, user, today: datetime.date | None = None) -> None:
    """Mark a document checked against the original; complete documents start the service clock."""
    claim = Claim.objects.select_for_update().get(pk=document.claim_id)
    require_one_of_in(user, CHECKERS, claim.village_id)
    require_editable(claim)
    if user is not None and document.uploaded_by_id == user.pk:
        raise ValidationError(
            _("A document must be checked by another officer than the one who uploaded it."),
            code="document_same_checker",
        )
    ClaimDocument.objects.filter(pk=document.pk, verified_at__isnull=True).update(
        verified_by=user, verified_at=timezone.now()
    )
    _refresh_documents_complete(claim, today or timezone.localdate())


def _note_upload(claim: Claim, user) -> None:
    """The upload in the claim's history (repeated uploads are grouped on the claim page)."""
    claim._history_user, claim._change_reason = user, "Dokumen diunggah"
    claim.save(update_fields=["documents_complete_on"])


def _refresh_documents_complete(claim: Claim, today: datetime.date) -> None:
    verified = {
        kind
        for document in claim.documents.filter(verified_at__isnull=False)
        for kind in document.kinds
    }
    complete = set(required_documents(claim)) <= verified
    if complete and claim.documents_complete_on is None:
        claim.documents_complete_on = today
    elif not complete:
        claim.documents_complete_on = None
    claim._change_reason = "Dokumen lengkap" if complete else "Dokumen diperiksa"
    claim.save(update_fields=["documents_complete_on"])
