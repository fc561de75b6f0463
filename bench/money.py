"""One run of the planning and billing benchmark (run by bench.run in a fresh database).

Usage: python bench/money.py ROWS  — prints one JSON object with the timings.
"""

import datetime
import json
import sys
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from jaring.finance.models import FundingSource  # noqa: E402
from jaring.finance.planning import commit_plan, plan_coverage  # noqa: E402
from jaring.finance.services import allocate, bill_month  # noqa: E402
from jaring.regions.models import Region  # noqa: E402
from jaring.regions.services import load_regions  # noqa: E402

WORKERS_SQL = """
    INSERT INTO registry_worker (nik_index, nik_cipher, nik_hint, full_name, name_key, sex,
        birth_date, birth_place, phone, address, rt_rw, village_id, occupation_id,
        declared_income, desil, has_disability, is_female_head, source, source_ref, status,
        created_at, updated_at, content_hash)
    SELECT md5(i::text) || md5((i + 1)::text), '\\x00'::bytea, '14030001', 'W' || i, 'w' || i,
        CASE WHEN mod(i, 2) = 0 THEN 'L' ELSE 'P' END, DATE '1965-01-01' + mod(i, 14000),
        '', '', '',
        '', (%s::text[])[1 + mod(i, %s)],
        CASE WHEN mod(i, 7) = 0 THEN 'ojek_transportasi' ELSE 'petani_pekebun' END,
        1000000, 1 + mod(i, 10), false, false, '', '', 'active', now(), now(), ''
    FROM generate_series(1, %s) AS i
"""


def main(rows: int) -> None:
    call_command("migrate", verbosity=0)
    load_regions()
    villages = list(
        Region.objects.filter(code__startswith="14.03.", level=4).values_list("code", flat=True)
    )
    with connection.cursor() as cursor:
        # Workers straight in SQL: the registry import has its own benchmark.
        cursor.execute(WORKERS_SQL, [villages, len(villages), rows])
    region = Region.objects.get(code="14.03")
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD")
    allocate(source, 2026, rows * 201_600, None)
    timings = {}
    started = time.perf_counter()
    plan = plan_coverage(
        region,
        source,
        2026,
        None,
        start_month=datetime.date(2026, 1, 1),
        today=datetime.date(2025, 12, 1),
    )
    timings["plan_s"] = time.perf_counter() - started
    started = time.perf_counter()
    commit_plan(plan, None)
    timings["commit_s"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE enrolment_enrolment SET status = 'active', kpj_number = lpad(id::text, 11, '0')"
        )
    started = time.perf_counter()
    first = bill_month(region, datetime.date(2026, 2, 1), None).summary()
    timings["bill_s"] = time.perf_counter() - started
    started = time.perf_counter()
    again = bill_month(region, datetime.date(2026, 2, 1), None).summary()
    timings["rebill_s"] = time.perf_counter() - started
    # The floor: the same lines written by a plain INSERT … SELECT into a table with no index,
    # no constraint and no foreign key (what writing the rows costs at all, in this run).
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_floor AS SELECT * FROM finance_invoiceline WITH NO DATA")
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_floor SELECT * FROM finance_invoiceline WHERE month = %s",
            [datetime.date(2026, 2, 1)],
        )
        timings["floor_s"] = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_floor")
    print(
        json.dumps(
            {
                "rows": rows,
                "selected": plan.selected,
                "lines": first["new_lines"],
                "total": first["total"],
                "again": again["new_lines"],
                **timings,
                "bill_to_floor": timings["bill_s"] / timings["floor_s"],
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
