"""System checks (``manage.py check``, run before every command that serves or migrates)."""

from __future__ import annotations

import sqlite3

from django.conf import settings
from django.core.checks import Error, register

# FULL JOIN (the BPJS reconciliation's compare) arrived in SQLite 3.39; UPDATE … FROM in 3.33.
SQLITE_MINIMUM = (3, 39)


@register()
def sqlite_is_recent_enough(app_configs, **kwargs) -> list[Error]:
    return sqlite_errors(settings.DATABASES, sqlite3.sqlite_version_info)


def sqlite_errors(databases: dict, version: tuple[int, ...]) -> list[Error]:
    """An error when a database is SQLite older than ``SQLITE_MINIMUM``."""
    uses_sqlite = any(db["ENGINE"] == "django.db.backends.sqlite3" for db in databases.values())
    if not uses_sqlite or tuple(version) >= SQLITE_MINIMUM:
        return []
    return [
        Error(
            f"SQLite {'.'.join(map(str, version))} is too old: Jaring needs "
            f"{'.'.join(map(str, SQLITE_MINIMUM))} or later (Debian 12 has 3.40).",
            hint="Use PostgreSQL (DATABASE_URL), or a Python built against a newer SQLite.",
            id="jaring.E001",
        )
    ]
