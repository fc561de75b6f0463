"""The import template an operator downloads: the worker list's columns, a sample row to
overwrite, data validation for sex, dates and decile, and a sheet explaining each column."""

from __future__ import annotations

import datetime
import io

import xlsxwriter

from jaring.core.spreadsheets import IDENTIFIER, LONG_TEXT, TEXT, Column, TableSheet
from jaring.registry.worker_sheet import TEMPLATE_COLUMNS

DATA_SHEET = "Pekerja"
LAST_ROW = 100_000  # validation reaches this far down the sheet
TEXT_FIELDS = {"nik", "phone", "rt_rw", "village"}  # typed as text: Excel must not make numbers
WIDTHS = {"nik": 20, "full_name": 28, "village": 22, "address": 30, "is_female_head": 26}
# The sample row names no real village, so a template uploaded unchanged adds nobody.
SAMPLE_VILLAGE = "(nama desa/kelurahan)"


def import_template_xlsx() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    _data_sheet(book)
    _explanation_sheet(book)
    book.close()
    return buffer.getvalue()


def _data_sheet(book) -> None:
    columns = [
        Column(header, IDENTIFIER if field in TEXT_FIELDS else TEXT, WIDTHS.get(field, 16))
        for field, header, *_rest in TEMPLATE_COLUMNS
    ]
    table = TableSheet(book, DATA_SHEET, columns, header_color="#D9EAD3")
    sheet = table.sheet
    fields = [field for field, *_rest in TEMPLATE_COLUMNS]
    sample = {field: example for field, _h, _r, _e, example in TEMPLATE_COLUMNS}
    sample["full_name"] = "CONTOH - ganti atau hapus baris ini"
    sample["village"] = SAMPLE_VILLAGE
    date_format = book.add_format({"num_format": "dd-mm-yyyy"})
    birth = fields.index("birth_date")
    sheet.set_column(birth, birth, 14, date_format)
    table.add([None if field == "birth_date" else sample[field] for field in fields])
    sheet.write_datetime(1, birth, datetime.datetime(1985, 1, 1), date_format)

    def validate(field: str, rule: dict) -> None:
        column = fields.index(field)
        sheet.data_validation(1, column, LAST_ROW, column, rule)

    validate(
        "nik",
        {
            "validate": "length",
            "criteria": "==",
            "value": 16,
            "error_message": "NIK harus 16 digit.",
        },
    )
    validate("sex", {"validate": "list", "source": ["L", "P"], "error_message": "Isi L atau P."})
    validate(
        "birth_date",
        {
            "validate": "date",
            "criteria": "between",
            "minimum": datetime.date(1900, 1, 1),
            "maximum": "=TODAY()",
            "error_message": "Tanggal lahir tidak sah atau di masa depan.",
        },
    )
    validate(
        "desil",
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 1,
            "maximum": 10,
            "error_message": "Desil adalah angka 1 sampai 10.",
        },
    )
    validate(
        "income",
        {
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "error_message": "Penghasilan dalam rupiah penuh, tanpa sen.",
        },
    )


def _explanation_sheet(book) -> None:
    table = TableSheet(
        book,
        "Petunjuk",
        [
            Column("Kolom", TEXT, 26),
            Column("Wajib", TEXT, 8),
            Column("Penjelasan", LONG_TEXT, 70),
            Column("Contoh", IDENTIFIER, 20),
        ],
    )
    for _field, header, required, explanation, example in TEMPLATE_COLUMNS:
        table.add([header, "Ya" if required else "", explanation, example])
    table.add([None] * 4)  # a blank line, then how the file is read
    for note in (
        "Isi lembar Pekerja mulai baris 2 (ganti atau hapus baris contoh). "
        "Judul kolom jangan diubah.",
        "Baris yang ditolak kembali dalam berkas 'ditolak' beserta alasannya; "
        "perbaiki lalu unggah lagi.",
        "Nama kolom juga dikenali dalam ejaan lain (mis. No KTP, Nama, JK, Tgl Lahir, Desa).",
    ):
        table.add(["", "", note, ""])
