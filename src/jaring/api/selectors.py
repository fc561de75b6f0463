"""Reads only the API makes: the coverage look-up by NIK (its hot path) and the report roll-up."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections
from django.db.models import Min, Sum

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import Capability
from jaring.accounts.scoping import RegionScope, scope_for, within
from jaring.accounts.services import personal_access, personal_access_insert
from jaring.core import crypto
from jaring.finance import protection
from jaring.registry.models import Worker


@dataclass(frozen=True)
class CoverageToday:
    worker_id: int
    village_code: str
    covered: bool
    programs: tuple[str, ...]
    covered_until: datetime.date | None
    kpj_hint: str


def coverage_and_log(
    user, nik: str, today: datetime.date, ip_address: str | None = None
) -> CoverageToday | None:
    """Is this NIK protected today, by what and until when? — and the access-log row of the
    look-up (``accounts.services.personal_access``: who, when, which worker or none), written
    whatever the answer. The blind index finds the worker within the user's scope
    (``accounts.scoping``); ``finance.protection`` judges, as it does for every other screen.

    PostgreSQL: one statement, the log row inserted by a data-modifying CTE from the worker the
    same statement finds. SQLite (no such CTE): the same read, then the row written by the
    access-log service."""
    scope = scope_for(user, Capability.VIEW_REGISTRY)
    if scope.is_empty:
        raise PermissionDenied  # as ``require`` says, before anything is looked up or logged
    worker_sql, worker_params = _worker_query(scope, nik)
    facts, facts_params = protection.facts_join("found.id", today)
    select = f"""SELECT found.id, found.village_id, found.date_of_death, pf.id, pf.start_month,
            pf.end_month, pf.programs, pf.kpj_number, pf.paid
        FROM found {facts}"""  # noqa: S608  # nosec B608 - model metadata; values are parameters
    row = personal_access(user, PersonalDataAccess.Action.SEARCH_NIK, "coverage", "", "", "")
    row.ip_address = ip_address
    if connection.vendor == "postgresql":
        insert, insert_params = personal_access_insert(
            row,
            {
                "object_id": "COALESCE((SELECT CAST(id AS varchar) FROM found), '')",
                "region_code": "COALESCE((SELECT village_id FROM found), '')",
            },
        )
        rows = _prepared(
            f"WITH found AS ({worker_sql}), logged AS ({insert}) {select}",
            [*worker_params, *insert_params, *facts_params],
        )
    else:
        with connection.cursor() as cursor:
            sql = f"WITH found AS ({worker_sql}) {select}"
            cursor.execute(sql, [*worker_params, *facts_params])
            rows = cursor.fetchall()
        if rows:
            row.object_id, row.region_code = str(rows[0][0]), rows[0][1]
        row.save(force_insert=True)
    if not rows:
        return None
    worker_id, village_code, date_of_death = rows[0][:3]
    found = protection.protected_from_facts(worker_id, date_of_death, [r[3:] for r in rows], today)
    protected = found is not None and found.protected
    return CoverageToday(
        worker_id=worker_id,
        village_code=village_code,
        covered=protected,
        programs=found.programs if protected else (),
        covered_until=found.until if protected else None,
        kpj_hint=found.kpj[-4:] if protected else "",
    )


def _prepared(sql: str, params: list) -> list[tuple]:
    """PostgreSQL: run ``sql`` as a statement prepared on the server, once per connection (its
    planning costs several times its execution; settings.DATABASES turns psycopg's prepared
    statements on), on Django's connection but past its cursor
    wrapper — so without the health check Django makes before a request's first query (a round
    trip). A reused connection found broken instead is replaced and the statement sent once
    more: at worst (a reply lost after the commit) the access log holds the look-up twice,
    never not at all."""
    import psycopg

    connection = connections[DEFAULT_DB_ALIAS]  # once: each use of the proxy is a lookup
    for attempt in (1, 2):
        reused = connection.connection is not None
        connection.ensure_connection()
        try:
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(sql, params, prepare=True)
                return cursor.fetchall()
        except (OperationalError, InterfaceError):
            if attempt == 2 or not reused or connection.in_atomic_block:
                raise
            connection.close()
    raise AssertionError("unreachable")


_SENTINEL = "\x00nik-index\x00"


@functools.lru_cache(maxsize=512)
def _compiled_worker_query(vendor: str, scope: RegionScope) -> tuple[str, tuple, int]:
    query = within(Worker.objects.filter(nik_index=_SENTINEL), scope).values_list(
        "id", "village_id", "date_of_death"
    )
    sql, params = query.query.sql_with_params()
    return sql, tuple(params), params.index(_SENTINEL)


def _worker_query(scope: RegionScope, nik: str) -> tuple[str, list]:
    """The worker with this NIK in ``scope`` (``accounts.scoping.within``), compiled once per
    scope: only the blind index changes from one look-up to the next."""
    sql, params, at = _compiled_worker_query(connection.vendor, scope)
    params = list(params)
    params[at] = crypto.nik_index(nik)
    return sql, params


def report_summary(user) -> dict:
    """The dashboards' own figures (the summary tables) for the regions a user may see: the roots
    of its scope, or the country row for a national scope. Nothing is recounted here."""
    from jaring.reports.models import NATIONAL, RegionFact

    scope = scope_for(user, Capability.VIEW_REPORTS)
    codes = [NATIONAL] if scope.everything else sorted(scope.codes)
    return RegionFact.objects.filter(region_code__in=codes, dimension="total").aggregate(
        workers=Sum("registered", default=0),
        covered=Sum("covered", default=0),
        covered_on=Min("protected_on"),
        claims_reported=Sum("claims_reported", default=0),
        claims_paid=Sum("claims_paid", default=0),
        benefits_paid=Sum("benefits_paid", default=0),
    )
