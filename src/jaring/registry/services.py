"""Writes to the registry: the bulk import (stage, then merge set-based), in one transaction.

A batch is atomic: rows are checked chunk by chunk and written to a staging table (COPY on
PostgreSQL, executemany elsewhere), then merged into the worker table by a handful of SQL
statements. Any failure rolls the whole batch back; the registry is then exactly as before.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jaring.regions.models import Level, Region
from jaring.registry import protection, rules
from jaring.registry.matching import occupation_resolver, village_resolver
from jaring.registry.models import ImportBatch, ImportRowIssue, ImportStaging, Worker
from jaring.registry.rejects import RejectsWriter
from jaring.registry.spreadsheets import CHUNK_ROWS, FileRefused, open_sheet
from jaring.registry.validation import CODE_COLUMNS, ImportContext, check_chunk

logger = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int | None], None]

STAGED_COLUMNS = [
    "batch_id",
    "row_number",
    "nik_index",
    "nik_cipher",
    "nik_hint",
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
    "source",
    "source_ref",
]
# Fields an import may set; those marked True keep the stored value when the file leaves them blank.
MERGED_FIELDS = {
    "full_name": False,
    "name_key": False,
    "sex": False,
    "birth_date": False,
    "birth_place": True,
    "phone": True,
    "address": True,
    "rt_rw": True,
    "village_id": False,
    "occupation_id": False,
    "declared_income": True,
    "desil": True,
    "has_disability": False,
    "is_female_head": False,
    "source": True,
    "source_ref": False,
}
# Where a row came from is not a change of the worker: the same data in another file is unchanged.
PROVENANCE_FIELDS = {"source", "source_ref"}


class ImportInterrupted(RuntimeError):
    """Raised to roll a batch back (a dry run ends this way on purpose)."""


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_batch(
    file_path: Path,
    region: Region,
    source: str = "",
    user=None,
    dry_run: bool = False,
    original_name: str | None = None,
) -> ImportBatch:
    """Keep a copy of the uploaded file (outside the web root) and register the batch."""
    stored = (
        imports_dir() / f"{uuid.uuid4().hex}{Path(original_name or file_path.name).suffix.lower()}"
    )
    shutil.copyfile(file_path, stored)
    digest = hashlib.sha256()
    with stored.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return ImportBatch.objects.create(
        region=region,
        source=source[:50],
        file_name=(original_name or file_path.name)[:255],
        stored_file=str(stored),
        file_sha256=digest.hexdigest(),
        dry_run=dry_run,
        created_by=user,
    )


def rejects_path(batch: ImportBatch) -> Path:
    return imports_dir() / f"batch-{batch.pk}-ditolak.xlsx"


@dataclass
class _Totals:
    rows: int = 0
    duplicates: int = 0
    rejected: int = 0
    warnings: int = 0


def run_import(
    batch: ImportBatch, progress: ProgressCallback | None = None, chunk_rows: int = CHUNK_ROWS
) -> ImportBatch:
    """Process a batch to the end. Never raises for bad input: the batch records what failed."""
    batch.status, batch.started_at = ImportBatch.Status.RUNNING, timezone.now()
    batch.save(update_fields=["status", "started_at"])
    try:
        with transaction.atomic():
            outcome = _import_file(batch, progress, chunk_rows)
            if batch.dry_run:
                raise ImportInterrupted
    except ImportInterrupted:
        pass  # the dry run's counts are kept; its writes are rolled back
    except FileRefused as exc:
        return _fail(batch, str(exc))
    except Exception as exc:
        logger.exception("import batch %s failed", batch.pk)
        return _fail(
            batch, f"Impor dibatalkan, tidak ada data yang berubah ({type(exc).__name__}: {exc})."
        )
    for name, value in outcome.items():
        setattr(batch, name, value)
    batch.status, batch.finished_at = ImportBatch.Status.DONE, timezone.now()
    batch.save()
    return batch


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.error, batch.finished_at = (
        ImportBatch.Status.FAILED,
        message,
        timezone.now(),
    )
    batch.rows = batch.accepted = batch.updated = batch.unchanged = 0
    batch.duplicates = batch.rejected = batch.warnings = 0
    batch.save()
    return batch


def _import_file(batch: ImportBatch, progress: ProgressCallback | None, chunk_rows: int) -> dict:
    sheet = open_sheet(Path(batch.stored_file), chunk_rows)
    ctx = _context(batch.region)
    totals = _Totals()
    seen = pl.DataFrame(schema={"nik": pl.String, "first_row": pl.Int64})
    with RejectsWriter(rejects_path(batch), sheet.layout.headers) as rejects:
        for chunk in sheet.chunks:
            seen = _process_chunk(batch, chunk, sheet.layout.fields, ctx, seen, totals, rejects)
            if progress:
                progress(totals.rows, sheet.total_rows)
    counts = _merge(batch)
    return {
        "rows": totals.rows,
        "duplicates": totals.duplicates,
        "rejected": totals.rejected,
        "warnings": totals.warnings,
        **counts,
    }


def _context(region: Region) -> ImportContext:
    districts = frozenset(
        Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True)
    )
    return ImportContext(
        region_code=region.code,
        district_codes=districts,
        resolve_village=village_resolver(region),
        resolve_occupation=occupation_resolver(),
    )


def _process_chunk(batch, chunk, fields, ctx, seen, totals, rejects) -> pl.DataFrame:
    checked = check_chunk(chunk, fields, ctx)
    valid = checked.valid.join(seen, on="nik", how="left")
    earlier_in_chunk = ~valid.get_column("nik").is_first_distinct()
    duplicates = valid.filter(valid.get_column("first_row").is_not_null() | earlier_in_chunk)
    unique = valid.filter(valid.get_column("first_row").is_null() & ~earlier_in_chunk)
    firsts = unique.select("nik", pl.col("_row").alias("first_row"))
    duplicates = duplicates.drop("first_row").join(pl.concat([seen, firsts]), on="nik", how="left")
    seen = pl.concat([seen, firsts])

    _stage(batch, unique)
    issues = _issues(batch, chunk, checked.rejected, duplicates, unique, rejects)
    ImportRowIssue.objects.bulk_create(issues, batch_size=2000)
    totals.rows += checked.valid.height + checked.rejected.height
    totals.rejected += checked.rejected.height
    totals.duplicates += duplicates.height
    totals.warnings += unique.filter(pl.col("_warnings").list.len() > 0).height
    return seen


def _message(codes: list[str], detail: str | None) -> str:
    text = " ".join(rules.REJECT_MESSAGES.get(code, code) for code in codes)
    return f"{text} {detail}".strip() if detail else text


def _issues(batch, chunk, rejected, duplicates, unique, rejects) -> list[ImportRowIssue]:
    raw_rows = {
        row["_row"]: {k: v for k, v in row.items() if k != "_row"}
        for row in chunk.filter(
            pl.col("_row").is_in(pl.concat([rejected["_row"], duplicates["_row"]]).implode())
        ).iter_rows(named=True)
    }
    issues = []
    for row, codes, detail in rejected.select("_row", CODE_COLUMNS, "_detail").iter_rows():
        message = _message(
            codes,
            detail
            if "village_unknown" in codes
            or "village_ambiguous" in codes
            or "district_unknown" in codes
            else None,
        )
        issues.append(
            ImportRowIssue(
                batch=batch,
                row_number=row,
                outcome="rejected",
                codes=codes,
                message=message,
                raw=raw_rows[row],
            )
        )
        rejects.add(row, raw_rows[row], message, codes)
    for row, first in duplicates.select("_row", "first_row").iter_rows():
        message = f"NIK sama dengan baris {first}; baris ini tidak diimpor."
        issues.append(
            ImportRowIssue(
                batch=batch,
                row_number=row,
                outcome="duplicate",
                codes=["duplicate_in_file"],
                message=message,
                raw=raw_rows[row],
            )
        )
        rejects.add(row, raw_rows[row], message, ["duplicate_in_file"])
    for row, warnings, detail in (
        unique.filter(pl.col("_warnings").list.len() > 0)
        .select("_row", "_warnings", "_detail")
        .iter_rows()
    ):
        text = " ".join(rules.WARNING_MESSAGES[w] for w in warnings)
        message = f"{text} {detail}".strip() if "village_fuzzy" in warnings else text
        issues.append(
            ImportRowIssue(
                batch=batch,
                row_number=row,
                outcome="warning",
                codes=warnings,
                message=message,
                raw={},
            )
        )
    return issues


def _stage(batch: ImportBatch, unique: pl.DataFrame) -> None:
    if unique.is_empty():
        return
    niks = unique.get_column("nik").to_list()
    staged = unique.select(
        pl.lit(batch.pk).alias("batch_id"),
        pl.col("_row").alias("row_number"),
        pl.Series("nik_index", [protection.nik_index(n) for n in niks]),
        pl.Series("nik_cipher", [protection.encrypt_nik(n) for n in niks], dtype=pl.Binary),
        (pl.col("nik").str.slice(0, 4) + pl.col("nik").str.slice(12, 4)).alias("nik_hint"),
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
        pl.lit(batch.source).alias("source"),
        (pl.lit(f"{batch.file_name}#") + pl.col("_row").cast(pl.String)).alias("source_ref"),
    )
    if connection.vendor == "postgresql":
        _copy_into_staging(staged)
    else:
        placeholders = ", ".join(["%s"] * len(STAGED_COLUMNS))
        sql = f"INSERT INTO {_table(ImportStaging)} ({', '.join(STAGED_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.executemany(sql, staged.iter_rows())


def _copy_into_staging(staged: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    staged.with_columns(
        pl.concat_str([pl.lit("\\x"), pl.col("nik_cipher").bin.encode("hex")]).alias("nik_cipher")
    ).write_csv(buffer, include_header=False, null_value="")
    columns = ", ".join(STAGED_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg cursor under Django's wrapper
        with raw.copy(
            f"COPY {_table(ImportStaging)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            copy.write(buffer.getvalue())


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _merge(batch: ImportBatch) -> dict[str, int]:
    """Set-based merge of the staged rows: new workers, changed workers, history, duplicates."""
    staging, worker = _table(ImportStaging), _table(Worker)
    history = _table(Worker.history.model)
    now, user = timezone.now(), batch.created_by_id
    changed = " OR ".join(
        f"w.{field} IS DISTINCT FROM {_incoming(field, keep)}"
        for field, keep in MERGED_FIELDS.items()
        if field not in PROVENANCE_FIELDS
    )
    assignments = ", ".join(
        f"{field} = {_incoming(field, keep)}" for field, keep in MERGED_FIELDS.items()
    )
    inserted = ", ".join(MERGED_FIELDS)
    history_fields = [
        "id",
        *MERGED_FIELDS,
        "nik_index",
        "nik_hint",
        "status",
        "date_of_death",
        "merged_into_id",
        "last_batch_id",
    ]
    statements = [
        (
            f"UPDATE {staging} AS s SET worker_id = w.id, outcome = CASE WHEN {changed} "
            f"THEN 'changed' ELSE 'same' END FROM {worker} AS w "
            f"WHERE s.batch_id = %s AND w.nik_index = s.nik_index",
            [batch.pk],
        ),
        (
            f"UPDATE {staging} SET outcome = 'new' WHERE batch_id = %s AND worker_id IS NULL",
            [batch.pk],
        ),
        (
            f"UPDATE {worker} AS w SET {assignments}, last_batch_id = %s, "
            f"updated_at = %s FROM {staging} AS s WHERE s.batch_id = %s AND s.outcome = 'changed' "
            f"AND w.id = s.worker_id",
            [batch.pk, now, batch.pk],
        ),
        (
            f"INSERT INTO {worker} (nik_index, nik_cipher, nik_hint, {inserted}, status, "
            f"last_batch_id, created_at, updated_at) SELECT nik_index, nik_cipher, nik_hint, "
            f"{inserted}, 'active', batch_id, %s, %s FROM {staging} "
            f"WHERE batch_id = %s AND outcome = 'new' ORDER BY row_number",
            [now, now, batch.pk],
        ),
        (
            f"INSERT INTO {history} ({', '.join(history_fields)}, history_date, history_type, "
            f"history_user_id, history_change_reason) SELECT "
            f"{', '.join('w.' + f for f in history_fields)}, %s, "
            f"CASE s.outcome WHEN 'new' THEN '+' ELSE '~' END, %s, %s "
            f"FROM {worker} AS w JOIN {staging} AS s ON s.nik_index = w.nik_index "
            f"WHERE s.batch_id = %s AND s.outcome IN ('new', 'changed')",
            [now, user, f"Impor batch #{batch.pk}", batch.pk],
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        _flag_duplicate_candidates(cursor, batch, now)
        cursor.execute(
            f"SELECT outcome, COUNT(*) FROM {staging} WHERE batch_id = %s GROUP BY outcome",  # noqa: S608  # nosec B608
            [batch.pk],
        )
        counts = dict(cursor.fetchall())
        cursor.execute(f"DELETE FROM {staging} WHERE batch_id = %s", [batch.pk])  # noqa: S608  # nosec B608
    return {
        "accepted": counts.get("new", 0),
        "updated": counts.get("changed", 0),
        "unchanged": counts.get("same", 0),
    }


def _incoming(field: str, keep_when_blank: bool) -> str:
    """The value the file brings for a field (the stored one where the file left it blank)."""
    if not keep_when_blank:
        return f"s.{field}"
    if field in {"declared_income", "desil"}:
        return f"COALESCE(s.{field}, w.{field})"
    return f"COALESCE(NULLIF(s.{field}, ''), w.{field})"


def _flag_duplicate_candidates(cursor, batch: ImportBatch, now) -> None:
    """Same normalised name, birth date and village, different NIK: flagged for review."""
    from jaring.registry.models import DuplicateCandidate

    candidates, worker, staging = _table(DuplicateCandidate), _table(Worker), _table(ImportStaging)
    conflict = "ON CONFLICT DO NOTHING"
    cursor.execute(
        f"INSERT INTO {candidates} (worker_id, other_id, status, found_in_batch_id, created_at) "  # noqa: S608  # nosec B608
        f"SELECT DISTINCT CASE WHEN a.id < b.id THEN a.id ELSE b.id END, "
        f"CASE WHEN a.id < b.id THEN b.id ELSE a.id END, 'open', %s, %s "
        f"FROM {staging} AS s JOIN {worker} AS a ON a.nik_index = s.nik_index "
        f"JOIN {worker} AS b ON b.name_key = a.name_key AND b.birth_date = a.birth_date "
        f"AND b.village_id = a.village_id AND b.id <> a.id "
        f"WHERE s.batch_id = %s AND s.outcome IN ('new', 'changed') {conflict}",
        [batch.pk, now, batch.pk],
    )


def reveal_nik(user, worker: Worker, reason: str, request=None) -> str:
    """Decrypt a worker's NIK for a user allowed to see it, and log the read."""
    from django.core.exceptions import PermissionDenied

    from jaring.accounts.models import PersonalDataAccess
    from jaring.accounts.services import log_personal_access
    from jaring.registry.selectors import may_see_personal_data

    if not may_see_personal_data(user, worker):
        raise PermissionDenied
    log_personal_access(
        user,
        PersonalDataAccess.Action.VIEW_NIK,
        "worker",
        worker.pk,
        worker.village_id,
        reason=reason,
        request=request,
    )
    return protection.decrypt_nik(worker.nik_cipher)


@transaction.atomic
def review_duplicate(candidate, user, same_person: bool) -> None:
    """Record a reviewer's verdict; the same person means the newer record is merged away."""
    from jaring.registry.models import DuplicateCandidate, WorkerStatus

    candidate.status = (
        DuplicateCandidate.Status.SAME_PERSON
        if same_person
        else DuplicateCandidate.Status.DIFFERENT
    )
    candidate.reviewed_by = user
    candidate.save(update_fields=["status", "reviewed_by"])
    if same_person:
        newer = Worker.objects.select_for_update().get(pk=candidate.other_id)
        newer.status, newer.merged_into_id = WorkerStatus.MERGED, candidate.worker_id
        newer._change_reason = f"Duplikat dari pekerja #{candidate.worker_id}"
        newer.save(update_fields=["status", "merged_into", "updated_at"])
