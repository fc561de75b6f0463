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

# Ciphertext formats. 0x02 (written now): 0x02, the key id (one byte), nonce, sealed text; the
# first two bytes are bound into the authentication. 0x01 (before key ids): nonce and sealed
# text, always under key id 1. `jaring rotate_nik_keys` moves every ciphertext to the current key.
FORMAT_VERSION = b"\x01"
FORMAT_KEYED = b"\x02"
LEGACY_KEY_ID = 1
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


def keyring() -> dict[int, str]:
    """Encryption keys by id: the current one and the old ones still being rotated out."""
    ring = dict(settings.NIK_OLD_ENCRYPTION_KEYS)
    ring[settings.NIK_KEY_ID] = settings.NIK_ENCRYPTION_KEY
    return ring


def key_id_of(blob: bytes) -> int:
    blob = bytes(blob)
    if blob[:1] == FORMAT_KEYED:
        return blob[1]
    if blob[:1] == FORMAT_VERSION:
        return LEGACY_KEY_ID
    raise ValueError("unknown ciphertext format")


def _seal(text: str, purpose: bytes) -> bytes:
    header = FORMAT_KEYED + bytes([settings.NIK_KEY_ID])
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(settings.NIK_ENCRYPTION_KEY).encrypt(nonce, text.encode(), purpose + header)
    return header + nonce + sealed


def _open(blob: bytes, purpose: bytes) -> str:
    blob = bytes(blob)
    key_id = key_id_of(blob)
    if blob[:1] == FORMAT_KEYED:
        header, body = blob[:2], blob[2:]
    else:
        header, body = b"", blob[1:]
    key = keyring().get(key_id)
    if key is None:
        raise ValueError(f"NIK key id {key_id} is not configured (JARING_NIK_OLD_KEYS)")
    nonce, sealed = body[:NONCE_BYTES], body[NONCE_BYTES:]
    return _cipher(key).decrypt(nonce, sealed, purpose + header).decode()


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


def national_index(nik: str) -> str:
    """The NIK's index under the NATIONAL key every federated instance shares (never its own
    blind-index key): the hub can match one person across instances without the NIK. Still
    pseudonymised personal data: a holder of the national key can test a guessed NIK."""
    if not settings.NATIONAL_INDEX_KEY:
        raise ValueError("JARING_NATIONAL_INDEX_KEY is not set: this instance is not federated")
    key = _index_key(settings.NATIONAL_INDEX_KEY)
    return hmac.new(key, b"jaring.national:" + nik.encode(), hashlib.sha256).hexdigest()


def file_sha256(path) -> str:
    """A file's SHA-256 (hex), read in 1 MiB blocks: how an upload or a backup is recognised
    again (re-imports, integrity checks) without holding it in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
