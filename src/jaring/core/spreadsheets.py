"""Operators' files, read and written safely: CSV (comma/semicolon, UTF-8/Windows-1252), XLSX, XLS.

Files are streamed in chunks of all-text Polars frames with canonical column names, so a
million-row file never becomes a million Python objects. Hostile files (wrong type, zip
bombs, oversized) are refused with a clear message before anything is parsed.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import tempfile
import weakref
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from python_calamine import CalamineWorkbook

from jaring.core.text import name_key

CHUNK_ROWS = 50_000
MAX_FILE_BYTES = 300 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200  # unpacked / packed; real sheets compress ~5-20x
# No list an operator keeps has more columns; a longer header is a wrong separator or a hostile
# file, refused before anything else is done with it.
MAX_COLUMNS = 500


@dataclass(frozen=True)
class SheetSchema:
    """Which columns a kind of sheet has: canonical field -> spellings, and required labels."""

    synonyms: dict[str, list[str]]
    required: dict[str, str]

    def lookup(self) -> dict[str, str]:
        return {name_key(s): field for field, spellings in self.synonyms.items() for s in spellings}


def layout_schema(
    synonyms: dict[str, list[str]], required: dict[str, str], columns: list[list[str]]
) -> SheetSchema:
    """The sheet schema for a branch's layout (its [header, field] pairs, data per branch):
    its own headers first, then the spellings known for each field."""
    spellings = {field: list(known) for field, known in synonyms.items()}
    for header, field in columns:
        if field in spellings:
            spellings[field].insert(0, header)
    return SheetSchema(spellings, required)


class FileRefused(ValueError):
    """The whole file cannot be read; nothing was imported. ``code`` is stable."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class SheetLayout:
    headers: list[str]  # as written in the file
    fields: dict[str, str]  # canonical field -> header as written


def map_headers(headers: list[str], schema: SheetSchema) -> SheetLayout:
    """Canonical fields from the header row as written, in time linear in its width."""
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(
            "too_many_columns",
            f"Baris judul berisi {len(headers)} kolom; paling banyak {MAX_COLUMNS}. "
            "Periksa pemisah kolom (koma atau titik koma) dan hapus kolom yang tidak dipakai.",
        )
    written = [str(h or "").strip() for h in headers]
    repeated = sorted(h for h, count in Counter(written).items() if count > 1 and h)
    if repeated or "" in written:
        raise FileRefused(
            "bad_header",
            "Baris judul kolom harus unik dan tidak kosong"
            + (f" (berulang: {', '.join(repeated)})" if repeated else "")
            + ".",
        )
    fields: dict[str, str] = {}
    lookup = schema.lookup()
    for header in headers:
        canonical = lookup.get(name_key(str(header or "")))
        if canonical and canonical not in fields:
            fields[canonical] = header
    missing = [label for field, label in schema.required.items() if field not in fields]
    if missing:
        raise FileRefused(
            "missing_columns",
            "Kolom wajib tidak ditemukan: "
            + ", ".join(missing)
            + ". Kolom yang ada: "
            + ", ".join(str(h) for h in headers),
        )
    return SheetLayout(headers=[str(h) for h in headers], fields=fields)


def detect_kind(path: Path) -> str:
    """'csv', 'xlsx' or 'xls' from the content (the extension must agree)."""
    size = path.stat().st_size
    if size == 0:
        raise FileRefused("empty_file", "Berkas kosong.")
    if size > MAX_FILE_BYTES:
        raise FileRefused("file_too_large", f"Berkas lebih dari {MAX_FILE_BYTES // 2**20} MB.")
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        kind = "xlsx"
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "xls"
    elif b"\x00" not in head:
        kind = "csv"
    else:
        raise FileRefused("wrong_type", "Jenis berkas tidak dikenal: unggah .xlsx, .xls atau .csv.")
    expected = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv", ".txt": "csv"}
    if suffix in expected and expected[suffix] != kind:
        raise FileRefused("wrong_type", f"Isi berkas bukan {suffix} (terbaca sebagai {kind}).")
    if kind == "xlsx":
        _refuse_zip_bomb(path, size)
    return kind


def _refuse_zip_bomb(path: Path, packed: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if "[Content_Types].xml" not in archive.namelist():
                raise FileRefused("wrong_type", "Berkas zip ini bukan lembar kerja Excel.")
    except zipfile.BadZipFile as exc:
        raise FileRefused("corrupt_file", "Berkas Excel rusak dan tidak dapat dibuka.") from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES or unpacked > packed * MAX_XLSX_RATIO:
        raise FileRefused(
            "file_too_large", "Berkas Excel terlalu besar setelah diekstrak (kemungkinan zip bomb)."
        )


# Columns the reader adds to every chunk: the spreadsheet row number, and (workbooks only) the
# headers whose cell in that row was a number of 16 or more digits — a NIK Excel stored as a
# number, whose 16th digit it may have zeroed although the text now shows every digit.
LONG_NUMBERS = "_long_numbers"
READER_COLUMNS = frozenset({"_row", LONG_NUMBERS})


@dataclass
class OpenedSheet:
    layout: SheetLayout
    chunks: Iterator[pl.DataFrame]  # columns: _row (spreadsheet row number) + raw headers
    total_rows: int | None


def open_sheet(path: Path, schema: SheetSchema, chunk_rows: int = CHUNK_ROWS) -> OpenedSheet:
    kind = detect_kind(path)
    if kind == "csv":
        return _open_csv(path, chunk_rows, schema)
    return _open_workbook(path, chunk_rows, schema)


def _csv_as_utf8(path: Path) -> Path:
    """UTF-8 files pass as they are; anything else is read as Windows-1252 (Excel's CSV)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return path
    except UnicodeDecodeError:
        pass
    converted = Path(tempfile.mkstemp(suffix=".csv", prefix="jaring-cp1252-")[1])
    with (
        path.open("r", encoding="cp1252", errors="replace", newline="") as source,
        converted.open("w", encoding="utf-8", newline="") as target,
    ):
        while block := source.read(1 << 20):
            target.write(block)
    return converted


def _open_csv(path: Path, chunk_rows: int, schema: SheetSchema) -> OpenedSheet:
    source = _csv_as_utf8(path)
    temporary = source if source != path else None
    try:
        with source.open("r", encoding="utf-8-sig", newline="") as handle:
            header_line = handle.readline()
            separator = max([",", ";", "\t"], key=header_line.count)
            headers = next(iter(_split_header(header_line, separator)))
            while headers and not headers[-1].strip():
                headers.pop()  # Excel's empty trailing column: every line ends in the separator
            layout = map_headers(headers, schema)
        total = max(_line_count(source) - 1, 0)  # the header is not a row
    except BaseException:
        if temporary is not None:  # a refused header must not leave the list behind
            temporary.unlink(missing_ok=True)
        raise
    lazy = pl.scan_csv(
        source,
        separator=separator,
        infer_schema=False,  # every cell stays text: a NIK must never become a number
        row_index_name="_row",
        row_index_offset=2,  # the header is spreadsheet row 1
    ).select("_row", *headers)
    # A converted copy holds the whole list in plaintext: removed once it has been read, or
    # when its reader is dropped unread (a caller that refuses the columns it found).
    batches = _batches(lazy, chunk_rows, temporary)
    if temporary is not None:
        weakref.finalize(batches, temporary.unlink, missing_ok=True)
    return OpenedSheet(layout, batches, total)


def _line_count(path: Path) -> int:
    """Lines in a text file, the last one counted without its line break (as iterating a text
    file counts them), from bytes: no string is made of a million lines to count them."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _split_header(line: str, separator: str):
    return csv.reader(io.StringIO(line.lstrip("\ufeff")), delimiter=separator)


def _batches(
    lazy: pl.LazyFrame, chunk_rows: int, temporary: Path | None = None
) -> Iterator[pl.DataFrame]:
    try:
        for batch in lazy.collect_batches(chunk_size=chunk_rows):
            yield batch.with_columns(pl.col("_row").cast(pl.Int64))
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _cell_text(value) -> str | None:
    """A workbook cell as the text it holds, every digit as read (never "1.40301E+15")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _open_workbook(path: Path, chunk_rows: int, schema: SheetSchema) -> OpenedSheet:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise FileRefused("corrupt_file", f"Berkas Excel tidak dapat dibaca: {exc}") from exc
    rows = sheet.iter_rows()
    headers = [_cell_text(cell) or "" for cell in next(rows, [])]
    while headers and not headers[-1]:
        headers.pop()
    layout = map_headers(headers, schema)
    total = max(sheet.height - 1, 0)
    return OpenedSheet(layout, _workbook_chunks(rows, headers, chunk_rows), total)


def _is_long_number(cell) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool) and abs(cell) >= 1e15


def _workbook_chunks(rows, headers: list[str], chunk_rows: int) -> Iterator[pl.DataFrame]:
    width = len(headers)
    columns: list[list] = [[] for _ in range(width + 2)]
    row_number = 1
    for row in rows:
        row_number += 1
        cells = [_cell_text(cell) for cell in row[:width]]
        if not any(cells):
            continue  # Excel keeps formatting on blank rows; they are not data
        cells += [None] * (width - len(cells))
        columns[0].append(row_number)
        for index, cell in enumerate(cells, start=1):
            columns[index].append(cell)
        long_numbers = [h for h, c in zip(headers, row, strict=False) if _is_long_number(c)]
        columns[-1].append(long_numbers)
        if len(columns[0]) == chunk_rows:
            yield _frame(columns, headers)
            columns = [[] for _ in range(width + 2)]
    if columns[0]:
        yield _frame(columns, headers)


def _frame(columns: list[list], headers: list[str]) -> pl.DataFrame:
    data = {"_row": pl.Series(columns[0], dtype=pl.Int64)}
    for header, values in zip(headers, columns[1:-1], strict=True):
        data[header] = pl.Series(values, dtype=pl.String)
    data[LONG_NUMBERS] = pl.Series(columns[-1], dtype=pl.List(pl.String))
    return pl.DataFrame(data)


def raw_cells(row: dict) -> dict:
    """A chunk's row as the operator wrote it: its cells by header, without the reader's columns."""
    return {k: v for k, v in row.items() if k not in READER_COLUMNS}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """A cell that a spreadsheet would run as a formula is written as text (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# --- Writing workbooks ---------------------------------------------------------------------
# Every workbook Jaring hands out is written through ``TableSheet``: a bold frozen header,
# set widths, identifier columns (NIK, phone, KPJ, codes) formatted as text so that retyping
# a cell in Excel keeps it text, readable long text (wrapped), and formulas neutralised.

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text"  # free text
IDENTIFIER = "identifier"  # digits that are not a quantity: NIK, phone, KPJ, region codes
NUMBER = "number"  # a whole quantity (counts, rupiah), shown with thousands separators
DECIMAL = "decimal"  # a display value such as a percentage
LONG_TEXT = "long_text"  # reasons and notes: wrapped
AS_READ = "as_read"  # an operator's cell as read: a plain whole number stays a number

_PLAIN_WHOLE_NUMBER = re.compile(r"^(?:0|[1-9]\d{0,14})$")


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: float = 16


def fitted_columns(
    titles: list[str], rows: list[list], identifiers: tuple[str, ...] = ()
) -> list[Column]:
    """Columns for a table of plain values: whole numbers as numbers, the titles named in
    ``identifiers`` as text-formatted identifiers, widths fitted to the first rows."""
    sample = rows[:200]
    columns = []
    for index, title in enumerate(titles):
        values = [row[index] for row in sample if row[index] not in (None, "")]
        numeric = bool(values) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        )
        kind = IDENTIFIER if title in identifiers else NUMBER if numeric else TEXT
        longest = max([len(title), *(len(f"{v:,}" if numeric else str(v)) for v in values)])
        columns.append(Column(title, kind, min(max(longest + 2, 8), 60)))
    return columns


class TableSheet:
    """One worksheet of a table: header row, column formats and widths, rows in order.

    Works in xlsxwriter's ``constant_memory`` mode (rows are written once, top to bottom)."""

    def __init__(self, book, name: str, columns: list[Column], header_color: str | None = None):
        self.columns = columns
        self.sheet = book.add_worksheet(name[:31])
        self.row_count = 0
        header = {"bold": True, "text_wrap": True, "valign": "top"}
        if header_color:
            header["bg_color"] = header_color
        self._header = book.add_format(header)
        self._formats = {
            TEXT: None,
            AS_READ: None,
            IDENTIFIER: book.add_format({"num_format": "@"}),
            NUMBER: book.add_format({"num_format": "#,##0"}),
            DECIMAL: book.add_format({"num_format": "0.0#"}),
            LONG_TEXT: book.add_format({"text_wrap": True, "valign": "top"}),
        }
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width, self._formats[column.kind])
            self.sheet.write_string(0, index, column.title, self._header)
        self.sheet.freeze_panes(1, 0)

    def add(self, values: list) -> None:
        self.row_count += 1
        for index, (column, value) in enumerate(zip(self.columns, values, strict=True)):
            self._write(self.row_count, index, column.kind, value)

    def _write(self, row: int, col: int, kind: str, value) -> None:
        cell_format = self._formats[kind]
        if value is None or value == "":
            if cell_format is not None:
                self.sheet.write_blank(row, col, None, cell_format)
            return
        if kind in (NUMBER, DECIMAL) and isinstance(value, (int, float)):
            self.sheet.write_number(row, col, value, cell_format)
        elif kind == AS_READ and isinstance(value, str) and _PLAIN_WHOLE_NUMBER.match(value):
            self.sheet.write_number(row, col, int(value))
        elif kind in (AS_READ, IDENTIFIER):  # exactly as given; a string cell is never a formula
            self.sheet.write_string(row, col, str(value), cell_format)
        else:
            self.sheet.write_string(row, col, str(neutralise_formula(str(value))), cell_format)
