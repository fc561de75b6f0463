"""Appending a Polars frame to a table in one round trip: COPY on PostgreSQL, executemany
elsewhere. The staging tables of imports (registry, reconciliation) are written this way."""

from __future__ import annotations

import io

import polars as pl
from django.db import connection


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
