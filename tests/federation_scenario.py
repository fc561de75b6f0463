"""One side of the federation test, run in its own process against its own PostgreSQL cluster
(test_federation_replication.py starts it with DATABASE_URL, JARING_INSTANCE_NAME and the
national key in the environment): `pemda <regency> <months> [--share-first-with <regency>]`
builds a small real instance (regions, an imported list, enrolments and a year's invoice lines,
the summaries) and publishes it; `worker-of <regency>` prints the worker id of the regency's
first listed person in this instance."""

import datetime
import sys
import tempfile
from pathlib import Path

import django


def _first_row(regency: str) -> list[str]:
    from jaring.registry.synthetic import generate_rows

    return next(generate_rows(regency, 1, bad_share=0, seed=7))[0]


def _workers_file(regency: str, share_first_with: str | None, folder: Path) -> Path:
    import csv

    from jaring.registry.synthetic import HEADER, generate_rows

    rows = [row for row, _ in generate_rows(regency, 5, bad_share=0, seed=7)]
    if share_first_with:  # the same person (NIK, sex, birth date), listed here too
        shared = _first_row(share_first_with)
        rows[0][:5] = shared[:5]
    path = folder / f"{regency}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def pemda(regency: str, months: list[int], share_first_with: str | None) -> None:
    from jaring.enrolment.models import Enrolment
    from jaring.federation import services as federation
    from jaring.finance.models import FundingSource, Invoice
    from jaring.regions.models import Region
    from jaring.regions.services import POPULATION_CSV, load_regions
    from jaring.registry import services as registry
    from jaring.registry.models import Worker
    from jaring.reports.services import refresh_regency
    from tests.billing_kit import billed_line
    from tests.conftest import write_region_subset

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        load_regions(write_region_subset(folder / "regions.csv", {"14"}), POPULATION_CSV)
        region = Region.objects.get(code=regency)
        batch = registry.run_import(
            registry.create_batch(_workers_file(regency, share_first_with, folder), region, "DTKS")
        )
        assert batch.accepted == 5, batch.error or batch.rejected
    source = FundingSource.objects.create(region=region, kind="apbd_kab", name=f"APBD {regency}")
    for number, worker in enumerate(Worker.objects.order_by("pk"), start=1):
        enrolment = Enrolment.objects.create(
            worker=worker,
            source=source,
            status="active",
            start_month=datetime.date(2025, months[0], 1),
            end_month=datetime.date(2025, months[-1], 1),
            declared_income=1_000_000,
            kpj_number=f"{regency.replace('.', '')}{number:07d}",
        )
        for month in months:
            day = datetime.date(2025, month, 1)
            invoice, _ = Invoice.objects.get_or_create(
                source=source, month=day, defaults={"number": f"{regency}/{day:%Y-%m}"}
            )
            billed_line(invoice, enrolment, day)
    refresh_regency(regency, today=datetime.date(2025, months[-1], 20))
    federation.publish()
    federation.create_instance_publication()


def worker_of(regency: str) -> None:
    from jaring.core.crypto import nik_index
    from jaring.registry.models import Worker

    print(Worker.objects.get(nik_index=nik_index(_first_row(regency)[0])).pk)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    django.setup()
    action, regency, *rest = sys.argv[1:]
    if action == "pemda":
        share = rest[2] if len(rest) > 2 and rest[1] == "--share-first-with" else None
        pemda(regency, [int(m) for m in rest[0].split(",")], share)
    else:
        worker_of(regency)
