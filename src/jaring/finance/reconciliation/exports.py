"""The reconciliation workbook: every difference with its likely cause and the decision on it,
and every row of the statement that could not be read, with its reason (in Indonesian)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from jaring.core.i18n import render
from jaring.core.masking import mask_name
from jaring.core.spreadsheets import neutralise_formula
from jaring.finance.reconciliation import rules
from jaring.finance.reconciliation.models import Statement

HEADERS = [
    "Jenis selisih",
    "KPJ",
    "Nama (disamarkan)",
    "Iuran menurut BPJS",
    "Iuran menurut Jaring",
    "Selisih",
    "Kemungkinan penyebab",
    "Tindakan yang disarankan",
    "Tindakan",
    "Alasan",
    "Oleh",
    "Waktu",
    "Nota kredit",
]


def _id(choices, value: str) -> str:
    return render(choices(value).label, "id") if value else ""


def write_statement_xlsx(statement: Statement, path: Path) -> int:
    """Write the workbook to ``path`` (streamed: constant memory); returns the differences."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    money = book.add_format({"num_format": "#,##0"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Selisih")
    for col, title in enumerate(HEADERS):
        sheet.write_string(0, col, title, bold)
    differences = statement.differences.select_related("enrolment__worker", "acted_by").order_by(
        "kind", "kpj", "pk"
    )
    row = 0
    for row, difference in enumerate(differences.iterator(chunk_size=5000), start=1):
        worker = difference.enrolment.worker if difference.enrolment_id else None
        sheet.write_string(row, 0, _id(rules.Kind, difference.kind))
        sheet.write_string(row, 1, neutralise_formula(difference.kpj))
        sheet.write_string(row, 2, mask_name(worker.full_name) if worker else "")
        for col, value in ((3, difference.bpjs_amount), (4, difference.ours_amount)):
            if value is not None:
                sheet.write_number(row, col, value, money)
        sheet.write_number(
            row, 5, (difference.bpjs_amount or 0) - (difference.ours_amount or 0), money
        )
        sheet.write_string(row, 6, _id(rules.Cause, difference.cause))
        sheet.write_string(row, 7, _id(rules.Action, rules.SUGGESTED[difference.cause]))
        sheet.write_string(row, 8, _id(rules.Action, difference.action))
        sheet.write_string(row, 9, neutralise_formula(difference.note))
        sheet.write_string(
            row, 10, difference.acted_by.get_username() if difference.acted_by else ""
        )
        if difference.acted_at:
            sheet.write_string(row, 11, f"{difference.acted_at:%d-%m-%Y %H:%M}")
        if difference.credit_note_id:
            sheet.write_string(row, 12, f"NK/{difference.credit_note_id}")
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 5, 16)
    sheet.set_column(6, 7, 60)
    rejected = book.add_worksheet("Baris ditolak")
    for col, title in enumerate(["Baris", "KPJ (seperti tertulis)", "Alasan"]):
        rejected.write_string(0, col, title, bold)
    lines = statement.lines.exclude(problem="").order_by("row_number")
    for index, line in enumerate(lines.iterator(chunk_size=5000), start=1):
        rejected.write_number(index, 0, line.row_number)
        rejected.write_string(index, 1, neutralise_formula(line.kpj))
        rejected.write_string(index, 2, _id(rules.Problem, line.problem))
    rejected.set_column(1, 2, 50)
    book.close()
    return row
