"""The rejects workbook: every rejected or duplicate row as it came in, plus its reasons.

The operator fixes these rows and uploads the same file again. Cells are written as text
(never as formulas), so a value such as ``=HYPERLINK(...)`` from a hostile file stays inert.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

REASON_HEADERS = ["Baris asal", "Alasan ditolak", "Kode alasan"]


class RejectsWriter:
    def __init__(self, path: Path, headers: list[str]):
        self.path = path
        self.headers = headers
        self.count = 0
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self._sheet = self._book.add_worksheet("Ditolak")
        bold = self._book.add_format({"bold": True, "bg_color": "#F4CCCC"})
        for column, title in enumerate([*headers, *REASON_HEADERS]):
            self._sheet.write_string(0, column, title, bold)
        self._sheet.freeze_panes(1, 0)

    def add(self, row_number: int, raw: dict, reason: str, codes: list[str]) -> None:
        self.count += 1
        values = [raw.get(header) for header in self.headers]
        for column, value in enumerate(values):
            if value is not None:
                self._sheet.write_string(self.count, column, str(value))
        base = len(self.headers)
        self._sheet.write_number(self.count, base, row_number)
        self._sheet.write_string(self.count, base + 1, reason)
        self._sheet.write_string(self.count, base + 2, ", ".join(codes))

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
