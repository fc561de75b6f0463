"""Synthetic worker lists for demos, tests and benchmarks (no real person's data).

Faker's id_ID locale makes names but no NIKs, so NIKs are built here from real kecamatan codes
and birth dates, exactly as Dukcapil structures them. A chosen share of rows is broken in the
ways real files are (Excel-mangled NIKs, impossible dates, unknown villages, contradictions,
repeated rows, missing names), and the generator says how many of each it wrote.
"""

from __future__ import annotations

import csv
import datetime
import random
import zlib
from collections import Counter
from pathlib import Path

from faker import Faker

from jaring.regions.models import Level, Region
from jaring.regions.rules import proportional_shares

HEADER = [
    "NIK",
    "Nama Lengkap",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "Tempat Lahir",
    "Desa/Kelurahan",
    "Kecamatan",
    "Pekerjaan",
    "Penghasilan",
    "Desil",
    "No HP",
]
OCCUPATIONS = [
    "Petani/Pekebun",
    "Nelayan",
    "Buruh Harian Lepas",
    "Pedagang",
    "Ojek",
    "Pekerja Rumah Tangga",
    "Peternak",
    "Petani",
]
FLAWS = [
    "nik_scientific",
    "nik_birth_date_invalid",
    "village_unknown",
    "nik_sex_mismatch",
    "duplicate_in_file",
    "name_missing",
]


def _villages(region_code: str) -> list[tuple[str, str, str]]:
    villages = Region.objects.filter(code__startswith=region_code + ".", level=Level.VILLAGE)
    districts = dict(
        Region.objects.filter(code__startswith=region_code + ".", level=Level.DISTRICT).values_list(
            "code", "name"
        )
    )
    # Ordered, so that a seed gives the same people on every database.
    return [
        (v.code, v.name, districts[v.parent_id])
        for v in villages.only("code", "name", "parent").order_by("code")
    ]


def generate_rows(region_code: str, rows: int, bad_share: float = 0.05, seed: int = 2025):
    """Yield (row, flaw or None) pairs; the first row never carries a flaw."""
    # Reproducible demo data, not secrets.
    rng = random.Random(seed)  # nosec B311
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    villages = _villages(region_code)
    serials: Counter = Counter()
    previous: list[str] | None = None
    for index in range(rows):
        code, village, district = rng.choice(villages)
        sex = rng.choice("LP")
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 46 * 365))
        key = (code[:8], birth)
        serials[key] += 1
        day = birth.day + (40 if sex == "P" else 0)
        nik = f"{code[:8].replace('.', '')}{day:02d}{birth:%m%y}{serials[key]:04d}"
        name = fake.name_female() if sex == "P" else fake.name_male()
        row = [
            nik,
            name,
            sex,
            birth.strftime("%d-%m-%Y"),
            fake.city_name(),
            village,
            district,
            rng.choice(OCCUPATIONS),
            f"{rng.choice([1_000_000, 1_000_000, 1_000_000, 1_400_000, 2_000_000]):,}".replace(
                ",", "."
            ),
            str(rng.randint(1, 6)),
            f"08{rng.randrange(10**9, 10**10)}",
        ]
        flaw = rng.choice(FLAWS) if index and rng.random() < bad_share else None
        if flaw:
            row = _break(row, flaw, previous)
        previous = row if flaw is None else previous
        yield row, flaw


def _break(row: list[str], flaw: str, previous: list[str]) -> list[str]:
    row = list(row)
    if flaw == "nik_scientific":
        row[0] = f"{int(row[0]):.5E}"
    elif flaw == "nik_birth_date_invalid":
        row[0] = row[0][:6] + "32" + row[0][8:]
    elif flaw == "village_unknown":
        row[5] = "Kampung Antah Berantah"
    elif flaw == "nik_sex_mismatch":
        row[2] = "P" if row[2] == "L" else "L"
    elif flaw == "duplicate_in_file":
        row = list(previous)
    elif flaw == "name_missing":
        row[1] = ""
    return row


def write_csv(
    path: Path, region_code: str, rows: int, bad_share: float = 0.05, seed: int = 2025
) -> Counter:
    """Write a semicolon CSV as Pemda staff export it; return how many rows of each flaw."""
    flaws: Counter = Counter()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for row, flaw in generate_rows(region_code, rows, bad_share, seed):
            writer.writerow(row)
            flaws[flaw or "ok"] += 1
    return flaws


def national_shares(total: int) -> dict[str, int]:
    """Workers per kabupaten/kota for a national total, in proportion to each one's population
    (``population.csv``) among the kabupaten/kota with villages to live in, adding up to
    ``total``. Without any (regions not loaded) a total above 0 cannot be shared: ValueError."""
    regencies = (
        Region.objects.filter(level=Level.REGENCY, population_total__gt=0)
        .filter(code__in=Region.objects.filter(level=Level.VILLAGE).values("parent__parent"))
        .order_by("code")
        .values_list("code", "population_total")
    )
    return proportional_shares(total, dict(regencies))


def write_national(
    directory: Path, total: int, bad_share: float = 0.05, seed: int = 2025
) -> dict[str, dict]:
    """One list per kabupaten/kota (``<code>.csv``, to import into that kabupaten) with
    ``total`` workers spread over the country in proportion to population. Each kabupaten has
    its own seed, derived from ``seed`` and its code, so the same call writes the same files on
    every machine. Returns, per file written, its rows and flaws. Refuses a directory that
    holds lists already (a kabupaten's file from an earlier run would be imported with the new
    ones) and a database without kabupaten/kota to share over, before writing anything."""
    if directory.is_dir() and any(directory.glob("*.csv")):
        raise FileExistsError(f"{directory} holds .csv files already: name an empty directory")
    shares = national_shares(total)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for code, rows in shares.items():
        if rows:
            own_seed = zlib.crc32(f"{seed}:{code}".encode())
            flaws = write_csv(directory / f"{code}.csv", code, rows, bad_share, own_seed)
            written[code] = {"rows": rows, "flaws": dict(flaws)}
    return written
