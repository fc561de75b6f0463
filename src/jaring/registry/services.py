"""Writes to the registry: the bulk import (stage, then merge set-based), in one transaction.

A batch is atomic: rows are checked chunk by chunk and written to a staging table (COPY on
PostgreSQL, executemany elsewhere), then merged into the worker table by a handful of SQL
statements. Any failure rolls the whole batch back; the registry is then exactly as before.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.core import crypto, jobs, sealed
from jaring.core.bulk import read_ahead
from jaring.core.crypto import file_sha256
from jaring.core.events import Change, region_changed
from jaring.core.masking import nik_hint
from jaring.core.spreadsheets import (
    CHUNK_ROWS,
    LONG_NUMBERS,
    FileRefused,
    open_sheet,
    raw_cells,
)
from jaring.core.text import person_key
from jaring.core.uploads import upload_on_disk
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Level, Region
from jaring.registry import rules
from jaring.registry.bulk import (
    STAGED_COLUMNS,
    IssueRow,
    Registered,
    finish_merge,
    merge_chunk,
    registered_workers,
    rows_to_check,
    write_issues,
    write_staging,
)
from jaring.registry.content import content_hashes, row_hashes, row_key
from jaring.registry.matching import occupation_resolver, village_resolver
from jaring.registry.models import ImportBatch, ImportRowIssue, Occupation, Worker
from jaring.registry.rejects import write_rejects
from jaring.registry.transfers import (
    decide_transfer,  # noqa: F401  (a registry write)
    open_transfer,
    registered_elsewhere,
    review_cross_region,
    transfer_required,
)
from jaring.registry.validation import CODE_COLUMNS, ImportContext, check_chunk, nik_text
from jaring.registry.worker_sheet import WORKER_LIST

logger = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int | None], None]


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
    """Keep a sealed copy of the uploaded file (outside the web root) and register the batch."""
    stored = (
        imports_dir() / f"{uuid.uuid4().hex}{Path(original_name or file_path.name).suffix.lower()}"
    )
    digest = file_sha256(file_path)
    sealed.seal_file(file_path, stored)
    return ImportBatch.objects.create(
        region=region,
        source=source[:50],
        file_name=(original_name or file_path.name)[:255],
        stored_file=str(stored),
        file_sha256=digest,
        dry_run=dry_run,
        created_by=user,
    )


def rejects_path(batch: ImportBatch) -> Path:
    return imports_dir() / f"batch-{batch.pk}-ditolak.xlsx"


@dataclass
class _Totals:
    rows: int = 0
    unchanged: int = 0  # known by their raw digest or their content hash, never staged
    duplicates: int = 0
    rejected: int = 0
    warnings: int = 0


def import_lease(batch_id: int) -> str:
    """The name of the lease a running import holds (core.jobs)."""
    return f"import:{batch_id}"


def run_import(
    batch: ImportBatch, progress: ProgressCallback | None = None, chunk_rows: int = CHUNK_ROWS
) -> ImportBatch:
    """Process a batch to the end. Never raises for bad input: the batch records what failed.

    While it runs the batch holds a lease (core.jobs); a batch left running by a killed process
    loses it and :func:`fail_dead_imports` marks it failed."""
    with jobs.running(import_lease(batch.pk)):
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
        except jobs.JobTimeLimit as exc:
            return _fail(
                batch,
                f"Impor dihentikan karena melewati batas waktu {exc.seconds / 60:g} menit; tidak "
                "ada data yang berubah. Bagi berkas menjadi beberapa bagian lalu impor lagi.",
            )
        except Exception as exc:
            logger.exception("import batch %s failed", batch.pk)
            return _fail(
                batch,
                f"Impor dibatalkan, tidak ada data yang berubah ({type(exc).__name__}: {exc}).",
            )
        finally:
            if batch.dry_run:  # a check keeps its counts and rejects, not the list it checked
                forget_upload(batch)
        for name, value in outcome.items():
            setattr(batch, name, value)
        batch.status, batch.finished_at = ImportBatch.Status.DONE, timezone.now()
        batch.save()
    if not batch.dry_run:
        region_changed(batch.region_id, Change.WORKERS)
    return batch


def forget_upload(batch: ImportBatch) -> None:
    """Delete a batch's kept list (a dry run's at once, the others after the retention period);
    its name and SHA-256 stay as the record of what was imported."""
    if batch.stored_file:
        Path(batch.stored_file).unlink(missing_ok=True)
        ImportBatch.objects.filter(pk=batch.pk).update(stored_file="")
        batch.stored_file = ""


def _refused_rows(batch: ImportBatch):
    """The batch's refused rows that still hold the row as it came in (the retention empties
    them), in row order."""
    return (
        batch.issues.exclude(outcome=ImportRowIssue.Outcome.WARNING)
        .filter(raw_cipher__isnull=False)
        .order_by("row_number")
    )


def has_rejects(batch: ImportBatch) -> bool:
    return rejects_path(batch).is_file() or _refused_rows(batch).exists()


def rejects_workbook(batch: ImportBatch) -> Path | None:
    """The batch's rejects workbook, written from its refused rows the first time it is asked
    for (the import records the rows; a workbook of 50,000 of them is not written for nothing).
    None when no refused row is left."""
    path = rejects_path(batch)
    if not path.is_file():
        refused = _refused_rows(batch)
        if not refused.exists():
            return None
        write_rejects(path, refused.iterator(chunk_size=2000))
    return path


def purge_import_files(before: datetime.datetime) -> dict[str, int]:
    """Retention: for every batch finished (or abandoned) before ``before``, delete its kept
    list and rejects workbook and empty its raw rejected rows; counts and reasons stay."""
    old = ImportBatch.objects.filter(
        Q(finished_at__lt=before) | Q(finished_at__isnull=True, created_at__lt=before)
    )
    files = 0
    for batch in old.iterator():
        files += bool(batch.stored_file) and Path(batch.stored_file).is_file()
        forget_upload(batch)
        if rejects_path(batch).is_file():
            rejects_path(batch).unlink()
            files += 1
    rows = ImportRowIssue.objects.filter(batch__in=old, raw_cipher__isnull=False).update(
        raw_cipher=None
    )
    return {"import_files": files, "raw_rows": rows}


IMPORT_DIED = (
    "Impor terhenti tanpa selesai: prosesnya dimatikan atau servernya mati. Tidak ada data yang "
    "berubah; jalankan ulang impor ini."
)


def fail_dead_imports() -> list[int]:
    """Mark failed every batch left running by a process that died (its lease expired): the
    database rolled its transaction back, so nothing changed and the batch can be run again."""
    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING)
    ids = list(running.values_list("pk", flat=True))
    alive = jobs.alive(import_lease(pk) for pk in ids)
    dead = [pk for pk in ids if import_lease(pk) not in alive]
    if dead:
        running.filter(pk__in=dead).update(
            status=ImportBatch.Status.FAILED,
            error=IMPORT_DIED,
            finished_at=timezone.now(),
            **dict.fromkeys(_COUNTS, 0),
        )
        logger.warning("import batches %s stopped without finishing; marked failed", dead)
    return dead


def rerun_import(batch: ImportBatch, user) -> ImportBatch:
    """Queue a failed batch again with its kept file (the operator's re-run)."""
    require_in(user, Capability.MANAGE_REGISTRY, batch.region_id)
    if not Path(batch.stored_file).is_file():
        raise ValidationError(
            _("The uploaded file is no longer kept: upload it again."), code="file_gone"
        )
    queued = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.FAILED).update(
        status=ImportBatch.Status.PENDING, error="", started_at=None, finished_at=None
    )
    if not queued:
        raise ValidationError(_("Only a failed import can be run again."), code="not_failed")
    from jaring.registry import tasks

    transaction.on_commit(lambda: tasks.import_workers.enqueue(batch.pk))
    batch.refresh_from_db()
    return batch


_COUNTS = (
    "rows",
    "accepted",
    "updated",
    "unchanged",
    "duplicates",
    "rejected",
    "warnings",
    "registered_elsewhere",
)


def _fail(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status, batch.error, batch.finished_at = (
        ImportBatch.Status.FAILED,
        message,
        timezone.now(),
    )
    for name in _COUNTS:
        setattr(batch, name, 0)
    batch.save()
    return batch


def _import_file(batch: ImportBatch, progress: ProgressCallback | None, chunk_rows: int) -> dict:
    """The file chunk by chunk: each chunk is checked in Python (a thread of its own, one chunk
    ahead: ``core.bulk.read_ahead``) while the previous one is staged and merged here."""
    ctx = _context(batch.region)
    read = _Totals()  # counted by the checking thread
    unchanged = 0  # known by their content hash here
    now = timezone.now()
    with sealed.plain_copy(Path(batch.stored_file)) as plain:
        first_pass = _rows_to_check(batch, plain, ctx, chunk_rows)
        read.rows = read.rejected = first_pass.refused.len()
        sheet = open_sheet(plain, WORKER_LIST, chunk_rows)
        chunks = _chunks_to_process(sheet.chunks, first_pass, chunk_rows, read)
        checked = _checked_chunks(chunks, sheet.layout.fields, ctx, first_pass.to_check, read)
        for number, chunk in enumerate(read_ahead(checked)):
            unchanged += _merge_chunk(batch, chunk, now, first=number == 0)
            if progress:
                progress(read.rows, sheet.total_rows)
    counts = finish_merge(batch, now)
    if batch.dry_run:  # its rows are rolled back: the workbook is the check's lasting answer
        rejects_workbook(batch)
    counts["unchanged"] += read.unchanged + unchanged
    return {
        "rows": read.rows,
        "duplicates": read.duplicates,
        "rejected": read.rejected,
        "warnings": read.warnings,
        **counts,
    }


def _context(region: Region) -> ImportContext:
    districts = frozenset(
        Region.objects.filter(level=Level.DISTRICT).values_list("code", flat=True)
    )
    ctx = ImportContext(
        district_codes=districts,
        resolve_village=village_resolver(region),
        resolve_occupation=occupation_resolver(),
    )
    ctx.raw_key = row_key(_what_checks_read(region, ctx))
    return ctx


def _what_checks_read(region: Region, ctx: ImportContext) -> bytes:
    """Everything the checks read besides a row: a change of any of it (the income table in
    force, the region's places, the occupations) gives the raw digests another key."""
    places = Region.objects.filter(Q(code=region.code) | Q(code__startswith=region.code + "."))
    return json.dumps(
        [
            sorted(ctx.district_codes),
            list(ctx.income_steps),
            list(places.order_by("code").values_list("code", "name", "name_key")),
            list(Occupation.objects.order_by("code").values_list("code", "name", "synonyms")),
        ]
    ).encode()


def _raw_digests(chunk: pl.DataFrame, fields: dict[str, str], key: bytes) -> pl.DataFrame:
    """The chunk's ``_row`` and ``row_hash``: the digest of the cells the checks read."""
    cells = [fields[name] for name in sorted(fields)]
    if LONG_NUMBERS in chunk.columns:
        chunk = chunk.with_columns(pl.col(LONG_NUMBERS).list.join(","))
        cells.append(LONG_NUMBERS)
    return chunk.select("_row", row_hashes(chunk, cells, key))


class _FirstPass(NamedTuple):
    """What a first pass over the file found (``_rows_to_check``), each sorted by ``_row``."""

    # The rows that go through the checks, with their raw digest (None: every row).
    to_check: pl.DataFrame | None
    refused: pl.Series  # refused again by their digest (bulk.rows_to_check): issues written
    repeated: pl.Series  # known by their digest, with a NIK the file repeats


def _rows_to_check(batch, path: Path, ctx: ImportContext, chunk_rows: int) -> _FirstPass:
    """A first pass over the file. Only when some worker of the region holds a raw digest:
    otherwise the file is not read, and every row is to be checked."""
    sheet = open_sheet(path, WORKER_LIST, chunk_rows)
    fields = sheet.layout.fields
    niks = [pl.DataFrame(schema={"_row": pl.Int64, "nik": pl.String})]

    def digests():
        for chunk in sheet.chunks:
            niks.append(chunk.select("_row", nik_text(fields["nik"]).alias("nik")))
            yield _raw_digests(chunk, fields, ctx.raw_key)

    to_check, refused = rows_to_check(batch, digests())
    if to_check is None:
        return _FirstPass(None, refused, refused.clear())
    # A row known by its digest was a valid row: it takes its part in finding the NIKs the file
    # repeats — when the file repeats its NIK; otherwise it is neither a repeat nor the first of
    # one, and nothing more is done with it.
    niks = pl.concat(niks).filter(pl.col("nik").is_duplicated()).get_column("_row")
    settled = pl.concat([to_check.get_column("_row"), refused])
    repeated = niks.filter(~niks.is_in(settled.implode()))
    return _FirstPass(to_check.sort("_row"), refused.sort(), repeated.sort())


def _chunks_to_process(chunks, first_pass: _FirstPass, chunk_rows: int, totals: _Totals):
    """The sheet's chunks, less the rows the first pass settled: those known by their digest
    whose NIK the file does not repeat (counted unchanged here) and those refused again. What
    is left (often a few rows a chunk) is gathered into chunks of about ``chunk_rows``, so the
    checks run over a few large chunks rather than many small ones."""
    if first_pass.to_check is None:
        yield from chunks
        return
    wanted = pl.concat([first_pass.to_check.get_column("_row"), first_pass.repeated]).sort()
    gathered, size = [], 0
    for chunk in chunks:
        kept = chunk.filter(pl.col("_row").is_in(_within(wanted, chunk).implode()))
        settled = chunk.height - kept.height - _within(first_pass.refused, chunk).len()
        totals.rows += settled
        totals.unchanged += settled
        gathered.append(kept)
        size += kept.height
        if size >= chunk_rows:
            yield pl.concat(gathered)
            gathered, size = [], 0
    if size:
        yield pl.concat(gathered)


def _within[T: (pl.Series, pl.DataFrame)](rows: T, chunk: pl.DataFrame) -> T:
    """The part of ``rows`` (sorted by ``_row``) between the chunk's first and last row: a
    chunk meets a slice of a file-long list, not all of it."""
    first, last = chunk.get_column("_row").min(), chunk.get_column("_row").max()
    if first is None:
        return rows.clear()
    numbers = rows if isinstance(rows, pl.Series) else rows.get_column("_row")
    start = numbers.search_sorted(first, side="left")
    return rows.slice(start, numbers.search_sorted(last, side="right") - start)


class _Checked(NamedTuple):
    """A chunk as the checks left it (``_check_chunk``): nothing of it is in the database yet."""

    chunk: pl.DataFrame  # the rows as they came
    rejected: pl.DataFrame  # refused rows, with their raw digest
    duplicates: pl.DataFrame  # rows repeating an earlier row's NIK (``first_row``)
    unique: pl.DataFrame  # the first row of each NIK, checked: blind index, ciphertext, hashes


def _checked_chunks(chunks, fields, ctx, to_check, read: _Totals):
    """The chunks, checked one after the other (the NIKs the file repeats are found across
    chunks). Pure: runs in the checking thread, never touches the database."""
    seen = pl.DataFrame(schema={"nik": pl.String, "first_row": pl.Int64})
    for chunk in chunks:
        checked, seen = _check_chunk(chunk, fields, ctx, seen, read, to_check)
        yield checked


def _check_chunk(
    chunk, fields, ctx, seen, read: _Totals, to_check
) -> tuple[_Checked, pl.DataFrame]:
    """``to_check``: the rows not known by their raw digest, with it (None: every row); the
    others in ``chunk`` are known rows whose NIK the file repeats (_chunks_to_process).
    Returns the checked chunk and the NIKs seen so far."""
    if to_check is None:
        unknown = pl.lit(True)
        digests = _raw_digests(chunk, fields, ctx.raw_key)
    else:
        digests = _within(to_check, chunk)
        unknown = pl.col("_row").is_in(digests.get_column("_row").implode())
    raw_known = chunk.filter(~unknown)
    chunk_to_check = chunk.filter(unknown)
    checked = check_chunk(chunk_to_check, fields, ctx)
    valid = pl.concat(
        [
            checked.valid.select("_row", "nik"),
            raw_known.select("_row", nik_text(fields["nik"]).alias("nik")),
        ]
    ).sort("_row")
    valid = valid.join(seen, on="nik", how="left")
    earlier_in_chunk = ~valid.get_column("nik").is_first_distinct()
    duplicates = valid.filter(valid.get_column("first_row").is_not_null() | earlier_in_chunk)
    firsts = valid.filter(valid.get_column("first_row").is_null() & ~earlier_in_chunk).select(
        "nik", pl.col("_row").alias("first_row")
    )
    duplicates = duplicates.drop("first_row").join(pl.concat([seen, firsts]), on="nik", how="left")
    seen = pl.concat([seen, firsts])

    unique = checked.valid.filter(pl.col("_row").is_in(firsts["first_row"].implode()))
    niks = unique.get_column("nik")
    unique = unique.with_columns(
        pl.Series("nik_index", [crypto.nik_index(n) for n in niks], dtype=pl.String),
        pl.Series("nik_cipher", [crypto.encrypt_nik(n) for n in niks], dtype=pl.Binary),
        content_hashes(unique),
    ).join(digests, on="_row")
    # A row with a warning is checked every time, so that every import of it says so.
    unique = unique.with_columns(
        pl.when(pl.col("_warnings").list.len() == 0).then(pl.col("row_hash")).alias("row_hash")
    )
    read.rows += checked.valid.height + checked.rejected.height + raw_known.height
    read.unchanged += firsts.height - unique.height
    read.rejected += checked.rejected.height
    read.duplicates += duplicates.height
    read.warnings += unique.filter(pl.col("_warnings").list.len() > 0).height
    rejected = checked.rejected.join(digests, on="_row", how="left")
    return _Checked(chunk, rejected, duplicates, unique), seen


def _merge_chunk(batch: ImportBatch, checked: _Checked, now, first: bool) -> int:
    """A checked chunk into the database: its rows known unchanged recognised, the others
    staged and merged, its issues written. Returns how many were known unchanged."""
    unique = checked.unique
    found = registered_workers(batch, unique)
    staged = unique.join(found.unchanged, on="nik_index", how="anti")
    _stage(batch, staged, found)
    elsewhere = staged.join(found.elsewhere, on="nik_index").get_column("_row").sort().to_list()
    linked = dict(
        unique.join(found.unchanged, on="nik_index").select("_row", "worker_id").iter_rows()
    )
    issues = _issues(batch, checked.chunk, checked.rejected, checked.duplicates, unique, linked)
    issues += _elsewhere_issues(checked.chunk, elsewhere)
    write_issues(batch, issues)
    rows = checked.chunk.get_column("_row")
    merge_chunk(batch, (rows.min(), rows.max()), now, first)
    return found.unchanged.height


def _message(codes: list[str], detail: str | None) -> str:
    text = " ".join(str(rules.REJECT_MESSAGES.get(code, code)) for code in codes)
    return f"{text} {detail}".strip() if detail else text


def _issues(batch, chunk, rejected, duplicates, unique, linked) -> list[IssueRow]:
    """``linked``: the worker of each row known unchanged (its warning points at it now; the
    merge links the others)."""
    raw_rows = {
        row["_row"]: raw_cells(row)
        for row in chunk.filter(
            pl.col("_row").is_in(pl.concat([rejected["_row"], duplicates["_row"]]).implode())
        ).iter_rows(named=True)
    }
    issues = [
        IssueRow(
            row,
            "rejected",
            codes,
            _message(codes, detail),
            ImportRowIssue.seal_raw(raw_rows[row]),
            row_hash=None if rules.DATED_REJECTIONS.intersection(codes) else row_hash,
        )
        for row, codes, detail, row_hash in rejected.select(
            "_row", CODE_COLUMNS, "_detail", "row_hash"
        ).iter_rows()
    ]
    issues += [
        IssueRow(
            row,
            "duplicate",
            ["duplicate_in_file"],
            f"NIK sama dengan baris {first}; baris ini tidak diimpor.",
            ImportRowIssue.seal_raw(raw_rows[row]),
        )
        for row, first in duplicates.select("_row", "first_row").iter_rows()
    ]
    for row, warnings, detail in (
        unique.filter(pl.col("_warnings").list.len() > 0)
        .select("_row", "_warnings", "_detail")
        .iter_rows()
    ):
        text = " ".join(str(rules.WARNING_MESSAGES[w]) for w in warnings)
        message = f"{text} {detail}".strip() if "village_fuzzy" in warnings else text
        issues.append(IssueRow(row, "warning", warnings, message, worker_id=linked.get(row)))
    return issues


def _elsewhere_issues(chunk, rows: list[int]) -> list[IssueRow]:
    """Rows whose NIK another region holds: their own outcome, in the rejects workbook too."""
    code = "registered_elsewhere"
    message = str(rules.REJECT_MESSAGES[code])
    return [
        IssueRow(row["_row"], code, [code], message, ImportRowIssue.seal_raw(raw_cells(row)))
        for row in chunk.filter(pl.col("_row").is_in(rows)).iter_rows(named=True)
    ]


def _stage(batch: ImportBatch, unique: pl.DataFrame, found: Registered) -> None:
    """Stage the chunk's rows to merge: 'new', or with the worker ``found`` holding their NIK,
    'known' (in the region: compared by the merge) or 'foreign' (elsewhere)."""
    if unique.is_empty():
        return
    holders = pl.concat(
        [
            found.known.with_columns(outcome=pl.lit("known")),
            found.elsewhere.with_columns(outcome=pl.lit("foreign")),
        ]
    )
    unique = unique.join(holders, on="nik_index", how="left")
    # Columns not taken as they are from the checked rows (the rest keep their names).
    computed = {
        "batch_id": pl.lit(batch.pk),
        "row_number": pl.col("_row"),
        "nik_hint": pl.col("nik").str.slice(0, 4) + pl.col("nik").str.slice(12, 4),
        "source": pl.lit(batch.source),
        "source_ref": pl.lit(f"{batch.file_name}#") + pl.col("_row").cast(pl.String),
        "outcome": pl.col("outcome").fill_null("new"),
    }
    staged = unique.select(
        [computed.get(name, pl.col(name)).alias(name) for name in STAGED_COLUMNS]
    )
    write_staging(staged)


def reveal_nik(user, worker: Worker, reason: str, request=None) -> str:
    """Decrypt a worker's NIK for a user allowed to see it, and log the read."""
    from jaring.accounts.models import PersonalDataAccess
    from jaring.accounts.services import log_personal_access

    require_in(user, Capability.VIEW_PERSONAL_DATA, worker.village_id)
    log_personal_access(
        user,
        PersonalDataAccess.Action.VIEW_NIK,
        "worker",
        worker.pk,
        worker.village_id,
        reason=reason,
        request=request,
    )
    return crypto.decrypt_nik(worker.nik_cipher)


@transaction.atomic
def review_duplicate(candidate, user, same_person: bool) -> None:
    """Record a reviewer's verdict; the same person means the newer record is merged away."""
    from jaring.registry.models import DuplicateCandidate, WorkerStatus
    from jaring.registry.transfers import both_say_same

    if candidate.cross_region:  # both kabupaten decide; resolved when both have
        if not review_cross_region(candidate, user, same_person):
            return
        same_person = both_say_same(candidate)
    else:
        require_in(user, Capability.MANAGE_REGISTRY, candidate.worker.village_id)
        require_in(user, Capability.MANAGE_REGISTRY, candidate.other.village_id)
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
        region_changed(newer.village_id, Change.WORKERS)


def _rejected(code: str) -> ValidationError:
    """A single worker refused for the same reason an import row would be (same code, same text)."""
    return ValidationError(rules.REJECT_MESSAGES[code], code=code)


def _refuse_income_off_table(income: int | None, today: datetime.date) -> None:
    """A typed income must be a step of the table: refused naming the nearest steps (one
    definition, programs.rules, shared with the import and the contribution)."""
    if income is None:
        return
    steps = program_rules.income_steps(default_rulebook(), today)
    params = program_rules.income_problem(steps, income)
    if params:
        raise ValidationError(
            program_rules.INCOME_NOT_IN_TABLE, code="income_not_in_table", params=params
        )


@dataclass(frozen=True)
class WorkerInput:
    """One worker typed by a person or sent by a client (the API), not a spreadsheet row."""

    nik: str
    full_name: str
    sex: str
    birth_date: datetime.date
    village_code: str
    occupation: str = "lainnya"
    declared_income: int | None = None
    desil: int | None = None
    phone: str = ""
    address: str = ""
    source: str = ""


def _single_row_problems(data: WorkerInput, today: datetime.date) -> list[str]:
    nik, problem = rules.normalise_nik(data.nik)
    if problem:
        return [problem]
    facts, problem = rules.parse_nik(nik, today)
    if problem:
        return [problem]
    problems = rules.nik_agrees_with(facts, data.sex, data.birth_date)
    if not data.full_name.strip():
        problems.append("name_missing")
    if data.sex not in {"L", "P"}:
        problems.append("sex_invalid")
    if data.birth_date > today:
        problems.append("birth_date_future")
    if data.desil is not None and not 1 <= data.desil <= 10:
        problems.append("desil_invalid")
    if data.phone and rules.parse_phone(data.phone)[1] == "phone_invalid":
        problems.append("phone_invalid")
    return problems


def register_worker(data: WorkerInput, village: Region, user) -> Worker:
    """Add one worker (the same checks as an import row); a known NIK is refused, not merged.

    A NIK registered in another kabupaten is refused with ``registered_elsewhere`` and opens
    (once) a transfer request to ``village`` that the worker's region decides.
    """
    _refuse_if_registered_elsewhere(data, village, user)
    return _register_worker(data, village, user)


def _refuse_if_registered_elsewhere(data: WorkerInput, village: Region, user) -> None:
    nik, problem = rules.normalise_nik(data.nik)
    if problem or village.level != Level.VILLAGE:
        return  # the checks of _register_worker say what is wrong
    require_in(user, Capability.MANAGE_REGISTRY, village.code)
    known = Worker.objects.filter(nik_index=crypto.nik_index(nik)).first()
    if known is not None and known.regency_code != village.code[:5]:
        contact = {"phone": (rules.parse_phone(data.phone)[0] or "") if data.phone else ""}
        open_transfer(known, village.code, user, {**contact, "address": data.address.strip()})
        raise registered_elsewhere()


@transaction.atomic
def _register_worker(data: WorkerInput, village: Region, user) -> Worker:
    from jaring.registry.models import Occupation

    require_in(user, Capability.MANAGE_REGISTRY, village.code)
    problems = _single_row_problems(data, timezone.localdate())
    nik, _problem = rules.normalise_nik(data.nik)
    if not problems and not Region.objects.filter(code=rules.nik_district_code(nik)).exists():
        problems.append("nik_region_unknown")
    if village.level != Level.VILLAGE:
        problems.append("village_unknown")
    if problems:
        raise ValidationError([_rejected(code) for code in problems])
    _refuse_income_off_table(data.declared_income, timezone.localdate())
    if Worker.objects.filter(nik_index=crypto.nik_index(nik)).exists():
        raise ValidationError(_("This NIK is already registered."), code="nik_registered")
    occupation = Occupation.objects.filter(code=data.occupation).first()
    if occupation is None:
        raise ValidationError(_("Unknown occupation."), code="occupation_unknown")
    worker = Worker(
        nik_index=crypto.nik_index(nik),
        nik_cipher=crypto.encrypt_nik(nik),
        nik_hint=nik_hint(nik),
        full_name=data.full_name.strip(),
        name_key=person_key(data.full_name),
        sex=data.sex,
        birth_date=data.birth_date,
        village=village,
        occupation=occupation,
        declared_income=data.declared_income,
        desil=data.desil,
        phone=(rules.parse_phone(data.phone)[0] or "") if data.phone else "",
        address=data.address.strip(),
        source=data.source[:50],
    )
    worker._history_user = user
    worker.save()
    region_changed(village.code, Change.WORKERS)
    return worker


UPDATABLE_FIELDS = {
    "phone",
    "address",
    "rt_rw",
    "occupation_id",
    "declared_income",
    "desil",
    "village_id",
}


def update_worker(worker: Worker, changes: dict, user, reason: str = "") -> Worker:
    """Change what a worker's record may change after registration (never the NIK).

    Never across regions: a village in another kabupaten opens a transfer request instead
    (refused with ``transfer_required``); the worker's region decides the move.
    """
    _refuse_move_across_regions(worker, changes, user)
    return _update_worker(worker, changes, user, reason)


@transaction.atomic
def _update_worker(worker: Worker, changes: dict, user, reason: str = "") -> Worker:
    require_in(user, Capability.MANAGE_REGISTRY, worker.village_id)
    if "village_id" in changes:  # a move needs the right in the new village too
        require_in(user, Capability.MANAGE_REGISTRY, changes["village_id"])
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("Cannot be changed: %(fields)s."),
            code="field_not_updatable",
            params={"fields": ", ".join(sorted(unknown))},
        )
    if changes.get("desil") is not None and not 1 <= changes["desil"] <= 10:
        raise _rejected("desil_invalid")
    _refuse_income_off_table(changes.get("declared_income"), timezone.localdate())
    if changes.get("phone"):
        phone, problem = rules.parse_phone(changes["phone"])
        if problem == "phone_invalid":
            raise _rejected("phone_invalid")
        changes["phone"] = phone
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    was_in = worker.village_id
    for field, value in changes.items():
        setattr(worker, field, value)
    worker._history_user, worker._change_reason = user, reason[:100]
    try:
        untouched = [f.name for f in Worker._meta.fields if f.attname not in changes]
        worker.full_clean(exclude=untouched)
    except ValidationError as exc:
        raise ValidationError(exc.messages, code="worker_invalid") from exc
    worker.save()
    for regency in {was_in[:5], worker.village_id[:5]}:  # a move changes both kabupaten
        region_changed(regency, Change.WORKERS)
    return worker


def _refuse_move_across_regions(worker: Worker, changes: dict, user) -> None:
    """A village in another kabupaten is a move: a transfer request, never a silent update."""
    target = changes.get("village_id")
    if not target or target[:5] == worker.regency_code:
        return
    require_in(user, Capability.MANAGE_REGISTRY, worker.village_id)
    if not Region.objects.filter(code=target, level=Level.VILLAGE).exists():
        raise ValidationError(rules.REJECT_MESSAGES["village_unknown"], code="village_unknown")
    open_transfer(worker, target, user)
    raise transfer_required()


def receive_upload(upload, region: Region, source: str, user, dry_run: bool = False) -> ImportBatch:
    """Keep an uploaded list and queue its import for the background worker after commit."""
    require_in(user, Capability.MANAGE_REGISTRY, region.code)
    from jaring.registry import tasks

    with upload_on_disk(upload) as path:
        batch = create_batch(path, region, source, user, dry_run, original_name=upload.name)
    transaction.on_commit(lambda: tasks.import_workers.enqueue(batch.pk))
    return batch
