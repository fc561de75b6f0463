"""The optional second factor: TOTP codes from an authenticator app (RFC 6238, via pyotp)."""

from __future__ import annotations

import io

import pyotp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone

from jaring.accounts.rules import RoleCode
from jaring.accounts.scoping import roles_of
from jaring.core.crypto import decrypt_personal, encrypt_personal

ISSUER = "Jaring"
# Roles that may switch the second factor on (those who move money or manage users).
SECOND_FACTOR_ROLES = {
    RoleCode.FINANCE_OFFICER,
    RoleCode.REGENCY_ADMIN,
    RoleCode.PROVINCIAL_ADMIN,
}


def may_use_second_factor(user) -> bool:
    return user.is_staff or user.is_superuser or bool(roles_of(user) & SECOND_FACTOR_ROLES)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_svg(user, secret: str) -> str:
    """A QR code (inline SVG, no script) an authenticator app scans."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step this code belongs to (now, or one step either side), or None."""
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    code = "".join(ch for ch in code if ch.isdigit())
    for drift in (0, -1, 1):
        moment = now.timestamp() + drift * totp.interval
        if totp.verify(code, for_time=moment, valid_window=0):
            return int(moment // totp.interval)
    return None


@transaction.atomic
def enable(user, secret: str, code: str) -> bool:
    """Switch the second factor on once the user proves the app shows the right codes."""
    step = _matching_step(secret, code)
    if step is None:
        return False
    get_user_model().objects.filter(pk=user.pk).update(
        totp_cipher=encrypt_personal(secret), totp_enabled_at=timezone.now(), totp_last_step=step
    )
    return True


@transaction.atomic
def verify(user, code: str) -> bool:
    """A login's second step: the code must be current and not used before."""
    row = get_user_model().objects.select_for_update().get(pk=user.pk)
    if row.totp_cipher is None:
        return False
    step = _matching_step(decrypt_personal(row.totp_cipher), code)
    if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
        return False
    get_user_model().objects.filter(pk=user.pk).update(totp_last_step=step)
    return True


def _count_failure(request, credentials: dict) -> None:
    """A wrong code or password counts towards the login lockout (django-axes), which then
    shows its page instead of the response (AxesMiddleware)."""
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)


def _locked(request, credentials: dict) -> bool:
    if AxesProxyHandler.is_locked(request, credentials):
        request.axes_locked_out, request.axes_credentials = True, credentials
        return True
    return False


def code_accepted(request, user, code: str) -> bool:
    """A code a person typed: current and unused. A wrong one counts as a failed login (the same
    lockout as wrong passwords: a few per user name and address); while locked out none is
    accepted, the right one included."""
    credentials = {"username": user.get_username()}
    if _locked(request, credentials):
        return False
    if verify(user, code):
        return True
    _count_failure(request, credentials)
    return False


def disable(request, user, password: str, code: str) -> bool:
    """Switch the second factor off: only with the current password and a valid code, so a
    borrowed or stolen session cannot remove it. Failures count towards the lockout."""
    credentials = {"username": user.get_username()}
    if _locked(request, credentials):
        return False
    if not user.check_password(password):
        _count_failure(request, credentials)
        return False
    if not code_accepted(request, user, code):
        return False
    get_user_model().objects.filter(pk=user.pk).update(
        totp_cipher=None, totp_enabled_at=None, totp_last_step=None
    )
    return True
