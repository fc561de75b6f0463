"""Writes to the region table: the bulk, idempotent load of the Kemendagri reference data."""

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from jaring.core import region_codes
from jaring.core.text import name_key
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


_COLUMNS = (
    "code",
    "name",
    "name_key",
    "level",
    "parent",
    "population_male",
    "population_female",
    "population_total",
)


def _read_regions(path: Path, population: dict[str, tuple[int, int, int]]) -> list[tuple]:
    """Rows in ``_COLUMNS`` order, parents before children so the foreign key always holds."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            code, name = record["code"].strip(), record["name"].strip()
            male, female, total = population.get(code, (None, None, None))
            level = region_codes.level_of(code)
            rows.append(
                (
                    code,
                    name,
                    name_key(name),
                    int(level),
                    region_codes.parent_code(code),
                    male,
                    female,
                    total,
                )
            )
    rows.sort(key=lambda row: (row[3], row[0]))
    return rows


def _upsert_sql(rows: int) -> str:
    # Plain multi-row INSERT … ON CONFLICT (PostgreSQL and SQLite alike): the ORM's bulk_create
    # spends ten times longer building 91k model objects than the database spends storing them,
    # and one statement per batch beats one per row.
    meta = Region._meta
    columns = [meta.get_field(name).column for name in _COLUMNS]
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns[1:])
    # Identifiers come from the model's own metadata; values go as parameters.
    table = quote(meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    slots = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * rows)
    conflict = f"ON CONFLICT ({quote(columns[0])}) DO UPDATE SET {updates}"  # nosec B608
    return f"INSERT INTO {table} ({names}) VALUES {slots} {conflict}"  # noqa: S608  # nosec B608


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

    rows = _read_regions(regions_csv, _read_population(population_csv))
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            cursor.execute(_upsert_sql(len(batch)), [value for row in batch for value in row])
        RegionDataset.objects.update_or_create(
            source=source, defaults={"sha256": fingerprint, "rows": Region.objects.count()}
        )
    return LoadResult(rows=len(rows), skipped=False)
