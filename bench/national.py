"""One national instance growing to millions of workers in every kabupaten/kota (issue 18).

``python bench/national.py 1000000,2000000,5000000,10000000`` — in a fresh database, workers are
added step by step, spread over all kabupaten/kota in proportion to their population
(``population.csv``), 80 % of each step's newcomers enrolled for the year. At each step: the
insert (by SQL: the registry import has its own benchmark), a billing run of one more month for
every kabupaten (all enrolled participants), the month's deaths among the enrolled at the
mortality table's rate, each reported as a JKM claim (earlier steps' claims paid by BPJS), the
refresh of every kabupaten's summaries, and page times in process — the national league table,
the dashboard of the largest kabupaten, and the public national page. At each step the registry
import is timed too, at that national size: a generated list of ``IMPORT_ROWS`` rows imported
into a kabupaten (the step's own, so every row is new) through the real import service. Prints
one JSON object per step, then nothing else.
"""

import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from jaring.accounts.models import User  # noqa: E402
from jaring.accounts.rules import RoleCode  # noqa: E402
from jaring.accounts.services import grant_role  # noqa: E402
from jaring.finance.models import FundingSource  # noqa: E402
from jaring.finance.services import allocate, bill_month, bill_month_everywhere  # noqa: E402
from jaring.programs.rules import mortality_table  # noqa: E402
from jaring.regions.models import Region  # noqa: E402
from jaring.regions.services import load_regions  # noqa: E402
from jaring.registry.services import create_batch, run_import  # noqa: E402
from jaring.registry.synthetic import national_shares, write_csv  # noqa: E402
from jaring.reports.services import refresh_regency  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from money import WORKERS_SQL  # noqa: E402
from reports import ENROL_SQL, timed  # noqa: E402

YEAR = 2026
IMPORT_ROWS = 20_000
# Claims filed before a step are decided and paid by BPJS during it, at the JKM death benefit.
JKM_DEATH_BENEFIT = 42_000_000
# Deaths among the enrolled in a billed month: qx / 12 of the shipped mortality table (TMI IV)
# for each participant's age and sex, ages outside the table read at its edge, as
# ``programs.rules.death_probability`` does. Each death ends its enrolment that month and is
# reported as a JKM claim by the village. The draw is a hash of the worker and the month (a
# number in [0, 1)), so a run is repeatable and each worker is drawn once, not once per row
# of the table (a random() that reads no worker column is drawn once per table row).
DEATHS_SQL = """
    WITH died AS (
        UPDATE registry_worker w SET status = 'deceased',
            date_of_death = %(month)s::date + mod(hashtext(w.id || ':day') & 2147483647, 28)
        FROM enrolment_enrolment e, bench_mortality m
        WHERE e.worker_id = w.id AND e.status = 'active' AND w.status = 'active'
          AND m.sex = w.sex AND m.age = LEAST(GREATEST(
              date_part('year', age(%(month)s::date, w.birth_date))::int, %(youngest)s),
              %(oldest)s)
          AND (hashtext(w.id || ':' || %(month)s) & 2147483647) / 2147483648.0 < m.qx / 12
        RETURNING w.id, w.village_id, w.date_of_death
    ), ended AS (
        UPDATE enrolment_enrolment e SET status = 'ended', end_month = %(month)s,
            end_reason = 'death', updated_at = now()
        FROM died d WHERE e.worker_id = d.id AND e.status = 'active'
        RETURNING e.id, e.worker_id
    )
    INSERT INTO claims_claim (number, program, event, event_date, place, cause,
        traffic_accident, incapacity_days, reported_by, reporter_name, reporter_phone, notes,
        status, created_at, reported_on, eligibility, arrears_months, components, benefit_total,
        scholarship, rule_refs, heir_basis, heir_override_reason, decision_note, village_id,
        worker_id, enrolment_id, bpjs_claim_number, bpjs_components, bpjs_reason, sent_via,
        disability_percent)
    SELECT 'BENCH/JKM/' || d.id, 'JKM', 'death', d.date_of_death, '', '', false, 0, 'village',
        '', '', '', 'reported', now(), d.date_of_death + 7, '{}', 0, '[]', 0, '{}', '[]', '', '',
        '', d.village_id, d.id, n.id, '', '[]', '', '', 0
    FROM died d JOIN ended n ON n.worker_id = d.id
"""
# The claims reported before: checked by the Pemda, carried to the branch, paid by BPJS.
PAY_CLAIMS_SQL = """
    UPDATE claims_claim SET status = 'paid', eligible = true, benefit_total = %(benefit)s,
        decided_by_id = %(checker)s, submitted_by_id = %(maker)s, sent_via = 'hand',
        sent_on = reported_on + 7, bpjs_received_on = reported_on + 7,
        bpjs_decided_on = reported_on + 12, paid_on = reported_on + 16,
        bpjs_total = %(benefit)s
    WHERE status = 'reported' AND number LIKE 'BENCH/%%'
"""
# The step's newcomers only: workers of earlier steps are enrolled already.
ENROL_NEW_SQL = ENROL_SQL.rstrip() + " AND w.id > %s\n"


def villages_of(code: str) -> list[str]:
    return list(
        Region.objects.filter(code__startswith=code + ".", level=4).values_list("code", flat=True)
    )


def grow(regencies, sources, have: dict[str, int], want: dict[str, int], serial: list[int]) -> None:
    """Insert each kabupaten's missing workers and enrol 80 % of them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM registry_worker")
        (last_id,) = cursor.fetchone()
        for region in regencies:
            missing = want[region.code] - have[region.code]
            if missing <= 0:
                continue
            villages = villages_of(region.code)
            # Offsetting the series keeps the synthetic blind indexes unique across regencies.
            cursor.execute(
                WORKERS_SQL.replace("generate_series(1, %s)", "generate_series(%s, %s)"),
                [villages, len(villages), serial[0] + 1, serial[0] + missing],
            )
            serial[0] += missing
            have[region.code] += missing
            cursor.execute(
                ENROL_NEW_SQL,
                [
                    sources[region.code],
                    datetime.date(YEAR, 1, 1),
                    datetime.date(YEAR, 12, 1),
                    region.code,
                    last_id,
                ],
            )
        cursor.execute("ANALYZE")


def import_seconds(region: Region) -> float:
    """The registry import of ``IMPORT_ROWS`` generated rows into ``region``, timed; the rows
    are new (generated NIKs never meet the inserted workers' synthetic blind indexes)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"daftar-{region.code}.csv"
        write_csv(path, region.code, IMPORT_ROWS, bad_share=0.03)
        started = time.perf_counter()
        run_import(create_batch(path, region, "bench"))
        return time.perf_counter() - started


def load_mortality() -> dict[str, int]:
    """The mortality table as ``bench_mortality`` (age, sex, qx); returns its age range."""
    table = mortality_table()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_mortality (age int, sex text, qx numeric)")
        cursor.executemany(
            "INSERT INTO bench_mortality VALUES (%s, %s, %s)",
            [(age, sex, qx) for (age, sex), qx in table.items()],
        )
    ages = [age for age, _sex in table]
    return {"youngest": min(ages), "oldest": max(ages)}


def deaths_and_claims(month: datetime.date, ages: dict[str, int], users) -> dict[str, int]:
    """The step's claims: those reported before are paid; the month's deaths are reported."""
    maker, checker = users
    with connection.cursor() as cursor:
        cursor.execute(
            PAY_CLAIMS_SQL,
            {"benefit": JKM_DEATH_BENEFIT, "maker": maker.pk, "checker": checker.pk},
        )
        paid = cursor.rowcount
        cursor.execute(DEATHS_SQL, {"month": month, **ages})
        return {"reported": cursor.rowcount, "paid": paid}


def billed_region_by_region(regions: list[Region], month: datetime.date) -> tuple[int, float]:
    """The baseline: the month billed one kabupaten after another (``jaring bill --region`` for
    each), rolled back. Returns the lines and the seconds, the foreign-key checks that each
    kabupaten's commit would make included (made at once, before the rollback)."""
    started = time.perf_counter()
    lines = 0
    with transaction.atomic():
        for region in regions:
            try:
                lines += bill_month(region, month, None).summary()["new_lines"]
            except ValidationError:  # a kabupaten with nobody enrolled bills nothing
                pass
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return lines, seconds


def main(steps: list[int]) -> None:
    call_command("migrate", verbosity=0)
    load_regions()
    settings.ALLOWED_HOSTS = ["testserver"]
    # The kabupaten/kota the shares go to (with population and villages): one definition.
    regencies = list(Region.objects.filter(code__in=list(national_shares(0))).order_by("code"))
    sources = {}
    for region in regencies:
        source = FundingSource.objects.create(region=region, kind="apbd_kab", name="APBD")
        allocate(source, YEAR, 10**13, None)
        sources[region.code] = source.pk
    viewer = User.objects.create_user("nasional.bench")
    grant_role(viewer, RoleCode.NATIONAL_VIEWER, None)
    ages = load_mortality()
    claim_users = (
        User.objects.create_user("pengaju.bench"),
        User.objects.create_user("pemeriksa.bench"),
    )
    have = dict.fromkeys((r.code for r in regencies), 0)
    serial = [0]
    for step, total in enumerate(steps):
        want = national_shares(total)
        started = time.perf_counter()
        grow(regencies, sources, have, want, serial)
        insert_s = time.perf_counter() - started
        month = datetime.date(YEAR, step + 1, 1)
        # The first step also bills its month the way a national instance had to before
        # ``jaring bill --all``, one kabupaten at a time (undone): the same run's baseline.
        by_region = (
            billed_region_by_region([r for r in regencies if have[r.code]], month)
            if step == 0
            else None
        )
        started = time.perf_counter()
        lines = bill_month_everywhere(month).summary()["new_lines"]
        bill_s = time.perf_counter() - started
        claims = deaths_and_claims(month, ages, claim_users)
        refresh = []
        for region in regencies:
            started = time.perf_counter()
            refresh_regency(region.code)
            refresh.append(time.perf_counter() - started)
        largest = max(regencies, key=lambda r: have[r.code])
        # The step's own kabupaten (the next largest each time), so every imported row is new.
        imported_into = sorted(regencies, key=lambda r: -have[r.code])[step + 1]
        import_s = import_seconds(imported_into)
        operator = User.objects.create_user(f"operator.{step}")
        grant_role(operator, RoleCode.OPERATOR, largest)
        as_operator, as_viewer = Client(), Client()
        as_operator.force_login(operator)
        as_viewer.force_login(viewer)
        print(
            json.dumps(
                {
                    "workers": sum(have.values()),
                    "regencies": len(regencies),
                    "largest": {"code": largest.code, "workers": have[largest.code]},
                    "insert_s": insert_s,
                    "bill_s": bill_s,
                    "bill_lines": lines,
                    "bill_by_region": by_region,
                    "claims": claims,
                    "refresh_total_s": sum(refresh),
                    "refresh_max_s": max(refresh),
                    "import": {"code": imported_into.code, "rows": IMPORT_ROWS, "s": import_s},
                    "national": timed(as_viewer, "/nasional/"),
                    "dashboard": timed(as_operator, f"/laporan/{largest.code}/"),
                    "public": timed(Client(), "/publik/"),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1].split(",")])
