"""Appending a Polars frame to a table in one round trip: COPY on PostgreSQL, executemany
elsewhere. The staging tables of imports (registry, reconciliation) are written this way.
Reading ahead: the next item of a pure computation made in a thread while the caller writes the
current one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import polars as pl
from django.db import DatabaseError, connection


def write_frame(table: str, columns: list[str], frame: pl.DataFrame) -> None:
    """Append ``frame`` (its columns in ``columns`` order) to ``table`` (an unquoted name).

    Binary columns must already be rendered as PostgreSQL text (``\\x…``) by the caller when
    the database is PostgreSQL."""
    quoted = connection.ops.quote_name(table)
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="")
        copy_sql = f"COPY {quoted} ({names}) FROM STDIN WITH (FORMAT csv)"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            copy.write(buffer.getvalue())
        return
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quoted} ({names}) VALUES ({placeholders})"  # nosec B608
    with connection.cursor() as cursor:
        cursor.executemany(sql, frame.iter_rows())


# A table whose rows changed by more than this share since its last ANALYZE is analysed before
# a bulk statement plans against it (autovacuum's own default threshold, applied at once).
STALE_SHARE = 0.2


def statistics_stale(tuples: float, changed: int, pages_then: int = 0, pages_now: int = 0) -> bool:
    """Never analysed (PostgreSQL says -1 rows), more rows changed since than the share, or the
    table grew by more than the share since (its size on disk: the change counters reach the
    statistics views only when a backend flushes them, a moment after a bulk insert commits)."""
    grown = pages_now > max(pages_then, 1) * (1 + STALE_SHARE)
    return tuples < 0 or changed > max(tuples, 1) * STALE_SHARE or grown


def analyze_if_stale(*models) -> list[str]:
    """ANALYZE each model's table (or table named) whose statistics are missing or stale
    (PostgreSQL only). A partitioned table is skipped: analysing it samples every partition,
    and the planner reads each partition's own statistics (name the partition instead).

    A bulk INSERT … SELECT planned on a table with no statistics (a plan just committed a
    million enrolments; the invoice lines were analysed while still empty) can pick a nested
    loop over every row: billing then takes minutes instead of seconds. Autovacuum would catch
    up later; a batch job cannot wait for it. Returns the tables analysed."""
    if connection.vendor != "postgresql":
        return []
    analysed = []
    with connection.cursor() as cursor:
        for model in models:
            table = model if isinstance(model, str) else model._meta.db_table
            cursor.execute(
                "SELECT c.reltuples, s.n_mod_since_analyze, c.relpages, "
                "pg_relation_size(c.oid) / current_setting('block_size')::int FROM pg_class c "
                "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass "
                "AND c.relkind <> 'p'",
                [table],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            if statistics_stale(*row):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
                analysed.append(table)
    return analysed


# Settings for a batch of set-based statements over a whole cohort (``bulk_settings``).
BULK_SETTINGS = {"jit": "off", "work_mem": "64MB"}
# The price of reading one page at random, relative to one read in sequence, on SSD storage
# (PostgreSQL's default, 4, prices a spinning disk). For statements that look up a few rows of
# a kabupaten or a file among the country's: priced for a spinning disk, 100,000 look-ups cost
# more than reading a 10M-row table whole, and the planner reads it whole (measured at 10M
# workers: BENCHMARKS.md, 28 November, 14:40). Priced as on SSD, the size of the look-up
# decides: look-ups for a kabupaten or a list, one pass for a set as large as the table.
LOOKUP_SETTINGS = {"random_page_cost": "1.1"}
# For a statement that looks up one chunk's keys (≤ 50,000) by an index, whatever the planner
# makes of the table. A region's first import fills the worker table in its own transaction:
# PostgreSQL read every worker inserted so far into a hash for each chunk's look-up, which grew
# with them (0.37 s for the first of 20 chunks at 1M, 1.5 s for the last; 50,000 index
# look-ups: 0.45 s each time), and, while the table is small, reads it whole once per key.
INDEX_LOOKUP_SETTINGS = {"enable_seqscan": "off", "enable_hashjoin": "off"}


def set_local(settings: dict[str, str]) -> dict[str, str]:
    """Set PostgreSQL ``settings`` for the rest of the transaction (``SET LOCAL``); returns
    what they were."""
    before = {}
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(
                "SELECT current_setting(%s), set_config(%s, %s, true)", [name] * 2 + [value]
            )
            before[name] = cursor.fetchone()[0]
    return before


@contextmanager
def bulk_settings(settings: dict[str, str] = BULK_SETTINGS):
    """Inside a transaction: PostgreSQL settings (``BULK_SETTINGS`` unless given) for the
    enclosed set-based statements, back to what they were afterwards (PostgreSQL only;
    elsewhere nothing). Transaction-local: a rollback restores them too.

    - JIT off: PostgreSQL compiles a statement to machine code when its estimated cost passes a
      threshold, which a statement over a whole cohort always does; for these one-pass
      statements the compilation (seconds, in every parallel worker, more under load) costs more
      than it saves (the renewal's cohort query at 100k: 9.3 s of JIT for a 1 s query).
    - work_mem 64 MB: the window functions' sorts of a cohort stay in memory instead of
      spilling to disk in several merge passes."""
    if connection.vendor != "postgresql":
        yield
        return
    before = set_local(settings)
    failed = False
    try:
        yield
    except DatabaseError:
        # An aborted transaction accepts no statement (a restore would hide the error), and
        # rolling it back restores the settings.
        failed = True
        raise
    finally:
        if not failed and not connection.needs_rollback:
            set_local(before)


_END = object()


def read_ahead[T](items: Iterator[T]) -> Iterator[T]:
    """The items of ``items``, each next one computed in a thread of its own while the caller
    works on the current one: an import checks its next chunk in Python while the database
    writes the current one (two cores busy instead of one at a time). ``items`` must not use
    the database (Django's connection is per thread: the thread would open one outside the
    caller's transaction). Its exceptions reach the caller at the item they stopped; if the
    caller stops early, the item being computed is finished first, then dropped."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as pool:
        pending = pool.submit(next, items, _END)
        while (item := pending.result()) is not _END:
            pending = pool.submit(next, items, _END)
            yield item
