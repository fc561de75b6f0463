"""Key rotation: every ciphertext re-sealed under the current key, every blind index recomputed
under the current index key — in batches, each its own transaction, resumable.

What is rotated (``TARGETS``): workers' and family members' NIKs (cipher and blind index),
heirs' bank accounts, users' TOTP secrets and rejected import rows (cipher only); then every
file kept under MEDIA_ROOT (``core.sealed``: kept lists, rejects and BPJS workbooks, claim
documents), re-sealed whole — plaintext files of earlier releases are sealed. A row is done when
its ciphertext carries the current key id and its index equals the HMAC of its NIK under the
current index key; a run skips done rows, so an interrupted run is simply started again (a
checkpoint in the cache lets it skip ahead without re-reading the rows it already finished).
History tables keep the blind index too: a history row that holds a worker's old index gets the
new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction

from jaring.core import crypto, sealed
from jaring.core.crypto import ASSOCIATED_DATA, PERSONAL_DATA


@dataclass(frozen=True)
class Target:
    model: str
    cipher: str
    index: str | None
    purpose: bytes


TARGETS = [
    Target("registry.Worker", "nik_cipher", "nik_index", ASSOCIATED_DATA),
    Target("claims.FamilyMember", "nik_cipher", "nik_index", ASSOCIATED_DATA),
    Target("claims.BenefitPayment", "account_cipher", None, PERSONAL_DATA),
    Target("accounts.User", "totp_cipher", None, PERSONAL_DATA),
    Target("registry.ImportRowIssue", "raw_cipher", None, PERSONAL_DATA),
]
FILES = "files"  # the sealed files' entry in progress and status


@dataclass
class Progress:
    checked: int = 0
    resealed: int = 0
    reindexed: int = 0
    history_rows: int = 0
    files_resealed: int = 0
    finished: bool = True
    per_model: dict[str, int] = field(default_factory=dict)


def _fingerprint() -> str:
    from django.conf import settings

    from jaring.ops.backup import key_fingerprint

    return f"{settings.NIK_KEY_ID}:{key_fingerprint(settings.NIK_ENCRYPTION_KEY)}:" + (
        key_fingerprint(settings.NIK_INDEX_KEY)
    )


def _checkpoint_key(target: Target) -> str:
    return f"jaring:rotate:{target.model}:{_fingerprint()}"


def _reseal(blob: bytes, purpose: bytes) -> tuple[str, bytes | None]:
    text = crypto._open(blob, purpose)
    if crypto.key_id_of(blob) == crypto_current_id():
        return text, None
    return text, crypto._seal(text, purpose)


def crypto_current_id() -> int:
    from django.conf import settings

    return settings.NIK_KEY_ID


def rotate(
    batch_size: int = 1000, max_batches: int | None = None, restart: bool = False
) -> Progress:
    progress = Progress()
    batches = 0
    for target in TARGETS:
        model = apps.get_model(target.model)
        checkpoint = _checkpoint_key(target)
        if restart:
            cache.delete(checkpoint)
        last_pk = cache.get(checkpoint, 0)
        history = getattr(model, "history", None)
        history_table = history.model._meta.db_table if (history and target.index) else None
        while True:
            if max_batches is not None and batches >= max_batches:
                progress.finished = False
                return progress
            fields = ["pk", target.cipher] + ([target.index] if target.index else [])
            rows = list(
                model.objects.filter(pk__gt=last_pk)
                .exclude(**{f"{target.cipher}__isnull": True})
                .order_by("pk")
                .values_list(*fields)[:batch_size]
            )
            if not rows:
                break
            with transaction.atomic():
                history_updates = []
                for row in rows:
                    pk, blob = row[0], row[1]
                    progress.checked += 1
                    if blob is None or len(bytes(blob)) == 0:
                        continue
                    text, resealed = _reseal(blob, target.purpose)
                    changes = {}
                    if resealed is not None:
                        changes[target.cipher] = resealed
                        progress.resealed += 1
                    if target.index:
                        old_index, new_index = row[2], crypto.nik_index(text)
                        if old_index != new_index:
                            changes[target.index] = new_index
                            progress.reindexed += 1
                            history_updates.append((new_index, pk, old_index))
                    if changes:
                        model.objects.filter(pk=pk).update(**changes)
                if history_table and history_updates:
                    quote = connection.ops.quote_name
                    with connection.cursor() as cursor:
                        cursor.executemany(
                            f"UPDATE {quote(history_table)} SET {quote(target.index)} = %s "  # noqa: S608  # nosec B608
                            f"WHERE id = %s AND {quote(target.index)} = %s",
                            history_updates,
                        )
                        progress.history_rows += max(cursor.rowcount, 0)
            last_pk = rows[-1][0]
            cache.set(checkpoint, last_pk, 30 * 24 * 3600)
            batches += 1
            progress.per_model[target.model] = progress.per_model.get(target.model, 0) + len(rows)
    for path in sealed.kept_files():  # each file replaced atomically: a rerun resumes
        progress.files_resealed += sealed.reseal(path)
    return progress


def remaining() -> dict[str, int]:
    """Rows not yet under the current key (by key id; index currency needs a full run)."""
    from django.conf import settings

    counts = {}
    for target in TARGETS:
        model = apps.get_model(target.model)
        stale = 0
        for (blob,) in (
            model.objects.exclude(**{f"{target.cipher}__isnull": True})
            .values_list(target.cipher)
            .iterator(chunk_size=5000)
        ):
            if blob and crypto.key_id_of(blob) != settings.NIK_KEY_ID:
                stale += 1
        counts[target.model] = stale
    counts[FILES] = sum(
        sealed.key_id_of(path) != settings.NIK_KEY_ID for path in sealed.kept_files()
    )
    return counts
