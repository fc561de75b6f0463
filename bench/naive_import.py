"""The naive ORM loop the import is compared with (issue 18: "≥ 100 × the naive ORM loop").

Usage: python bench/naive_import.py CSV SAMPLE — registers the first SAMPLE rows of the worker
list one by one through ``registry.services.register_worker`` (the one-worker service the form
and the API use: the same checks as an import row, one INSERT and one history row per worker, a
bad row refused with its reason) and prints one JSON object: rows tried, registered, refused,
seconds. The import's ratio to this loop is taken per row: running the loop over a whole
million-row file would take hours and tell nothing more.

Run in a database where the registry is empty and the regions are loaded (bench.run does both).
"""

import csv
import datetime
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

from jaring.regions.models import Level, Region  # noqa: E402
from jaring.registry.services import WorkerInput, register_worker  # noqa: E402


def _villages(region_code: str) -> dict[tuple[str, str], Region]:
    """(village name, district name) → village, as a person picks the village in the form."""
    districts = dict(
        Region.objects.filter(code__startswith=region_code + ".", level=Level.DISTRICT).values_list(
            "code", "name"
        )
    )
    villages = Region.objects.filter(code__startswith=region_code + ".", level=Level.VILLAGE)
    return {(v.name, districts[v.parent_id]): v for v in villages}


def main(path: Path, sample: int, region_code: str = "14.03") -> None:
    villages = _villages(region_code)
    user = get_user_model().objects.create_superuser("naive", "naive@example.org", "x")
    registered = refused = tried = 0
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter=";")
        next(rows)
        for row in rows:
            if tried == sample:
                break
            tried += 1
            nik, name, sex, birth, _place, village, district, _job, income, desil, phone = row
            try:
                register_worker(
                    WorkerInput(
                        nik=nik,
                        full_name=name,
                        sex=sex,
                        birth_date=datetime.datetime.strptime(birth, "%d-%m-%Y").date(),
                        village_code="",
                        declared_income=int(income.replace(".", "")),
                        desil=int(desil),
                        phone=phone,
                    ),
                    villages.get((village, district)) or Region(code="", level=Level.DISTRICT),
                    user,
                )
                registered += 1
            except (ValidationError, ValueError):
                refused += 1
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {"tried": tried, "registered": registered, "refused": refused, "seconds": seconds}
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
