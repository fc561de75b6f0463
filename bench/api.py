"""The coverage look-up under load: ``POST /api/v1/coverage`` with ``{"nik": …}``.

``python bench/api.py setup ROWS`` fills the (fresh) database: ROWS workers in Kabupaten
Bengkalis, each with an active enrolment, 10,000 of them with real NIKs (blind-indexed like an
import would), a BPJS officer and an API token; prints the token, the officer's id and sample
NIKs as JSON. The load itself comes from wrk (``bench/api_load.lua``, run by ``bench/run.py``).
"""

import datetime
import json
import random
import sys

REAL_WORKERS = 10_000  # the rest only fill the index: their NIKs are not blind-indexed


def setup(rows: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jaring.accounts.models import User
    from jaring.accounts.rules import RoleCode
    from jaring.accounts.services import grant_role
    from jaring.api.services import issue_token
    from jaring.core import crypto
    from jaring.finance.models import FundingSource
    from jaring.regions.models import Region
    from jaring.regions.services import load_regions

    call_command("migrate", verbosity=0)
    load_regions()
    villages = list(
        Region.objects.filter(code__startswith="14.03.", level=4).values_list("code", flat=True)
    )
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from money import WORKERS_SQL

    with connection.cursor() as cursor:
        cursor.execute(WORKERS_SQL, [villages, len(villages), rows - REAL_WORKERS])
    rng = random.Random(7)
    niks, real, seen = [], [], set()
    for i in range(REAL_WORKERS):
        village = villages[i % len(villages)]
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randrange(15000))
        nik = f"{village[:8].replace('.', '')}{birth:%d%m%y}{i % 9999 + 1:04d}"
        if nik in seen:
            continue
        seen.add(nik)
        niks.append(nik)
        real.append((crypto.nik_index(nik), nik[-4:], village, birth, i))
    with connection.cursor() as cursor:
        cursor.executemany(
            """INSERT INTO registry_worker (nik_index, nik_cipher, nik_hint, full_name, name_key,
                sex, birth_date, birth_place, phone, address, rt_rw, village_id, occupation_id,
                declared_income, desil, has_disability, is_female_head, source, source_ref,
                status, created_at, updated_at, content_hash)
               VALUES (%s, '\\x00'::bytea, '1403' || %s, 'Nyata ' || %s, 'nyata', 'L', %s, '',
                '', '', '', %s, 'petani_pekebun', 1000000, 1, false, false, '', '', 'active',
                now(), now(), '')""",
            [(index, hint, n, birth, village) for index, hint, village, birth, n in real],
        )
        source = FundingSource.objects.create(region_id="14.03", kind="apbd_kab", name="APBD")
        year = datetime.date.today().year
        cursor.execute(
            """INSERT INTO enrolment_enrolment (worker_id, source_id, status, start_month,
                end_month, declared_income, programs, kpj_number, end_reason, bpjs_note,
                created_at, updated_at)
               SELECT id, %s, 'active', %s, %s, 1000000, 'JKK,JKM',
                   lpad(id::text, 11, '0'), '', '', now(), now()
               FROM registry_worker""",
            [source.pk, datetime.date(year, 1, 1), datetime.date(year, 12, 1)],
        )
        cursor.execute("ANALYZE")
    officer = User.objects.create_user("bpjs.bench")
    grant_role(officer, RoleCode.BPJS_OFFICER, Region.objects.get(code="14.03"))
    _row, token = issue_token(officer, "bench", 1)
    print(json.dumps({"token": token, "niks": niks, "user_id": officer.pk}))


if __name__ == "__main__":
    if sys.argv[1:2] != ["setup"] or len(sys.argv) != 3:
        sys.exit("usage: python bench/api.py setup ROWS")
    setup(int(sys.argv[2]))
