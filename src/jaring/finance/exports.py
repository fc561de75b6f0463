"""Spreadsheet and PDF renderings of money: the budget line and an invoice (tagihan)."""

from __future__ import annotations

import io

import xlsxwriter
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from jaring.core.masking import mask_kpj, mask_name
from jaring.core.spreadsheets import DECIMAL, IDENTIFIER, NUMBER, TEXT, Column, TableSheet
from jaring.finance.models import Invoice
from jaring.finance.selectors import BudgetLine, paid_amount


def _workbook():
    buffer = io.BytesIO()
    return buffer, xlsxwriter.Workbook(buffer, {"in_memory": True})


BUDGET_COLUMNS = [
    Column("Sumber dana", TEXT, 32),
    Column("Pagu", NUMBER, 18),
    Column("Komitmen s.d. akhir tahun", NUMBER, 18),
    Column("Ditagih", NUMBER, 18),
    Column("Dikreditkan", NUMBER, 18),
    Column("Dibayar ke BPJS", NUMBER, 18),
    Column("Sisa pagu", NUMBER, 18),
    Column("Serapan (%)", DECIMAL, 12),
    Column("Peserta ditagih", NUMBER, 16),
]
INVOICE_COLUMNS = [
    Column("KPJ", IDENTIFIER, 16),
    Column("Nama (disamarkan)", TEXT, 24),
    Column("Desa/Kelurahan", TEXT, 22),
    Column("Program", TEXT, 10),
    Column("Iuran", NUMBER, 14),
    Column("Dibayar", TEXT, 30),
]


def budget_xlsx(lines: list[BudgetLine], fiscal_year: int) -> bytes:
    buffer, book = _workbook()
    table = TableSheet(book, f"Anggaran {fiscal_year}", BUDGET_COLUMNS)
    for line in lines:
        absorption = line.absorption_percent
        table.add(
            [
                line.source.name,
                line.allocation,
                line.committed,
                line.billed,
                line.credited,
                line.paid,
                line.remaining,
                None if absorption is None else float(absorption),  # display value only
                line.covered_workers,
            ]
        )
    book.close()
    return buffer.getvalue()


def invoice_xlsx(invoice: Invoice, full_kpj: bool) -> bytes:
    """One row per participant-month; the KPJ in full only for personal-data roles."""
    buffer, book = _workbook()
    table = TableSheet(book, "Tagihan", INVOICE_COLUMNS)
    lines = invoice.lines.select_related("enrolment__worker__village", "payment").order_by(
        "enrolment__worker__village_id", "enrolment_id", "program"
    )
    for line in lines.iterator(chunk_size=5000):
        worker = line.enrolment.worker
        kpj = line.enrolment.kpj_number
        # Which payment paid this participant-month (finance.allocation), or the credit note
        # that took it back (a month not owed).
        if line.credit_note_id:
            paid = f"DIKREDITKAN NK/{line.credit_note_id}"
        elif line.payment_id:
            paid = f"{line.payment.paid_on:%d-%m-%Y} {line.payment.reference}"
        else:
            paid = "BELUM DIBAYAR"
        table.add(
            [
                kpj if full_kpj else mask_kpj(kpj),
                mask_name(worker.full_name),
                worker.village.name,
                line.program,
                line.amount,
                paid,
            ]
        )
    table.add([None, None, None, "Jumlah", invoice.total, None])
    book.close()
    return buffer.getvalue()


def invoice_summary(invoice: Invoice) -> dict:
    by_program = dict(
        invoice.lines.values("program").annotate(t=Sum("amount")).values_list("program", "t")
    )
    by_village = list(
        invoice.lines.values("enrolment__worker__district_code")
        .annotate(participants=Count("enrolment_id", distinct=True), total=Sum("amount"))
        .order_by("enrolment__worker__district_code")
    )
    participants = invoice.lines.values("enrolment_id").distinct().count()
    participants_paid = (
        invoice.lines.filter(payment__isnull=False).values("enrolment_id").distinct().count()
    )
    paid = paid_amount(invoice)
    return {
        "by_program": by_program,
        "by_district": by_village,
        "participants": participants,
        "participants_paid": participants_paid,
        "participants_unpaid": participants - participants_paid,
        "paid": paid,
        "outstanding": invoice.total - paid,
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    from jaring.reference.models import Signatory
    from jaring.reference.selectors import document_heading
    from jaring.regions.models import Region

    summary = invoice_summary(invoice)
    names = Region.objects.in_bulk(
        [r["enrolment__worker__district_code"] for r in summary["by_district"]]
    )
    for row in summary["by_district"]:
        row["name"] = names[row["enrolment__worker__district_code"]].name
    html = render_to_string(
        "finance/invoice_pdf.html",
        {
            "invoice": invoice,
            "summary": summary,
            "printed_at": timezone.localtime(),
            **document_heading(invoice.source.region_id, Signatory.Purpose.INVOICE),
        },
    )
    return HTML(string=html).write_pdf()
