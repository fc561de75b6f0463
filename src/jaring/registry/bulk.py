"""Bulk SQL for imports: writing staged rows (COPY on PostgreSQL, executemany elsewhere) and
merging them into the worker table set-based, one statement per step, never a loop over rows.
Identifiers in this SQL come from model metadata; every value is a query parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

import polars as pl
from django.db import connection

from jaring.core.bulk import (
    INDEX_LOOKUP_SETTINGS,
    LOOKUP_SETTINGS,
    bulk_settings,
    set_local,
    write_frame,
)
from jaring.core.history import insert_with_history, record_history
from jaring.core.masking import mask_personal
from jaring.registry.content import HASHED_FIELDS
from jaring.registry.models import (
    DuplicateCandidate,
    ImportBatch,
    ImportRowIssue,
    ImportStaging,
    TransferRequest,
    Worker,
)
from jaring.registry.rules import WARNING_MESSAGES

STAGED_COLUMNS = [
    "batch_id",
    "row_number",
    "nik_index",
    "nik_cipher",
    "nik_hint",
    *HASHED_FIELDS,
    "source",
    "source_ref",
    "content_hash",
    "row_hash",
    "outcome",
    "worker_id",
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


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def write_staging(staged: pl.DataFrame) -> None:
    """Append validated rows (columns in STAGED_COLUMNS order) to the staging table."""
    write_frame(ImportStaging._meta.db_table, STAGED_COLUMNS, _bytea_as_text(staged))


def _bytea_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Binary columns as COPY reads bytea on PostgreSQL (hex text); unchanged elsewhere."""
    if connection.vendor != "postgresql":
        return frame
    return frame.with_columns(
        pl.concat_str([pl.lit("\\x"), pl.col(name).bin.encode("hex")]).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.Binary
    )


class IssueRow(NamedTuple):
    """One row's outcome worth telling (an ImportRowIssue), before it is written."""

    row_number: int
    outcome: str
    codes: list[str]
    message: str
    raw_cipher: bytes | None = None
    worker_id: int | None = None
    row_hash: bytes | None = None  # a refusal another import of the same row may reuse


_ISSUE_COLUMNS = ["batch_id", *IssueRow._fields]


def write_issues(batch: ImportBatch, issues: list[IssueRow]) -> None:
    """Append a chunk's issues in one COPY (PostgreSQL; executemany elsewhere), not one ORM
    object per row. Messages are masked as ``NikFreeTextField`` masks what the ORM saves."""
    if not issues:
        return
    masked = {text: mask_personal(text).replace("\x00", "") for text in {i.message for i in issues}}
    frame = pl.DataFrame(
        [
            (
                batch.pk,
                i.row_number,
                i.outcome,
                json.dumps(i.codes),
                masked[i.message],
                i.raw_cipher,
                i.worker_id,
                i.row_hash,
            )
            for i in issues
        ],
        schema={
            "batch_id": pl.Int64,
            "row_number": pl.Int64,
            "outcome": pl.String,
            "codes": pl.String,
            "message": pl.String,
            "raw_cipher": pl.Binary,
            "worker_id": pl.Int64,
            "row_hash": pl.Binary,
        },
        orient="row",
    )
    write_frame(ImportRowIssue._meta.db_table, _ISSUE_COLUMNS, _bytea_as_text(frame))


def rows_to_check(
    batch: ImportBatch, digests: Iterable[pl.DataFrame]
) -> tuple[pl.DataFrame | None, pl.Series]:
    """Of the file's rows (``_row``, ``row_hash``, chunk by chunk), those that need checking
    (the same two columns), and the ``_row`` of each row refused again without it. A row
    whose raw digest (registry.content) a worker of the batch's region holds is unchanged
    whatever its cells say. On PostgreSQL, a row whose digest an earlier batch of the region
    refused is refused again for the same reasons (its issue copied into this batch), unless
    the refusal read today's date. None when no worker of the region holds a digest: every row
    is checked, and the file is not read twice."""
    worker = table_name(Worker)
    outside, params = _outside(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {worker} AS w WHERE w.row_hash IS NOT NULL "  # noqa: S608  # nosec B608
            f"AND NOT ({outside}) LIMIT 1",
            params,
        )
        if cursor.fetchone() is None:
            return None, _NONE
        if connection.vendor == "postgresql":
            with bulk_settings():  # JIT would compile the refusals' look-up for longer than it runs
                return _to_check_by_join(cursor, batch, digests, worker, outside, params)
        unknown = [_DIGESTS]
        for chunk in digests:
            for part, found in _workers_among(cursor, "w.row_hash", "row_hash", chunk, batch):
                held = pl.Series("row_hash", [bytes(h) for (h,) in found], dtype=pl.Binary)
                unknown.append(part.filter(~pl.col("row_hash").is_in(held.implode())))
    return pl.concat(unknown), _NONE


def _workers_among(
    cursor, columns: str, key: str, frame: pl.DataFrame, batch: ImportBatch, everywhere=False
):
    """SQLite: ``columns`` of the workers of the batch's region (of every region, with whether
    each lives outside it as a last column, when ``everywhere``) whose ``key`` is among
    ``frame``'s, part by part (its limit on parameters); yields each part of ``frame`` with the
    rows found."""
    worker = table_name(Worker)
    outside, params = _outside(batch)
    if everywhere:
        columns, where, before, after = f"{columns}, {outside}", "", params, []
    else:
        where, before, after = f"AND NOT ({outside})", [], params
    for start in range(0, frame.height, _LOOKUP_ROWS):
        part = frame.slice(start, _LOOKUP_ROWS)
        marks = ", ".join(["%s"] * part.height)
        cursor.execute(
            f"SELECT {columns} FROM {worker} AS w "  # noqa: S608  # nosec B608
            f"WHERE w.{key} IN ({marks}) {where}",
            [*before, *part[key].to_list(), *after],
        )
        yield part, cursor.fetchall()


def _to_check_by_join(cursor, batch, digests, worker: str, outside: str, params: list):
    """The digests the region's workers hold come out as one value and meet the file's in one
    anti-join (one hash table for the whole file, not a look-up per row); only the rows left
    go in, to meet the earlier refusals in one insert. The rows to check and those refused
    again."""
    held = _held_digests(cursor, worker, outside, params)
    file = pl.concat([_DIGESTS, *(chunk.select("_row", "row_hash") for chunk in digests)])
    unknown = file.join(held, on="row_hash", how="anti")
    cursor.execute(f"CREATE TEMPORARY TABLE {_RAW} (_row bigint, row_hash bytea)")
    write_frame(_RAW, ["_row", "row_hash"], _bytea_as_text(unknown))
    cursor.execute(f"ANALYZE {_RAW}")
    issues, batches = table_name(ImportRowIssue), table_name(ImportBatch)
    cursor.execute(
        # The latest refusal of each row (its reasons as the last import gave them): one probe
        # of issue_row_hash_latest_idx, however many imports refused it before. Materialised,
        # so that the probes run once whatever the planner thinks of the batches. The digests'
        # key differs from region to region: the region is a safeguard, checked after.
        f"WITH latest AS MATERIALIZED (SELECT r._row, r.row_hash, i.* FROM {_RAW} AS r "  # nosec B608
        f"CROSS JOIN LATERAL (SELECT i.batch_id, i.codes, i.message, i.raw_cipher "
        f"FROM {issues} AS i WHERE i.row_hash = r.row_hash AND i.outcome = %s "
        f"AND i.raw_cipher IS NOT NULL ORDER BY i.id DESC LIMIT 1) AS i) "
        f"INSERT INTO {issues} (batch_id, row_number, outcome, codes, message, raw_cipher, "
        f"row_hash) SELECT %s, l._row, %s, l.codes, l.message, l.raw_cipher, l.row_hash "
        f"FROM latest AS l JOIN {batches} AS b ON b.id = l.batch_id WHERE b.region_id = %s "
        f"RETURNING row_number",
        [
            ImportRowIssue.Outcome.REJECTED,
            batch.pk,
            ImportRowIssue.Outcome.REJECTED,
            batch.region_id,
        ],
    )
    refused = pl.Series("_row", [row for (row,) in cursor.fetchall()], dtype=pl.Int64)
    cursor.execute(f"DROP TABLE {_RAW}")
    return unknown.filter(~pl.col("_row").is_in(refused.implode())), refused


def _held_digests(cursor, worker: str, outside: str, params: list) -> pl.DataFrame:
    """Every raw digest the region's workers hold, as ``row_hash``: their hex text as one
    value (one round trip; a COPY would hand them over a row at a time), parsed and decoded
    by Polars (no Python object per digest)."""
    cursor.execute(
        f"SELECT string_agg(encode(w.row_hash, 'hex'), E'\\n') FROM {worker} AS w "  # noqa: S608  # nosec B608
        f"WHERE w.row_hash IS NOT NULL AND NOT ({outside})",
        params,
    )
    text = cursor.fetchone()[0]
    if not text:
        return pl.DataFrame(schema={"row_hash": pl.Binary})
    return pl.read_csv(
        text.encode(), has_header=False, new_columns=["hex"], schema={"hex": pl.String}
    ).select(pl.col("hex").str.decode("hex").alias("row_hash"))


# How many blind indexes one look-up of known workers names (SQLite's limit on parameters).
_LOOKUP_ROWS = 900
_NONE = pl.Series("_row", [], dtype=pl.Int64)
_DIGESTS = pl.DataFrame(schema={"_row": pl.Int64, "row_hash": pl.Binary})
# The temporary table of a file's raw digests (PostgreSQL).
_RAW = "import_raw_digests"


class Registered(NamedTuple):
    """What the registry already holds of a chunk's rows (``registered_workers``): each frame
    ``nik_index``, ``worker_id``."""

    unchanged: pl.DataFrame  # in the region, the same content hash: nothing to merge
    known: pl.DataFrame  # in the region, another content hash: compared field by field
    elsewhere: pl.DataFrame  # a worker outside the region


# The kinds of registered worker ``_registered`` tells apart, in ``Registered``'s order.
_KINDS = ("unchanged", "known", "elsewhere")


def registered_workers(batch: ImportBatch, rows: pl.DataFrame) -> Registered:
    """Which of the rows (``nik_index``, ``content_hash``, ``row_hash``) the registry holds,
    and how: a worker in the batch's region with the same content hash (nothing to write but
    the row's raw digest, which the worker keeps: the next import of the same row skips the
    checks), one in the region to compare field by field, one outside the region (staged
    'foreign': never merged, a transfer request each). Rows not found are new. One indexed
    look-up of the chunk's blind indexes answers all, before anything is staged: the merge
    reads the workers found by their primary key, not by a second look-up of the same keys
    (7 s at 1M rows), and matching staged rows instead re-read every row staged before the
    chunk."""
    found = pl.DataFrame(
        _registered(batch, rows) if rows.height else [],
        schema={"nik_index": pl.String, "worker_id": pl.Int64, "kind": pl.String},
        orient="row",
    )
    return Registered(*(found.filter(pl.col("kind") == kind).drop("kind") for kind in _KINDS))


def _registered(batch: ImportBatch, rows: pl.DataFrame) -> list[tuple[str, int, str]]:
    """(blind index, worker, kind of ``_KINDS``) of ``registered_workers``' rows; the raw
    digest of each unchanged one written on its worker."""
    worker = table_name(Worker)
    outside, params = _outside(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each of the chunk's keys looked up (LATERAL, not flattened into a join the planner
            # may turn around), in their order: each index page read once, in turn.
            with bulk_settings(INDEX_LOOKUP_SETTINGS):
                cursor.execute(
                    f"WITH found AS (SELECT w.nik_index, w.id, ({outside}) AS out, "  # noqa: S608  # nosec B608
                    f"w.content_hash = i.h AS same, decode(i.r, 'hex') AS r FROM (SELECT * FROM "
                    f"UNNEST(string_to_array(%s, ','), string_to_array(%s, ','), "
                    f"string_to_array(%s, ',', '')) AS i(nik_index, h, r) ORDER BY nik_index) AS i "
                    f"CROSS JOIN LATERAL (SELECT * FROM {worker} AS w "
                    f"WHERE w.nik_index = i.nik_index OFFSET 0) AS w), "
                    f"kept AS (UPDATE {worker} AS w SET row_hash = f.r FROM found AS f "
                    f"WHERE w.id = f.id AND f.same AND NOT f.out "
                    f"AND w.row_hash IS DISTINCT FROM f.r) "
                    f"SELECT nik_index, id, CASE WHEN out THEN 'elsewhere' "
                    f"WHEN same THEN 'unchanged' ELSE 'known' END FROM found",
                    [
                        *params,
                        *(
                            _joined(rows[name])
                            for name in ("nik_index", "content_hash", "row_hash")
                        ),
                    ],
                )
                return cursor.fetchall()
        found = []
        columns = "w.nik_index, w.id, w.content_hash"
        for part, rows_found in _workers_among(
            cursor, columns, "nik_index", rows, batch, everywhere=True
        ):
            wanted = {
                i: (h, r)
                for i, h, r in part.select("nik_index", "content_hash", "row_hash").iter_rows()
            }
            kinds = [
                (i, pk, "elsewhere" if out else "unchanged" if wanted[i][0] == h else "known")
                for i, pk, h, out in rows_found
            ]
            cursor.executemany(
                f"UPDATE {worker} SET row_hash = %s WHERE id = %s",  # noqa: S608  # nosec B608
                [(wanted[i][1], pk) for i, pk, kind in kinds if kind == "unchanged"],
            )
            found += kinds
        return found


def _joined(column: pl.Series) -> str:
    """A column of blind indexes, digests or raw digests (hex, never a comma) as one
    comma-separated text, binary values in hex and missing ones empty: one parameter that
    PostgreSQL splits (``string_to_array``), where a list would be escaped value by value in
    Python (≈ 3 µs each)."""
    if column.dtype == pl.Binary:
        column = column.bin.encode("hex")
    return column.fill_null("").str.join(",").item()


def _outside(batch: ImportBatch, alias: str = "w") -> tuple[str, list]:
    """SQL (and its parameters) true for a worker living outside the batch's region."""
    prefix = batch.region_id + "."
    return f"SUBSTR({alias}.village_id, 1, %s) <> %s", [len(prefix), prefix]


def merge_chunk(batch: ImportBatch, rows: tuple[int, int], now, first: bool) -> None:
    """Set-based merge of one chunk's staged rows (row numbers ``rows``, both included): new
    workers, changed workers, their history, transfer requests. Chunk by chunk
    (each statement reads the chunk's rows by the staging's row-number index), so the database
    merges one chunk while the next is checked in Python (``core.bulk.read_ahead``)."""
    staging, worker = table_name(ImportStaging), table_name(Worker)
    if first:
        _prepare_merge(staging)
    in_chunk = "s.batch_id = %s AND s.row_number BETWEEN %s AND %s"
    chunk = [batch.pk, *rows]
    changed = " OR ".join(
        f"w.{field} IS DISTINCT FROM {_incoming(field, keep)}"
        for field, keep in MERGED_FIELDS.items()
        if field not in PROVENANCE_FIELDS
    )
    assignments = ", ".join(
        f"{field} = {_incoming(field, keep)}" for field, keep in MERGED_FIELDS.items()
    )
    inserted = ", ".join(MERGED_FIELDS)
    statements = [
        (  # the rows of workers already registered ('known'), compared field by field
            f"UPDATE {staging} AS s SET outcome = CASE WHEN {changed} THEN 'changed' "  # nosec B608
            f"ELSE 'same' END FROM {worker} AS w "
            f"WHERE {in_chunk} AND s.outcome = 'known' AND w.id = s.worker_id",
            chunk,
        ),
        (
            f"UPDATE {worker} AS w SET {assignments}, content_hash = s.content_hash, "  # nosec B608
            f"row_hash = s.row_hash, last_batch_id = %s, updated_at = %s FROM {staging} AS s "
            f"WHERE {in_chunk} AND s.outcome = 'changed' AND w.id = s.worker_id",
            [batch.pk, now, *chunk],
        ),
        (  # unchanged by other hashes (an older one, or blanks kept): remember these
            f"UPDATE {worker} AS w SET content_hash = s.content_hash, row_hash = s.row_hash "  # nosec B608
            f"FROM {staging} AS s WHERE {in_chunk} AND s.outcome = 'same' "
            f"AND w.id = s.worker_id AND (w.content_hash <> s.content_hash "
            f"OR w.row_hash IS DISTINCT FROM s.row_hash)",
            chunk,
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        record_history(
            Worker,
            history_type="~",
            user_id=batch.created_by_id,
            reason=_history_reason(batch),
            **_staged_history(batch, staging, rows, "changed"),
        )
        # In the file's order: a batch's workers share their creation time, and their ids
        # then decide who is covered first among equals (finance.planning.PRIORITY). Inserted
        # in blind-index order, the unique index took them faster (≈ 6 s of 100 at 1M rows)
        # but the file's order would be lost.
        insert_with_history(
            Worker,
            f"INSERT INTO {worker} (nik_index, nik_cipher, nik_hint, {inserted}, content_hash, "  # nosec B608
            f"row_hash, status, last_batch_id, created_at, updated_at) SELECT nik_index, "
            f"nik_cipher, nik_hint, {inserted}, content_hash, row_hash, 'active', batch_id, %s, %s "
            f"FROM {staging} AS s WHERE {in_chunk} AND s.outcome = 'new' ORDER BY s.row_number",
            [now, now, *chunk],
            batch.created_by_id,
            _history_reason(batch),
            _staged_history(batch, staging, rows, "new"),
        )
        _open_transfer_requests(cursor, batch, now, rows)


def finish_merge(batch: ImportBatch, now) -> dict[str, int]:
    """After the last chunk's merge: the possible duplicates among the batch's new and changed
    workers, in one pass (chunk by chunk, 50,000 index look-ups each, took 1.6 × as long at 1M
    rows), each row with a case warned; every accepted row's warning linked to its worker; the
    counts. The staged rows are deleted."""
    staging, worker = table_name(ImportStaging), table_name(Worker)
    # Analysed at the first chunk, the staged rows have grown since (or the first chunk staged
    # none: PostgreSQL would believe the table empty and plan a look-up per row).
    _analyse(staging)
    with connection.cursor() as cursor:
        _flag_duplicate_candidates(cursor, batch, now)
        _warn_possible_duplicates(cursor, batch)
        cursor.execute(
            f"SELECT outcome, COUNT(*) FROM {staging} WHERE batch_id = %s GROUP BY outcome",  # noqa: S608  # nosec B608
            [batch.pk],
        )
        counts = dict(cursor.fetchall())
        _link_warnings(cursor, batch, staging, worker)
        cursor.execute(f"DELETE FROM {staging} WHERE batch_id = %s", [batch.pk])  # noqa: S608  # nosec B608
    return {
        "accepted": counts.get("new", 0),
        "updated": counts.get("changed", 0),
        "unchanged": counts.get("same", 0),
        "registered_elsewhere": counts.get("foreign", 0),
    }


def _prepare_merge(staging: str) -> None:
    """PostgreSQL plans the merge on the staged rows' statistics (none until analysed), sorts
    a batch's rows in memory rather than on disk, and prices the look-up of the file's rows
    among the country's workers as on SSD storage (``LOOKUP_SETTINGS``: at 10M workers, priced
    for a spinning disk, each of four steps read the whole worker table). For this transaction
    only."""
    if connection.vendor != "postgresql":
        return
    _analyse(staging)
    set_local({"work_mem": "256MB", **LOOKUP_SETTINGS})


def _analyse(staging: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {staging}")


def _link_warnings(cursor, batch: ImportBatch, staging: str, worker: str) -> None:
    """Point each accepted row's warning at the worker it became (new or updated): one join,
    where a look-up per warning read the batch's staged rows each time (24 s at 1M rows)."""
    issue = table_name(ImportRowIssue)
    cursor.execute(
        f"UPDATE {issue} AS i SET worker_id = w.id FROM {staging} AS s "  # noqa: S608  # nosec B608
        f"JOIN {worker} AS w ON w.nik_index = s.nik_index "
        f"WHERE i.batch_id = %s AND i.outcome = 'warning' AND i.worker_id IS NULL "
        f"AND s.batch_id = %s AND s.outcome <> 'foreign' AND s.row_number = i.row_number",
        [batch.pk, batch.pk],
    )


def _staged_history(batch: ImportBatch, staging: str, rows: tuple[int, int], outcome: str) -> dict:
    """``record_history``'s look-up of the workers of a chunk's rows staged with ``outcome``."""
    return {
        "where_sql": "s.batch_id = %s AND s.row_number BETWEEN %s AND %s AND s.outcome = %s",
        "params": [batch.pk, *rows, outcome],
        "alias": "w",
        # A changed row's worker was found before staging; a new one has its id only now.
        "joins": f"JOIN {staging} AS s ON "
        + ("s.worker_id = w.id" if outcome == "changed" else "s.nik_index = w.nik_index"),
    }


def _history_reason(batch: ImportBatch) -> str:
    return f"Impor batch #{batch.pk}"


def _incoming(field: str, keep_when_blank: bool) -> str:
    """The value the file brings for a field (the stored one where the file left it blank)."""
    if not keep_when_blank:
        return f"s.{field}"
    if field in {"declared_income", "desil"}:
        return f"COALESCE(s.{field}, w.{field})"
    return f"COALESCE(NULLIF(s.{field}, ''), w.{field})"


def _open_transfer_requests(cursor, batch: ImportBatch, now, rows: tuple[int, int]) -> None:
    """One open transfer request per 'foreign' row of the chunk (a re-run finds it open and
    adds none)."""
    transfers, worker, staging = (
        table_name(TransferRequest),
        table_name(Worker),
        table_name(ImportStaging),
    )
    cursor.execute(
        f"INSERT INTO {transfers} (worker_id, from_village_id, to_village_id, phone, address, "  # noqa: S608  # nosec B608
        f"rt_rw, requested_by_id, batch_id, row_number, status, reason, created_at) "
        f"SELECT w.id, w.village_id, s.village_id, s.phone, s.address, s.rt_rw, %s, "
        f"s.batch_id, s.row_number, 'open', '', %s "
        f"FROM {staging} AS s JOIN {worker} AS w ON w.id = s.worker_id "
        f"WHERE s.batch_id = %s AND s.row_number BETWEEN %s AND %s AND s.outcome = 'foreign' "
        f"ON CONFLICT DO NOTHING",
        [batch.created_by_id, now, batch.pk, *rows],
    )
    record_history(
        TransferRequest,
        "t.batch_id = %s AND t.row_number BETWEEN %s AND %s",
        [batch.pk, *rows],
        "+",
        batch.created_by_id,
        _history_reason(batch),
    )


# Same name key and birth date, different NIK: the same village, or (another village or
# kabupaten) the same sex. Both ids ordered, so a pair is found once whichever side is new.
_SAME_PERSON = (
    "b.name_key = a.name_key AND b.birth_date = a.birth_date AND b.id <> a.id "
    "AND (b.village_id = a.village_id OR b.sex = a.sex)"
)


def _flag_duplicate_candidates(cursor, batch: ImportBatch, now) -> None:
    """Possible same persons among the batch's new and changed workers, flagged for review."""
    candidates, worker, staging = (
        table_name(DuplicateCandidate),
        table_name(Worker),
        table_name(ImportStaging),
    )
    conflict = "ON CONFLICT DO NOTHING"
    cursor.execute(
        f"INSERT INTO {candidates} (worker_id, other_id, status, found_in_batch_id, "  # noqa: S608  # nosec B608
        f"cross_region, created_at) "
        f"SELECT DISTINCT CASE WHEN a.id < b.id THEN a.id ELSE b.id END, "
        f"CASE WHEN a.id < b.id THEN b.id ELSE a.id END, 'open', %s, "
        f"a.regency_code <> b.regency_code, %s "
        f"FROM {staging} AS s JOIN {worker} AS a ON a.nik_index = s.nik_index "
        f"JOIN {worker} AS b ON {_SAME_PERSON} "
        f"WHERE s.batch_id = %s AND s.outcome IN ('new', 'changed') {conflict}",
        [batch.pk, now, batch.pk],
    )


def _warn_possible_duplicates(cursor, batch: ImportBatch) -> None:
    """A warning on each row with an open duplicate case: no word of the other record."""
    issues, candidates, worker, staging = (
        table_name(ImportRowIssue),
        table_name(DuplicateCandidate),
        table_name(Worker),
        table_name(ImportStaging),
    )
    codes = '["possible_duplicate"]'
    json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    cursor.execute(
        f"INSERT INTO {issues} (batch_id, row_number, outcome, codes, message, worker_id) "  # noqa: S608  # nosec B608
        f"SELECT s.batch_id, s.row_number, 'warning', {json}, %s, a.id FROM {staging} AS s "
        f"JOIN {worker} AS a ON a.nik_index = s.nik_index "
        f"WHERE s.batch_id = %s AND s.outcome IN ('new', 'changed') AND EXISTS (SELECT 1 FROM "
        f"{candidates} AS c WHERE c.status = 'open' AND (c.worker_id = a.id OR c.other_id = a.id))",
        [codes, str(WARNING_MESSAGES["possible_duplicate"]), batch.pk],
    )
