"""One run of the reconciliation benchmark (run by bench.run in a fresh database).

Usage: python bench/recon.py ROWS — prints one JSON object with the timings. ROWS participants
are enrolled and billed for January 2026 by SQL and the billing run; the branch's statement (a
CSV of ROWS lines, with a few of each difference) is imported and compared, then imported
again; the floor is a plain INSERT … SELECT of the same staged rows.
"""

import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.money import WORKERS_SQL  # noqa: E402  (sets Django up)
from jaring.finance.models import FundingSource  # noqa: E402
from jaring.finance.reconciliation.services import import_statement  # noqa: E402
from jaring.finance.services import allocate, bill_month  # noqa: E402
from jaring.regions.models import Region  # noqa: E402
from jaring.regions.services import load_regions  # noqa: E402

JANUARY = datetime.date(2026, 1, 1)
ENROLMENTS_SQL = """
    INSERT INTO enrolment_enrolment (worker_id, source_id, status, start_month, end_month,
        declared_income, programs, kpj_number, bpjs_note, end_reason, created_at, updated_at)
    SELECT id, %s, 'active', DATE '2026-01-01', DATE '2026-12-01', 1000000, 'JKK,JKM',
        lpad(id::text, 11, '0'), '', '', now(), now()
    FROM registry_worker
"""
# The branch's January: every participant but one in 1,000 (missing at BPJS), one in 500 billed
# higher, one in 700 ended at the branch, and one in 1,000 extra KPJs unknown to Jaring.
STATEMENT_SQL = """
    COPY (
        SELECT kpj_number AS "NO KPJ", '' AS "NIK", '2026-01' AS "PERIODE",
            CASE WHEN mod(id, 500) = 0 THEN '20.000' ELSE '16.800' END AS "IURAN",
            CASE WHEN mod(id, 700) = 0 THEN 'NONAKTIF' ELSE 'AKTIF' END AS "STATUS"
        FROM enrolment_enrolment WHERE mod(id, 1000) <> 7
        UNION ALL
        SELECT lpad((90000000000 + i)::text, 11, '0'), '', '2026-01', '16800', 'AKTIF'
        FROM generate_series(1, %s) AS i
    ) TO STDOUT WITH (FORMAT csv, HEADER true)
"""


def set_up(rows: int) -> tuple[FundingSource, Path, float]:
    """Enrol and bill ``rows`` participants for January, write the branch's statement; returns
    the funder, the file and the billing's seconds (the set-up is not what is timed)."""
    call_command("migrate", verbosity=0)
    load_regions()
    villages = list(
        Region.objects.filter(code__startswith="14.03.", level=4).values_list("code", flat=True)
    )
    region = Region.objects.get(code="14.03")
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD")
    with connection.cursor() as cursor:
        cursor.execute(WORKERS_SQL, [villages, len(villages), rows])
        cursor.execute(ENROLMENTS_SQL, [source.pk])
        # What autovacuum does to enrolments committed well before a billing run. Billing's own
        # check (core.bulk.analyze_if_stale) misses enrolments inserted a moment ago: their
        # counts are not yet in pg_stat_user_tables and CREATE INDEX left reltuples at 0, and
        # without statistics its anti-join is planned as a nested loop over the month's lines.
        cursor.execute("ANALYZE enrolment_enrolment")
        cursor.execute("ANALYZE finance_invoiceline")
    allocate(source, 2026, rows * 201_600, None)  # billing refuses a year without allocation
    started = time.perf_counter()
    bill_month(region, JANUARY, None)
    bill_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:  # what autovacuum does to a month billed weeks before
        cursor.execute("ANALYZE finance_invoiceline")
    path = Path(f"/tmp/jaring-bench-statement-{rows}.csv")  # noqa: S108 (a benchmark's scratch)
    with connection.cursor() as cursor, path.open("wb") as handle:
        with cursor.cursor.copy(STATEMENT_SQL.replace("%s", str(rows // 1000))) as copy:
            for block in copy:
                handle.write(block)
    return source, path, bill_seconds


def main(rows: int) -> None:
    set_up_seconds = time.perf_counter()
    source, path, bill_seconds = set_up(rows)
    set_up_seconds = time.perf_counter() - set_up_seconds
    lines = sum(1 for _ in path.open()) - 1
    started = time.perf_counter()
    outcome = import_statement(source, JANUARY, path, None)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = import_statement(source, JANUARY, path, None)
    again_seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        # The file's rows as text in a table (not timed), then the floor: one plain INSERT …
        # SELECT of every row, shaped as a statement line, into an unindexed table.
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_file (kpj text, nik text, period text, amount text, "
            "status text)"
        )
        with (
            path.open("rb") as handle,
            cursor.cursor.copy("COPY bench_file FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            copy.write(handle.read())
        cursor.execute("CREATE TABLE bench_floor AS SELECT * FROM finance_statementline LIMIT 0")
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_floor (id, statement_id, row_number, kpj, nik_index, amount, "
            "active, problem) SELECT row_number() OVER (), %s, row_number() OVER (), kpj, '', "
            "replace(amount, '.', '')::bigint, status = 'AKTIF', '' FROM bench_file",
            [outcome.statement.pk],
        )
        floor = time.perf_counter() - started
    path.unlink()
    print(
        json.dumps(
            {
                "rows": rows,
                "lines": lines,
                "differences": outcome.by_kind,
                "seconds": seconds,
                "again_s": again_seconds,
                "again_created": again.created,
                "floor_s": floor,
                "set_up_s": set_up_seconds,  # not timed: enrolling, billing and writing the file
                "bill_s": bill_seconds,
                "load": Path("/proc/loadavg").read_text().split()[:3],
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
