"""Dashboards at scale: refresh time, the kabupaten dashboard and the national page.

``python bench/reports.py ROWS OTHER_REGENCIES OTHER_ROWS`` — in a fresh database: ROWS workers
in Kabupaten Bengkalis and OTHER_ROWS in each of OTHER_REGENCIES other kabupaten, each with an
active enrolment; refreshes the summary tables (the first refresh of Bengkalis is timed before
ANALYZE, as a fresh installation sees it). Then, in the same run: the baseline — one grouped
COUNT(*) pass over Bengkalis' living workers by village —, a full refresh of Bengkalis, and an
incremental one after workers changed in three villages (announced through
``core.events.region_changed``, as the registry does), which must leave exactly the rows a full
recount writes. Then times 60 requests of the Bengkalis dashboard (as its operator), of the
national page (as the national viewer) and of the public page, in process. Prints one JSON object.
"""

import datetime
import json
import statistics
import sys
import time

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from jaring.accounts.models import User  # noqa: E402
from jaring.accounts.rules import RoleCode  # noqa: E402
from jaring.accounts.services import grant_role  # noqa: E402
from jaring.core.events import Change, region_changed  # noqa: E402
from jaring.finance.models import FundingSource  # noqa: E402
from jaring.regions.models import Region  # noqa: E402
from jaring.regions.services import load_regions  # noqa: E402
from jaring.reports.models import CoverageMonth, RegionFact  # noqa: E402
from jaring.reports.services import refresh_regency  # noqa: E402

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from money import WORKERS_SQL  # noqa: E402

ENROL_SQL = """
    INSERT INTO enrolment_enrolment (worker_id, source_id, status, start_month, end_month,
        declared_income, programs, kpj_number, end_reason, bpjs_note, created_at, updated_at)
    SELECT w.id, %s, 'active', %s, %s, 1000000, 'JKK,JKM', lpad(w.id::text, 11, '0'), '', '',
        now(), now()
    FROM registry_worker w
    WHERE w.regency_code = %s AND mod(w.id, 10) < 8
"""


def populate(regency: str, rows: int, offset: int) -> float:
    villages = list(
        Region.objects.filter(code__startswith=regency + ".", level=4).values_list(
            "code", flat=True
        )
    )
    year = datetime.date.today().year
    with connection.cursor() as cursor:
        # Offsetting the series keeps the synthetic blind indexes unique across regencies.
        cursor.execute(
            WORKERS_SQL.replace("generate_series(1, %s)", "generate_series(%s, %s)"),
            [villages, len(villages), offset + 1, offset + rows],
        )
        source = FundingSource.objects.create(region_id=regency, kind="apbd_kab", name="APBD")
        cursor.execute(
            ENROL_SQL, [source.pk, datetime.date(year, 1, 1), datetime.date(year, 12, 1), regency]
        )
    started = time.perf_counter()
    refresh_regency(regency)
    return time.perf_counter() - started


def seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def baseline(regency: str) -> None:
    """The floor: one grouped count of the kabupaten's living workers by village (as the
    refresh runs it: in a transaction, JIT off)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            "SELECT village_id, COUNT(*) FROM registry_worker "
            "WHERE regency_code = %s AND status = 'active' GROUP BY village_id",
            [regency],
        )
        cursor.fetchall()


def change_villages(regency: str, count: int = 3) -> list[str]:
    """Workers change in ``count`` villages (some change sex, some die), announced per village."""
    villages = list(
        Region.objects.filter(code__startswith=regency + ".", level=4)
        .order_by("code")
        .values_list("code", flat=True)[:count]
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_worker SET sex = CASE WHEN sex = 'L' THEN 'P' ELSE 'L' END "
                "WHERE village_id = ANY(%s) AND mod(id, 5) = 0",
                [villages],
            )
            cursor.execute(
                "UPDATE registry_worker SET status = 'deceased', date_of_death = CURRENT_DATE "
                "WHERE village_id = ANY(%s) AND mod(id, 11) = 0",
                [villages],
            )
        for village in villages:
            region_changed(village, Change.WORKERS)
    return villages


def summaries() -> tuple[list, list]:
    facts = RegionFact.objects.order_by("region_code", "dimension", "key").values_list(
        *(f.name for f in RegionFact._meta.fields if f.name not in {"id", "refreshed_at"})
    )
    months = CoverageMonth.objects.order_by("regency_code", "month").values_list(
        "regency_code", "month", "covered"
    )
    return list(facts), list(months)


def timed(client: Client, url: str, runs: int = 60) -> dict:
    client.get(url)  # warm caches (boundaries, templates)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return {
        "p50_ms": 1000 * statistics.median(samples),
        "p95_ms": 1000 * samples[int(len(samples) * 0.95) - 1],
    }


def main(rows: int, others: int, other_rows: int) -> None:
    call_command("migrate", verbosity=0)
    load_regions()
    settings.ALLOWED_HOSTS = ["testserver"]
    big = populate("14.03", rows, 0)
    regencies = list(
        Region.objects.filter(level=2)
        .exclude(code="14.03")
        .order_by("code")
        .values_list("code", flat=True)[:others]
    )
    small = [populate(code, other_rows, rows + i * other_rows) for i, code in enumerate(regencies)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    floor = min(seconds(lambda: baseline("14.03")) for _ in range(3))
    full = seconds(lambda: refresh_regency("14.03"))
    changed = change_villages("14.03")
    incremental = seconds(lambda: refresh_regency("14.03", incremental=True))
    after_incremental = summaries()
    refresh_regency("14.03")
    assert summaries() == after_incremental, "the incremental refresh differs from a recount"
    operator = User.objects.create_user("operator.bench")
    grant_role(operator, RoleCode.OPERATOR, Region.objects.get(code="14.03"))
    viewer = User.objects.create_user("nasional.bench")
    grant_role(viewer, RoleCode.NATIONAL_VIEWER, None)
    as_operator, as_viewer = Client(), Client()
    as_operator.force_login(operator)
    as_viewer.force_login(viewer)
    print(
        json.dumps(
            {
                "refresh_big_s": big,
                "baseline_count_s": floor,
                "refresh_full_s": full,
                "refresh_incremental_s": incremental,
                "changed_villages": len(changed),
                "villages": Region.objects.filter(code__startswith="14.03.", level=4).count(),
                "loadavg": list(__import__("os").getloadavg()),
                "refresh_small_median_s": statistics.median(small) if small else None,
                "dashboard": timed(as_operator, "/laporan/14.03/"),
                "national": timed(as_viewer, "/nasional/"),
                "public": timed(Client(), "/publik/14.03/"),
                "workers": rows + others * other_rows,
                "regencies": 1 + len(regencies),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
