"""One run of the programme-over-the-years benchmark (run by bench.run in a fresh database).

Usage: python bench/years.py ROWS — prints one JSON object with the timings. ROWS participants
are enrolled for 2025 by SQL (each with a KPJ) and billed for December by the billing run; then

- allocation: one payment of the whole December invoice allocated to its ROWS
  participant-months (``record_payment``: oldest unpaid first, whole months; the payment records
  the prefix it paid, ``finance.allocation``);
- renewal: the 2026 plan continues the cohort (``plan_coverage``) and is committed
  (``commit_plan``: the 2025 enrolments close, ROWS new ones follow with the same KPJ, history).

Each is compared with a plain INSERT … SELECT of the same rows into an unindexed table, timed in
the same run: the invoice's lines for the allocation, the new enrolments for the renewal.
"""

import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.money import WORKERS_SQL  # noqa: E402  (sets Django up)
from jaring.finance.allocation import with_payer  # noqa: E402
from jaring.finance.models import FundingSource, Invoice  # noqa: E402
from jaring.finance.planning import commit_plan, plan_coverage  # noqa: E402
from jaring.finance.services import allocate, bill_month, record_payment  # noqa: E402
from jaring.regions.models import Region  # noqa: E402
from jaring.regions.services import load_regions  # noqa: E402

DECEMBER = datetime.date(2025, 12, 1)
ENROLMENTS_SQL = """
    INSERT INTO enrolment_enrolment (worker_id, source_id, status, start_month, end_month,
        declared_income, programs, kpj_number, bpjs_note, end_reason, created_at, updated_at)
    SELECT id, %s, 'active', DATE '2025-01-01', DATE '2025-12-01', 1000000, 'JKK,JKM',
        lpad(id::text, 11, '0'), '', '', now(), now()
    FROM registry_worker
"""


def _floor(cursor, table: str, where: str, params: list) -> float:
    """A plain INSERT … SELECT of the same rows into an unindexed copy of ``table``."""
    with transaction.atomic():
        cursor.execute(f"CREATE TABLE bench_floor AS SELECT * FROM {table} LIMIT 0")  # noqa: S608
        started = time.perf_counter()
        sql = f"INSERT INTO bench_floor SELECT * FROM {table} WHERE {where}"  # noqa: S608
        cursor.execute(sql, params)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor")
    return seconds


def main(rows: int) -> None:
    call_command("migrate", verbosity=0)
    load_regions()
    villages = list(
        Region.objects.filter(code__startswith="14.03.", level=4).values_list("code", flat=True)
    )
    region = Region.objects.get(code="14.03")
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD")
    allocate(source, 2025, rows * 201_600, None)
    allocate(source, 2026, rows * 201_600, None)
    with connection.cursor() as cursor:
        # Workers aged 20 to 58 (the age rule drops nobody): the whole cohort can continue.
        younger = WORKERS_SQL.replace("1965-01-01", "1968-01-01")
        cursor.execute(younger, [villages, len(villages), rows])
        cursor.execute(ENROLMENTS_SQL, [source.pk])
        cursor.execute("ANALYZE registry_worker, enrolment_enrolment")
    bill_month(region, DECEMBER, None)
    invoice = Invoice.objects.get(source=source, month=DECEMBER)
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE finance_invoiceline")
        timings["allocate_floor_s"] = _floor(
            cursor, "finance_invoiceline", "invoice_id = %s", [invoice.pk]
        )
    officer = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    started = time.perf_counter()
    record_payment(invoice, invoice.total, DECEMBER, "SP2D/1", officer)
    timings["allocate_s"] = time.perf_counter() - started
    # What the payment paid, read as every reader does (finance.allocation.payer_sql).
    paid = with_payer(invoice.lines).filter(paid_by__isnull=False)
    paid_months = paid.count()  # one line per participant-month
    started = time.perf_counter()
    plan = plan_coverage(
        region,
        source,
        2026,
        None,
        start_month=datetime.date(2026, 1, 1),
        today=datetime.date(2025, 12, 15),
    )
    timings["plan_s"] = time.perf_counter() - started
    started = time.perf_counter()
    created = commit_plan(plan, None)
    timings["commit_s"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        timings["renew_floor_s"] = _floor(cursor, "enrolment_enrolment", "plan_id = %s", [plan.pk])
    print(
        json.dumps(
            {
                "rows": rows,
                "paid_months": paid_months,
                "continued": plan.selections.filter(kind="continued").count(),
                "created": created,
                **timings,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
