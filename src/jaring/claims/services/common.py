"""What every claim writer shares: where a claim's files live and how an upload gets there,
which events are deaths, the edit lock."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jaring.claims import rules
from jaring.claims.models import (
    Claim,
)
from jaring.core import sealed
from jaring.programs.rules import Event

DEATH_EVENTS = {Event.DEATH.value, Event.WORK_ACCIDENT_DEATH.value}


def claims_dir(claim: Claim) -> Path:
    path = Path(settings.MEDIA_ROOT) / "claims" / str(claim.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def require_editable(claim: Claim) -> None:
    if not claim.is_editable:
        raise ValidationError(
            _("This claim was submitted; its data can no longer change."), code="claim_locked"
        )


@dataclass(frozen=True)
class UploadKind:
    """What an upload may be (sniffed from its content) and how a wrong one is refused."""

    types: frozenset[str]
    refusal: str
    code: str


DOCUMENT = UploadKind(
    frozenset(rules.ACCEPTED_DOCUMENT_TYPES),
    _("The file must be a PDF, JPG or PNG (its content is checked)."),
    "document_type",
)
PHOTO = UploadKind(
    frozenset({"image/jpeg", "image/png"}),
    _("The photo must be a JPG or PNG (its content is checked)."),
    "photo_type",
)


@dataclass(frozen=True)
class StoredFile:
    path: Path
    content_type: str
    sha256: str


def store_upload(claim: Claim, upload, kind: UploadKind = DOCUMENT, prefix: str = "") -> StoredFile:
    """Check an upload's size (the one limit) and real type (sniffed from its first bytes, never
    its name), then keep it sealed (``core.sealed``) outside the web root in the claim's
    directory."""
    content_type = _checked_type(upload, kind)
    suffix = rules.ACCEPTED_DOCUMENT_TYPES[content_type]
    target = claims_dir(claim) / f"{prefix}{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    upload.seek(0)

    def chunks():
        for chunk in upload.chunks():
            digest.update(chunk)
            yield chunk

    sealed.seal_stream(chunks(), target)  # a KTP or family card: kept sealed, 0600
    return StoredFile(target, content_type, digest.hexdigest())


def _checked_type(upload, kind: UploadKind) -> str:
    if not 0 < upload.size <= rules.MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("The file must be larger than 0 and at most %(megabytes)s MB."),
            code="document_size",
            params={"megabytes": rules.MAX_DOCUMENT_BYTES // 2**20},
        )
    upload.seek(0)
    content_type = rules.sniff_document_type(upload.read(8192))
    if content_type not in kind.types:
        raise ValidationError(kind.refusal, code=kind.code)
    return content_type
