"""Spreadsheet and PDF renderings of money: the budget line and an invoice (tagihan)."""

from __future__ import annotations

import io

import xlsxwriter
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from jaring.core.masking import mask_name
from jaring.core.spreadsheets import neutralise_formula
from jaring.finance.models import Invoice
from jaring.finance.selectors import BudgetLine, paid_amount


def _workbook():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    money = book.add_format({"num_format": "#,##0"})
    bold = book.add_format({"bold": True})
    return buffer, book, money, bold


def budget_xlsx(lines: list[BudgetLine], fiscal_year: int) -> bytes:
    buffer, book, money, bold = _workbook()
    sheet = book.add_worksheet(f"Anggaran {fiscal_year}")
    headers = [
        "Sumber dana",
        "Pagu",
        "Komitmen s.d. akhir tahun",
        "Ditagih",
        "Dikreditkan",
        "Dibayar ke BPJS",
        "Sisa pagu",
        "Serapan (%)",
        "Peserta ditagih",
    ]
    for col, title in enumerate(headers):
        sheet.write_string(0, col, title, bold)
    for row, line in enumerate(lines, start=1):
        sheet.write_string(row, 0, neutralise_formula(line.source.name))
        for col, value in enumerate(
            [
                line.allocation,
                line.committed,
                line.billed,
                line.credited,
                line.paid,
                line.remaining,
            ],
            start=1,
        ):
            sheet.write_number(row, col, value, money)
        if line.absorption_percent is not None:
            sheet.write_number(row, 7, float(line.absorption_percent))  # display value only
        sheet.write_number(row, 8, line.covered_workers)
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 8, 18)
    book.close()
    return buffer.getvalue()


def invoice_xlsx(invoice: Invoice) -> bytes:
    buffer, book, money, bold = _workbook()
    sheet = book.add_worksheet("Tagihan")
    headers = ["KPJ", "Nama (disamarkan)", "Desa/Kelurahan", "Program", "Iuran", "Dibayar"]
    for col, title in enumerate(headers):
        sheet.write_string(0, col, title, bold)
    lines = invoice.lines.select_related("enrolment__worker__village", "payment").order_by(
        "enrolment__worker__village_id", "enrolment_id", "program"
    )
    row = 0
    for row, line in enumerate(lines.iterator(chunk_size=5000), start=1):
        worker = line.enrolment.worker
        sheet.write_string(row, 0, line.enrolment.kpj_number)
        sheet.write_string(row, 1, mask_name(worker.full_name))
        sheet.write_string(row, 2, worker.village.name)
        sheet.write_string(row, 3, line.program)
        sheet.write_number(row, 4, line.amount, money)
        # Which payment paid this participant-month (finance.allocation), or the credit note
        # that took it back (a month not owed).
        if line.credit_note_id:
            sheet.write_string(row, 5, f"DIKREDITKAN NK/{line.credit_note_id}")
        elif line.payment_id:
            paid = f"{line.payment.paid_on:%d-%m-%Y} {line.payment.reference}"
            sheet.write_string(row, 5, paid)
        else:
            sheet.write_string(row, 5, "BELUM DIBAYAR")
    sheet.write_string(row + 1, 3, "Jumlah", bold)
    sheet.write_number(row + 1, 4, invoice.total, money)
    sheet.set_column(0, 2, 22)
    sheet.set_column(5, 5, 30)
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
        },
    )
    return HTML(string=html).write_pdf()
