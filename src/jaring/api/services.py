"""Writes for API clients: issuing and revoking tokens, and authenticating a request by one."""

import datetime
import time

from django.conf import settings
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
    forget_token(token.pk)


def user_for_token(token: str):
    """The active user a presented token belongs to, or None (wrong, revoked or expired)."""
    row = _usable_token(token)
    return row.user if row is not None else None


def _usable_token(token: str) -> ApiToken | None:
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
    return row


# token -> (checked at, token pk, expires at, user). Per process; bounded below.
_checked: dict[str, tuple[float, int, datetime.datetime, object]] = {}
_MAX_CHECKED = 10_000


def user_for_token_cached(token: str):
    """``user_for_token``, remembered for ``JARING_API_TOKEN_CACHE_SECONDS`` in this process
    (the user with its roles, hence its scope). Expiry is checked at every use; a revocation
    here forgets the token at once; a revocation in another process, a deactivated user or a
    changed role takes effect within that many seconds. 0 switches the cache off."""
    ttl = settings.JARING_API_TOKEN_CACHE_SECONDS
    if ttl <= 0:
        return user_for_token(token)
    now = time.monotonic()
    hit = _checked.get(token)
    if hit is not None and now - hit[0] < ttl and timezone.now() < hit[2]:
        return hit[3]
    row = _usable_token(token)
    if row is None:
        _checked.pop(token, None)
        return None
    if len(_checked) >= _MAX_CHECKED:
        _checked.clear()
    _checked[token] = (now, row.pk, row.expires_at, row.user)
    return row.user


def forget_token(token_pk: int | None = None) -> None:
    """Forget a remembered token (all of them: None) in this process."""
    for token, hit in list(_checked.items()):
        if token_pk is None or hit[1] == token_pk:
            _checked.pop(token, None)
