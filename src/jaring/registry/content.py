"""A worker's content hash: one digest of the fields an import sets (the NIK and where a row
came from excepted), so a re-imported row that changes nothing is recognised by comparing two
short strings instead of every field, and is neither staged nor rewritten.

The worker keeps ``content_hash``: the hash of a row that, merged into the worker as it is now,
changes nothing (its own values, or the last imported row that made it so). Every write of a
hashed field sets it again (``Worker.save`` computes it, the import's merge copies the staged
row's). A hash that does not match only means "compare field by field"; it never decides a
change on its own, so a stale or old-format hash costs time, never correctness.

Keyed (BLAKE2b under a key derived from the blind-index key): the digest covers a name and a
birth date, and must not let anyone holding the table test a guess.

A worker also keeps ``row_hash``: the digest of the raw row (its cells as read, before any
check) that, merged into the worker as it is now, changes nothing. A re-imported row whose raw
digest a worker of the region holds is unchanged without being checked, given a blind index or
compared: what makes re-importing a whole unchanged list cheap. The digest's key covers what the
checks read besides the row (the rules in force, the region's villages, the occupations), so a
change of those makes every row go the checked way once.
"""

from __future__ import annotations

import datetime
import hashlib
from base64 import urlsafe_b64decode

import polars as pl
from django.conf import settings

# The fields an import may set that make a change (MERGED_FIELDS less the provenance), in the
# order they are hashed.
HASHED_FIELDS = (
    "full_name",
    "name_key",
    "sex",
    "birth_date",
    "birth_place",
    "phone",
    "address",
    "rt_rw",
    "village_id",
    "occupation_id",
    "declared_income",
    "desil",
    "has_disability",
    "is_female_head",
)
_SEPARATOR = "\x1f"  # the ASCII unit separator: never in a cleaned cell
_VERSION = b"jaring.worker-content.v1:"


def _key(version: bytes = _VERSION) -> bytes:
    return hashlib.sha256(version + urlsafe_b64decode(settings.NIK_INDEX_KEY.encode())).digest()


def _digest(texts, key: bytes) -> list[str]:
    return [hashlib.blake2b(t.encode(), key=key, digest_size=16).hexdigest() for t in texts]


def _canonical(value) -> str:
    """A value as text, the way Polars casts it (the staged side): None and "" alike."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def content_hash(values: dict) -> str:
    """The hash of one worker's (or row's) values, by field attname."""
    text = _SEPARATOR.join(_canonical(values.get(name)) for name in HASHED_FIELDS)
    return _digest([text], _key())[0]


def content_hashes(frame: pl.DataFrame) -> pl.Series:
    """The hash of each row of ``frame`` (columns named as HASHED_FIELDS), as content_hash."""
    texts = frame.select(
        pl.concat_str(
            [pl.col(name).cast(pl.String).fill_null("") for name in HASHED_FIELDS],
            separator=_SEPARATOR,
        )
    ).to_series()
    return pl.Series("content_hash", _digest(texts, _key()), dtype=pl.String)


_ROW_VERSION = b"jaring.worker-row.v2:"  # v2: rows written as JSON
DIGEST_BYTES = 16


def row_key(context: bytes) -> bytes:
    """The key of the raw-row digests under ``context`` (what the checks read besides the row)."""
    return hashlib.blake2b(context, key=_key(_ROW_VERSION), digest_size=32).digest()


def row_hashes(frame: pl.DataFrame, columns: list[str], key: bytes) -> pl.Series:
    """The keyed digest of each row's ``columns`` as read, as ``row_hash`` (DIGEST_BYTES).

    The row is written as a JSON object (Polars, vectorised): every cell quoted and escaped, so
    none can run into the next, and a missing cell (null) is told from an empty one."""
    texts = frame.select(
        pl.struct([pl.col(name).cast(pl.String) for name in columns]).struct.json_encode()
    ).to_series()
    return pl.Series(
        "row_hash", _keyed_digests(texts.cast(pl.Binary).to_list(), key), dtype=pl.Binary
    )


def _keyed_digests(texts: list[bytes], key: bytes) -> list[bytes]:
    keyed = hashlib.blake2b(key=key, digest_size=DIGEST_BYTES)  # the key's block, hashed once
    copy = keyed.copy

    def digest(text: bytes) -> bytes:
        state = copy()
        state.update(text)
        return state.digest()

    # map() over a list: the loop runs in C; a million rows is about a second of hashing.
    return list(map(digest, texts))
