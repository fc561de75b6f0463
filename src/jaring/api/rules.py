"""API tokens as data: their shape and how they are kept (no database here).

A token is ``jrg_<8-char id>_<43-char secret>``: the id finds the row, the SHA-256 of the
whole token is what is stored. Tokens are 256-bit random, so a fast hash is enough (a slow
password hash protects low-entropy secrets; these are not).
"""

import hashlib
import hmac
import secrets

PREFIX = "jrg_"
DEFAULT_DAYS = 90
MAX_DAYS = 365


def new_token() -> tuple[str, str]:
    """A fresh token and its public id."""
    token_id = secrets.token_hex(4)
    return f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}", token_id


def token_id_of(token: str) -> str | None:
    if not token.startswith(PREFIX):
        return None
    token_id, _, secret = token[len(PREFIX) :].partition("_")
    if len(token_id) != 8 or not secret:
        return None
    return token_id


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)
