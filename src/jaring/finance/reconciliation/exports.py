"""The reconciliation workbook: every difference with its likely cause and the decision on it,
and every row of the statement that could not be read, with its reason (in Indonesian)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xlsxwriter

from jaring.core.i18n import render
from jaring.core.masking import mask_name
from jaring.core.spreadsheets import (
    AS_READ,
    IDENTIFIER,
    LONG_TEXT,
    NUMBER,
    TEXT,
    Column,
    TableSheet,
)
from jaring.finance.reconciliation import rules
from jaring.finance.reconciliation.models import Statement

DIFFERENCE_COLUMNS = [
    Column("Jenis selisih", TEXT, 34),
    Column("KPJ", IDENTIFIER, 14),
    Column("Nama (disamarkan)", TEXT, 20),
    Column("Iuran menurut BPJS", NUMBER, 14),
    Column("Iuran menurut Jaring", NUMBER, 14),
    Column("Selisih", NUMBER, 12),
    Column("Kemungkinan penyebab", LONG_TEXT, 60),
    Column("Tindakan yang disarankan", TEXT, 22),
    Column("Tindakan", TEXT, 22),
    Column("Alasan", LONG_TEXT, 40),
    Column("Oleh", TEXT, 16),
    Column("Waktu", TEXT, 16),
    Column("Nota kredit", TEXT, 12),
]
REJECTED_COLUMNS = [
    Column("Baris", NUMBER, 8),
    Column("KPJ (seperti tertulis)", AS_READ, 22),
    Column("Alasan", LONG_TEXT, 50),
]


def _id(choices, value: str) -> str:
    return render(choices(value).label, "id") if value else ""


def write_statement_xlsx(statement: Statement, path: Path, kpj: Callable[[str], str]) -> int:
    """Write the workbook to ``path`` (streamed: constant memory); returns the differences.
    ``kpj`` shows a KPJ as the user may see it (``finance.selectors.kpj_shown``)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    table = TableSheet(book, "Selisih", DIFFERENCE_COLUMNS)
    differences = statement.differences.select_related("enrolment__worker", "acted_by").order_by(
        "kind", "kpj", "pk"
    )
    for difference in differences.iterator(chunk_size=5000):
        worker = difference.enrolment.worker if difference.enrolment_id else None
        table.add(
            [
                _id(rules.Kind, difference.kind),
                kpj(difference.kpj),
                mask_name(worker.full_name) if worker else "",
                difference.bpjs_amount,
                difference.ours_amount,
                (difference.bpjs_amount or 0) - (difference.ours_amount or 0),
                _id(rules.Cause, difference.cause),
                _id(rules.Action, rules.SUGGESTED[difference.cause]),
                _id(rules.Action, difference.action),
                difference.note,
                difference.acted_by.get_username() if difference.acted_by else "",
                f"{difference.acted_at:%d-%m-%Y %H:%M}" if difference.acted_at else "",
                f"NK/{difference.credit_note_id}" if difference.credit_note_id else "",
            ]
        )
    rejected = TableSheet(book, "Baris ditolak", REJECTED_COLUMNS)
    for line in statement.lines.exclude(problem="").order_by("row_number").iterator(5000):
        rejected.add([line.row_number, kpj(line.kpj), _id(rules.Problem, line.problem)])
    book.close()
    return table.row_count
