"""Writes for API clients: issuing and revoking tokens, and authenticating a request by one."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jaring.api import rules
from jaring.api.models import ApiToken


@transaction.atomic
def issue_token(user, name: str, days: int = rules.DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    if not 1 <= days <= rules.MAX_DAYS:
        raise ValidationError(f"Masa berlaku token 1–{rules.MAX_DAYS} hari.", code="invalid")
    if not name.strip():
        raise ValidationError(
            "Beri nama token (mis. nama aplikasi yang memakainya).", code="invalid"
        )
    token, token_id = rules.new_token()
    row = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80],
        token_id=token_id,
        token_digest=rules.digest(token),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return row, token


def revoke_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def user_for_token(token: str):
    """The active user a presented token belongs to, or None (wrong, revoked or expired)."""
    token_id = rules.token_id_of(token)
    if token_id is None:
        return None
    row = ApiToken.objects.select_related("user").filter(token_id=token_id).first()
    if row is None or not rules.matches(token, row.token_digest) or not row.is_usable:
        return None
    if not row.user.is_active:
        return None
    now = timezone.now()
    # One write a minute at most: the coverage look-up is the hot path.
    if row.last_used_at is None or now - row.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
