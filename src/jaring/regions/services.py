"""Writes to the region table: the bulk, idempotent load of the Kemendagri reference data."""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from jaring.regions import rules
from jaring.regions.models import Region, RegionDataset

DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"
POPULATION_CSV = DATA_DIR / "population.csv"
BATCH_SIZE = 2000


@dataclass(frozen=True)
class LoadResult:
    rows: int
    skipped: bool


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_population(path: Path) -> dict[str, tuple[int, int, int]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["code"]: (int(row["male"]), int(row["female"]), int(row["total"]))
            for row in csv.DictReader(handle)
        }


def _read_regions(path: Path, population: dict[str, tuple[int, int, int]]) -> list[Region]:
    regions = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name = row["code"].strip(), row["name"].strip()
            male, female, total = population.get(code, (None, None, None))
            regions.append(
                Region(
                    code=code,
                    name=name,
                    name_key=rules.name_key(name),
                    level=rules.level_of(code),
                    parent_id=rules.parent_code(code),
                    population_male=male,
                    population_female=female,
                    population_total=total,
                )
            )
    # Parents before children, so the foreign key holds at every step.
    regions.sort(key=lambda region: (region.level, region.code))
    return regions


def load_regions(
    regions_csv: Path = REGIONS_CSV, population_csv: Path = POPULATION_CSV, force: bool = False
) -> LoadResult:
    """Insert or update every region from the reference files, in one transaction.

    Re-running with unchanged files is a no-op that returns at once (the files' hash is kept).
    Regions are never deleted here: workers and claims point at them.
    """
    fingerprint = _fingerprint(regions_csv, population_csv)
    source = regions_csv.name
    dataset = RegionDataset.objects.filter(source=source).first()
    if not force and dataset and dataset.sha256 == fingerprint:
        if Region.objects.count() == dataset.rows:
            return LoadResult(rows=dataset.rows, skipped=True)

    regions = _read_regions(regions_csv, _read_population(population_csv))
    with transaction.atomic():
        Region.objects.bulk_create(
            regions,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=[
                "name",
                "name_key",
                "level",
                "parent",
                "population_male",
                "population_female",
                "population_total",
            ],
        )
        RegionDataset.objects.update_or_create(
            source=source, defaults={"sha256": fingerprint, "rows": Region.objects.count()}
        )
    return LoadResult(rows=len(regions), skipped=False)
