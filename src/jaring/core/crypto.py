"""NIK protection: authenticated encryption at rest and a keyed blind index.

The blind index (HMAC-SHA256 of the NIK) carries the UNIQUE constraint and serves exact
look-ups and de-duplication without decrypting anything; the ciphertext is opened only when a
user whose role allows personal data asks to see a NIK (and that read is logged).
"""

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
ASSOCIATED_DATA = b"jaring.nik"
PERSONAL_DATA = b"jaring.personal"


def _key(value: str) -> bytes:
    key = base64.urlsafe_b64decode(value.encode())
    if len(key) != 32:
        raise ValueError("NIK keys must be 32 bytes, base64url-encoded")
    return key


@cache
def _cipher(value: str) -> AESGCM:
    return AESGCM(_key(value))


@cache
def _index_key(value: str) -> bytes:
    return _key(value)


def _seal(text: str, purpose: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(settings.NIK_ENCRYPTION_KEY).encrypt(nonce, text.encode(), purpose)
    return FORMAT_VERSION + nonce + sealed


def _open(blob: bytes, purpose: bytes) -> str:
    blob = bytes(blob)
    if blob[:1] != FORMAT_VERSION:
        raise ValueError("unknown ciphertext format")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    return _cipher(settings.NIK_ENCRYPTION_KEY).decrypt(nonce, sealed, purpose).decode()


def encrypt_nik(nik: str) -> bytes:
    return _seal(nik, ASSOCIATED_DATA)


def decrypt_nik(blob: bytes) -> str:
    return _open(blob, ASSOCIATED_DATA)


def encrypt_personal(text: str) -> bytes:
    """Other personal secrets (heirs' bank account numbers): sealed like NIKs, bound apart."""
    return _seal(text, PERSONAL_DATA)


def decrypt_personal(blob: bytes) -> str:
    return _open(blob, PERSONAL_DATA)


def nik_index(nik: str) -> str:
    return hmac.new(_index_key(settings.NIK_INDEX_KEY), nik.encode(), hashlib.sha256).hexdigest()
