"""Reading a death list (Dukcapil extract or village reports): NIK, name, date of death.

The file goes through the registry's safe readers (CSV/XLSX/XLS, zip-bomb and type checks);
every row comes back either usable or with the reason it is not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from jaring.core import crypto
from jaring.core.masking import nik_hint
from jaring.core.spreadsheets import SheetSchema, open_sheet
from jaring.registry import rules as registry_rules
from jaring.registry.worker_sheet import HEADER_SYNONYMS

DEATH_LIST = SheetSchema(
    {
        "nik": HEADER_SYNONYMS["nik"],
        "full_name": HEADER_SYNONYMS["full_name"],
        "date_of_death": [
            "tanggal kematian",
            "tgl kematian",
            "tanggal meninggal",
            "tgl meninggal",
            "tanggal wafat",
            "date of death",
            "died on",
        ],
    },
    {"nik": "NIK", "date_of_death": "Tanggal Kematian"},
)


@dataclass(frozen=True)
class DeathRow:
    row_number: int
    nik_index: str
    nik_hint: str
    name: str
    date_of_death: datetime.date | None
    problem: str  # empty when the row is usable


def read_death_list(path: Path, today: datetime.date) -> list[DeathRow]:
    """Every row of the file (death lists are hundreds of rows, not millions)."""
    sheet = open_sheet(path, schema=DEATH_LIST)
    columns = sheet.layout.fields
    rows = []
    for chunk in sheet.chunks:
        for record in chunk.iter_rows(named=True):
            rows.append(
                _death_row(
                    record["_row"],
                    record.get(columns["nik"]),
                    record.get(columns["full_name"]) if "full_name" in columns else "",
                    record.get(columns["date_of_death"]),
                    today,
                )
            )
    return rows


def _death_row(number: int, raw_nik, raw_name, raw_date, today: datetime.date) -> DeathRow:
    name = str(raw_name or "").strip()
    nik, problem = registry_rules.normalise_nik(raw_nik)
    if problem:
        return DeathRow(number, "", "", name, None, str(registry_rules.REJECT_MESSAGES[problem]))
    died, date_problem = registry_rules.parse_date(raw_date, today)
    if died is None:
        reason = (
            "Tanggal kematian di masa depan."
            if date_problem == "birth_date_future"
            else "Tanggal kematian kosong atau tidak terbaca."
        )
        return DeathRow(number, "", nik_hint(nik), name, None, reason)
    return DeathRow(number, crypto.nik_index(nik), nik_hint(nik), name, died, "")
