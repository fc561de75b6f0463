"""Monthly range partitions of the big append-only tables (PostgreSQL only).

Invoice lines (by ``month``), the enrolment history (by ``history_date``) and the personal
data access log (by ``at``) grow by millions of rows a year and are read by month. On
PostgreSQL they are declaratively partitioned: ``PARTITION BY RANGE`` on that column, one
partition a month (``<table>_pYYYY_MM``) and a DEFAULT partition (``<table>_default``) so that
no insert ever fails for want of a partition. Django still sees ``id`` as the primary key; the
database's key is ``(id, <column>)`` (a partitioned table's keys must hold the partition
column), and so is every unique constraint. Nothing has a foreign key into these tables.

SQLite keeps plain tables: every function here is a no-op there (or says so).

``jaring partitions`` (``ops.management.commands.partitions``) creates months ahead, lists
the partitions with their row counts and detaches (never drops) those older than a retention.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connection, transaction

from jaring.core.sqlstates import LOCK_NOT_AVAILABLE, sqlstate


@dataclass(frozen=True)
class Partitioned:
    table: str
    column: str


# The partitioned tables and their partition column (one definition, used by the migrations,
# the maintenance command and billing).
INVOICE_LINES = Partitioned("finance_invoiceline", "month")
ENROLMENT_HISTORY = Partitioned("enrolment_historicalenrolment", "history_date")
ACCESS_LOG = Partitioned("accounts_personaldataaccess", "at")
TABLES = (INVOICE_LINES, ENROLMENT_HISTORY, ACCESS_LOG)


# Months created beyond the data when a table is converted, and by default ahead of today.
AHEAD_MONTHS = 3

_PARTITION_NAME = re.compile(r"_p(\d{4})_(\d{2})$")


def first_of_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, day.month, 1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
            [table],
        )
        return cursor.fetchone()[0]


def _relation_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


def _bounds(month: datetime.date) -> tuple[str, str]:
    return month.isoformat(), add_months(month, 1).isoformat()


# --- Conversion (the migrations) ----------------------------------------------------------------


def convert(spec: Partitioned, ahead: int = AHEAD_MONTHS) -> None:
    """Recreate ``spec.table`` as ``PARTITION BY RANGE (column)`` with its rows, indexes and
    constraints (PostgreSQL; nothing on SQLite, nothing if already partitioned).

    The primary key and every unique constraint gain the partition column where they lack
    it; a unique *index* lacking it is refused (it would silently weaken). Monthly partitions
    cover the rows' months and ``ahead`` months beyond today; a DEFAULT partition the rest."""
    if connection.vendor != "postgresql" or is_partitioned(spec.table):
        return
    table, column = spec.table, spec.column
    old = f"{table}__plain"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text FROM pg_constraint "
            "WHERE confrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        referencing = [row[0] for row in cursor.fetchall()]
        if referencing:
            raise RuntimeError(f"{table} cannot be partitioned: {referencing} refer to it")
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
            "ORDER BY contype, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisunique "
            "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attidentity <> '' AND NOT attisdropped",
            [table],
        )
        identities = [row[0] for row in cursor.fetchall()]
        for name, definition, unique in indexes:
            if unique and not re.search(
                rf"\b{re.escape(column)}\b", definition.split(" USING ")[1]
            ):
                raise RuntimeError(f"unique index {name} lacks the partition column {column}")
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
        cursor.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY "
            f"INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) "
            f"PARTITION BY RANGE ({_q(column)})"
        )
        cursor.execute(f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(table)} DEFAULT")
        cursor.execute(f"SELECT min({_q(column)}), max({_q(column)}) FROM {_q(old)}")  # noqa: S608  # nosec B608
        low, high = cursor.fetchone()
        today = datetime.date.today()
        start = first_of_month(_as_date(low) if low else today)
        end = add_months(first_of_month(max(_as_date(high) if high else today, today)), ahead)
        month = start
        while month <= end:
            _create_partition(cursor, table, month)
            month = add_months(month, 1)
        cursor.execute(
            f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE SELECT * FROM {_q(old)}"  # noqa: S608  # nosec B608
        )
        cursor.execute(f"DROP TABLE {_q(old)}")
        for identity in identities:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, identity])
            sequence = cursor.fetchone()[0]
            wanted = f"{table}_{identity}_seq"
            if sequence.rsplit(".", 1)[-1].strip('"') != wanted:
                cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_q(wanted)}")
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608  # nosec B608
                f"COALESCE((SELECT max({_q(identity)}) FROM {_q(table)}), 0) + 1, false)",
                [table, identity],
            )
        for name, kind, definition in constraints:
            if kind in ("p", "u"):
                definition = _with_column(definition, column)
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for _name, definition, _unique in indexes:
            cursor.execute(definition)


def _with_column(definition: str, column: str) -> str:
    """``PRIMARY KEY (id)`` → ``PRIMARY KEY (id, month)``; unchanged if it has the column."""
    head, columns = definition.split("(", 1)
    names, rest = columns.split(")", 1)
    listed = [name.strip().strip('"') for name in names.split(",")]
    if column not in listed:
        names = f"{names}, {_q(column)}"
    return f"{head}({names}){rest}"


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _create_partition(cursor, table: str, month: datetime.date) -> bool:
    """Create ``month``'s partition unless it exists. Rows of that month already in the
    DEFAULT partition are moved into it first (PostgreSQL refuses to attach otherwise).
    True if created."""
    name = partition_name(table, month)
    if _relation_exists(cursor, name):
        return False
    column = _partition_column(cursor, table)
    low, high = _bounds(month)
    default = default_name(table)
    in_range = f"{_q(column)} >= %s AND {_q(column)} < %s"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {in_range})", [low, high])  # noqa: S608  # nosec B608
    if not cursor.fetchone()[0]:
        cursor.execute(
            f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)} FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
        return True
    # Stray rows in DEFAULT: a standalone table takes them, then becomes the partition.
    cursor.execute(
        f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    cursor.execute(
        f"WITH moved AS (DELETE FROM {_q(default)} WHERE {in_range} RETURNING *) "  # noqa: S608  # nosec B608
        f"INSERT INTO {_q(name)} SELECT * FROM moved",
        [low, high],
    )
    attach(cursor, table, month)
    return True


def _partition_column(cursor, table: str) -> str:
    cursor.execute(
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
        "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
        "WHERE p.partrelid = %s::regclass",
        [table],
    )
    return cursor.fetchone()[0]


def attach(cursor, table: str, month: datetime.date) -> bool:
    """Attach the standalone table ``partition_name(table, month)`` as ``month``'s partition.

    A CHECK matching the bounds spares PostgreSQL the scan that proves them; the indexes,
    unique constraints and foreign keys are then built and validated set-based, once.

    Attaching locks the DEFAULT partition exclusively, and every reader of the table queues
    behind a waiting attach: it waits at most ``JARING_PARTITION_LOCK_TIMEOUT``. Past that, the
    rows move into the table the ordinary way (its DEFAULT partition, from which ``jaring
    partitions`` moves them into their month's partition later) and False is returned."""
    name = partition_name(table, month)
    column = _partition_column(cursor, table)
    low, high = _bounds(month)
    bound = f"{name}_bounds"
    cursor.execute("SELECT current_setting('lock_timeout')")
    previous = cursor.fetchone()[0]
    try:
        with transaction.atomic():  # a savepoint: a refused lock undoes only the attach
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [settings.JARING_PARTITION_LOCK_TIMEOUT],
            )
            # The indexes are built here: room to sort a month's rows in memory.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                f"ALTER TABLE {_q(name)} ADD CONSTRAINT {_q(bound)} CHECK "
                f"({_q(column)} IS NOT NULL AND {_q(column)} >= %s AND {_q(column)} < %s)",
                [low, high],
            )
            cursor.execute(
                f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} FOR VALUES FROM (%s) TO (%s)",
                [low, high],
            )
            cursor.execute(f"ALTER TABLE {_q(name)} DROP CONSTRAINT {_q(bound)}")
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    except OperationalError as error:
        if sqlstate(error) != LOCK_NOT_AVAILABLE:
            raise
        # A savepoint of its own: a row the table refuses (a unique key) fails the fallback
        # alone, and the caller may mend the standalone table and attach again.
        with transaction.atomic():
            cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(name)}")  # noqa: S608  # nosec B608
            cursor.execute(f"DROP TABLE {_q(name)}")
        return False
    return True


# --- Bulk loading of one month (billing) -------------------------------------------------------


def month_has_rows(spec: Partitioned, month: datetime.date) -> bool:
    column = _q(spec.column)
    low, high = _bounds(month)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {_q(spec.table)} "  # noqa: S608  # nosec B608
            f"WHERE {column} >= %s AND {column} < %s)",
            [low, high],
        )
        return cursor.fetchone()[0]


def drop_if_empty(spec: Partitioned, month: datetime.date) -> bool:
    """Drop ``month``'s partition if it holds no row (one made ahead), so that a bulk load can
    attach its own (:func:`begin_bulk_month`). Its own short transaction when called outside
    one: detaching locks the whole table until commit. True if dropped."""
    if not is_partitioned(spec.table):
        return False
    name = partition_name(spec.table, month)
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_month(cursor, name)
        if not _relation_exists(cursor, name):
            return False
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(name)})")  # noqa: S608  # nosec B608
        if cursor.fetchone()[0]:
            return False
        cursor.execute(f"ALTER TABLE {_q(spec.table)} DETACH PARTITION {_q(name)}")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(name)})")  # noqa: S608  # nosec B608
        if cursor.fetchone()[0]:  # rows came in meanwhile: it stays the month's partition
            low, high = _bounds(month)
            cursor.execute(
                f"ALTER TABLE {_q(spec.table)} ATTACH PARTITION {_q(name)} "
                "FOR VALUES FROM (%s) TO (%s)",
                [low, high],
            )
            return False
        cursor.execute(f"DROP TABLE {_q(name)}")
        return True


def _lock_month(cursor, name: str) -> None:
    """Serialise whoever changes one month's partition, until the end of the transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def lock_month(spec: Partitioned, month: datetime.date) -> None:
    """Hold ``month``'s lock (the one a bulk load of the month takes) until the end of the
    transaction: PostgreSQL only (whether or not the table is partitioned yet)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _lock_month(cursor, partition_name(spec.table, month))


def begin_bulk_month(spec: Partitioned, month: datetime.date) -> str | None:
    """Create a standalone table to load ``month``'s rows into, then :func:`attach` it:
    PostgreSQL checks the foreign keys and builds the indexes once for the set instead of
    row by row. Only when the table has no row of that month and no partition for it (see
    :func:`drop_if_empty`); None otherwise (insert into the partitioned table itself).

    Must run inside the transaction that loads and attaches."""
    if not is_partitioned(spec.table):
        return None
    name = partition_name(spec.table, month)
    with connection.cursor() as cursor:
        # Two regions billing the same new month: the second waits here until the first has
        # attached its partition and committed, then finds the month's rows and inserts.
        _lock_month(cursor, name)
        if not month_is_new(spec, month):
            return None
        cursor.execute(
            f"CREATE TABLE {_q(name)} (LIKE {_q(spec.table)} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS)"
        )
    return name


def month_is_new(spec: Partitioned, month: datetime.date) -> bool:
    """Whether a bulk load of ``month`` may make its own partition (:func:`begin_bulk_month`):
    the table is partitioned (PostgreSQL) and has neither a row of the month nor a partition
    for it. Without the month's lock the answer may be stale by the time it is acted on."""
    if not is_partitioned(spec.table):
        return False
    with connection.cursor() as cursor:
        return not _relation_exists(cursor, partition_name(spec.table, month)) and not (
            month_has_rows(spec, month)
        )


def month_table(spec: Partitioned, month: datetime.date) -> str:
    """The table holding ``month``'s rows: its partition if there is one, else the table."""
    name = partition_name(spec.table, month)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if _relation_exists(cursor, name):
                return name
    return spec.table


def identity_sequence(table: str, column: str = "id") -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        return cursor.fetchone()[0]


# --- Maintenance (``jaring partitions``) ------------------------------------------------------


@dataclass(frozen=True)
class PartitionInfo:
    table: str
    name: str
    month: datetime.date | None  # None: the DEFAULT partition
    rows: int


def ensure_ahead(spec: Partitioned, today: datetime.date, ahead: int) -> list[str]:
    """Create the partitions of this month and the next ``ahead`` months; returns the new."""
    if not is_partitioned(spec.table):
        return []
    created = []
    month = first_of_month(today)
    with connection.cursor() as cursor:
        for _ in range(ahead + 1):
            if _create_partition(cursor, spec.table, month):
                created.append(partition_name(spec.table, month))
            month = add_months(month, 1)
    return created


def ensure_all_ahead(today: datetime.date, ahead: int = AHEAD_MONTHS) -> list[str]:
    """Every partitioned table's partitions up to ``ahead`` months beyond ``today``'s."""
    return [name for spec in TABLES for name in ensure_ahead(spec, today, ahead)]


def partitions(spec: Partitioned) -> list[PartitionInfo]:
    """The table's partitions, oldest first (DEFAULT last), with exact row counts."""
    if not is_partitioned(spec.table):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [spec.table],
        )
        names = [row[0] for row in cursor.fetchall()]
        found = []
        for name in names:
            cursor.execute(f"SELECT count(*) FROM {_q(name)}")  # noqa: S608  # nosec B608
            match = _PARTITION_NAME.search(name)
            month = datetime.date(int(match[1]), int(match[2]), 1) if match else None
            found.append(PartitionInfo(spec.table, name, month, cursor.fetchone()[0]))
    return sorted(found, key=lambda p: (p.month is None, p.month or datetime.date.min))


def detach_before(spec: Partitioned, cutoff: datetime.date) -> list[PartitionInfo]:
    """Detach (never drop) the monthly partitions of months before ``cutoff``: each stays a
    standalone table of the same name, with its rows, for archiving. Returns them."""
    detached = []
    with connection.cursor() as cursor:
        for info in partitions(spec):
            if info.month is not None and info.month < first_of_month(cutoff):
                cursor.execute(f"ALTER TABLE {_q(spec.table)} DETACH PARTITION {_q(info.name)}")
                detached.append(info)
    return detached
