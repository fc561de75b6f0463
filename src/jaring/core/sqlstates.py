"""PostgreSQL's error codes (SQLSTATE) that Jaring acts on, and the code of a database error.

Django wraps the driver's exception; its ``__cause__`` is psycopg's, which carries the code
(SQLite's errors carry none)."""

from __future__ import annotations

DEADLOCK_DETECTED = "40P01"
UNIQUE_VIOLATION = "23505"
QUERY_CANCELED = "57014"  # by statement_timeout
LOCK_NOT_AVAILABLE = "55P03"  # not granted within lock_timeout (or NOWAIT)


def sqlstate(error: Exception) -> str | None:
    """The SQLSTATE of a database error raised through Django, None when it has none."""
    return getattr(error.__cause__, "sqlstate", None)
