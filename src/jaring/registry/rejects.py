"""The rejects workbook: every rejected or duplicate row as it came in, plus its reasons.

The operator fixes these rows and uploads the same file again. The workbook is written from the
batch's refused rows (``ImportRowIssue``, each with the row as it came in, sealed) when first
asked for. Each cell is the text as read
(every digit of a NIK Excel held as a number); the operator's columns are formatted as text so
that retyping a NIK or phone in Excel keeps it text, except income and decile, which a plain
number gives back as a number. Cells are written as strings, never formulas, so a value such as
``=HYPERLINK(...)`` from a hostile file stays inert.
The rows carry NIKs: the workbook is built in a private temporary file and kept only sealed
(``core.sealed``); the download decrypts it.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from pathlib import Path

import xlsxwriter

from jaring.core import sealed
from jaring.core.spreadsheets import (
    AS_READ,
    IDENTIFIER,
    LONG_TEXT,
    NUMBER,
    TEXT,
    Column,
    TableSheet,
    map_headers,
)
from jaring.registry.worker_sheet import WORKER_LIST

REASON_HEADERS = ["Baris asal", "Alasan ditolak", "Kode alasan"]
AMOUNT_FIELDS = {"income", "desil"}
WIDTHS = {"nik": 20, "full_name": 28, "village": 22, "district": 18, "address": 30, "phone": 16}


def _columns(headers: list[str], fields: dict[str, str]) -> list[Column]:
    field_of = {header: field for field, header in fields.items()}
    columns = []
    for header in headers:
        field = field_of.get(header)
        kind = AS_READ if field in AMOUNT_FIELDS else IDENTIFIER
        width = WIDTHS.get(field, min(max(len(header) + 2, 12), 30))
        columns.append(Column(header, kind, width))
    return [
        *columns,
        Column(REASON_HEADERS[0], NUMBER, 10),
        Column(REASON_HEADERS[1], LONG_TEXT, 60),
        Column(REASON_HEADERS[2], TEXT, 24),
    ]


class RejectsWriter:
    def __init__(self, path: Path, headers: list[str], fields: dict[str, str] | None = None):
        self.path = path
        self.headers = headers
        self._sealing = contextlib.ExitStack()
        plain = self._sealing.enter_context(sealed.sealed_output(path))
        self._book = xlsxwriter.Workbook(str(plain), {"constant_memory": True})
        self._table = TableSheet(
            self._book, "Ditolak", _columns(headers, fields or {}), header_color="#F4CCCC"
        )

    @property
    def count(self) -> int:
        return self._table.row_count

    def add(self, row_number: int, raw: dict, reason: str, codes: list[str]) -> None:
        values = [raw.get(header) for header in self.headers]
        self._table.add([*values, row_number, reason, ", ".join(codes)])

    def close(self) -> None:
        self._book.close()
        self._sealing.close()  # seals the workbook, removes the plaintext

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_rejects(path: Path, refused: Iterable) -> None:
    """The workbook of ``refused`` rows (ImportRowIssue, in row order) into ``path`` (sealed).
    Its columns are the file's, in the file's order, as the first row recorded them."""
    rows = iter(refused)
    first = next(rows)
    headers = list(first.raw)
    with RejectsWriter(path, headers, map_headers(headers, WORKER_LIST).fields) as workbook:
        for issue in itertools.chain([first], rows):
            workbook.add(issue.row_number, issue.raw, issue.message, issue.codes)
