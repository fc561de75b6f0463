"""What every claim writer shares: where a claim's files live, which events are deaths, the
edit lock."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jaring.claims.models import (
    Claim,
)
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
