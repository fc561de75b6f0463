"""Spreadsheet and PDF renderings of money: the budget line and an invoice (tagihan)."""

from __future__ import annotations

import io

import xlsxwriter
from django.db.models import Count, OuterRef, Subquery, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jaring.core.i18n import render
from jaring.core.masking import mask_kpj, mask_name
from jaring.core.spreadsheets import DECIMAL, IDENTIFIER, NUMBER, TEXT, Column, TableSheet
from jaring.finance.allocation import payer, with_payer
from jaring.finance.models import Invoice, InvoiceLine, Lapse, payment_state
from jaring.finance.protection import lapse_start
from jaring.finance.selectors import BUDGET_MEASURES, BudgetLine, paid_amount
from jaring.programs.rulebook import default_rulebook


def _workbook():
    buffer = io.BytesIO()
    return buffer, xlsxwriter.Workbook(buffer, {"in_memory": True})


def budget_columns() -> list[Column]:
    """The budget page's figures under the same names (finance.selectors.BUDGET_MEASURES)."""
    return [
        Column("Sumber dana", TEXT, 32),
        *(Column(render(measure.label, "id"), NUMBER, 18) for measure in BUDGET_MEASURES),
        Column("Serapan (%)", DECIMAL, 12),
        Column("Peserta ditagih", NUMBER, 16),
        Column("Peserta nonaktif (menunggak)", NUMBER, 16),
    ]


INVOICE_COLUMNS = [
    Column("KPJ", IDENTIFIER, 16),
    Column("Nama (disamarkan)", TEXT, 24),
    Column("Desa/Kelurahan", TEXT, 22),
    Column("Bulan", TEXT, 9),
    # One column per programme, in the line's order (InvoiceLine.PROGRAM_AMOUNTS), then the sum.
    *(Column(f"Iuran {program}", NUMBER, 12) for program in InvoiceLine.PROGRAM_AMOUNTS),
    Column("Jumlah iuran", NUMBER, 14),
    Column("Dibayar", TEXT, 30),
    Column("Kepesertaan", TEXT, 30),
]


def budget_xlsx(lines: list[BudgetLine], fiscal_year: int) -> bytes:
    """The budget page's table: the same figures (``BUDGET_MEASURES``) under the same names,
    with each one's explanation as a note on its header."""
    buffer, book = _workbook()
    table = TableSheet(book, f"Anggaran {fiscal_year}", budget_columns())
    for col, measure in enumerate(BUDGET_MEASURES, start=1):
        table.sheet.write_comment(0, col, render(measure.explanation, "id"))
    for line in lines:
        absorption = line.absorption_percent
        table.add(
            [
                line.source.name,
                *(value for _measure, value in line.figures()),
                None if absorption is None else float(absorption),  # display value only
                line.covered_workers,
                line.lapsed,
            ]
        )
    book.close()
    return buffer.getvalue()


def invoice_xlsx(invoice: Invoice, full_kpj: bool) -> bytes:
    """One row per participant-month; the KPJ in full only for personal-data roles."""
    buffer, book = _workbook()
    table = TableSheet(book, "Tagihan", INVOICE_COLUMNS)
    lapse = Lapse.objects.current().filter(enrolment=OuterRef("enrolment_id"))
    lines = (
        with_payer(invoice.lines.select_related("enrolment__worker__village"))
        .annotate(
            lapsed_on=Subquery(lapse.values("lapsed_on")[:1]),
            lapse_paid_through=Subquery(lapse.values("paid_through")[:1]),
        )
        .order_by("enrolment__worker__village_id", "enrolment_id", "month")
    )
    rules = default_rulebook()
    payments = {payment.pk: payment for payment in invoice.payments.all()}
    for line in lines.iterator(chunk_size=5000):
        worker = line.enrolment.worker
        kpj = line.enrolment.kpj_number
        # Which payment paid this participant-month (finance.allocation), or the credit note
        # that took it back (a month not owed).
        if line.credit_note_id:
            paid = f"DIKREDITKAN NK/{line.credit_note_id}"
        elif line.paid_by:
            payment = payments[line.paid_by]
            paid = f"{payment.paid_on:%d-%m-%Y} {payment.reference}"
        else:
            paid = "BELUM DIBAYAR"
        membership = "AKTIF"
        if line.lapsed_on:  # lapsed now (finance.Lapse): visible to the branch as well
            since = lapse_start(line.enrolment, line.lapse_paid_through, rules, line.lapsed_on)
            membership = f"NONAKTIF (menunggak) sejak {since:%m/%Y}"
        table.add(
            [
                kpj if full_kpj else mask_kpj(kpj),
                mask_name(worker.full_name),
                worker.village.name,
                f"{line.month:%m/%Y}",
                *(getattr(line, column) for column in InvoiceLine.PROGRAM_AMOUNTS.values()),
                line.amount,
                paid,
                membership,
            ]
        )
    totals = invoice.lines.program_totals()
    table.add([None, None, None, "Jumlah", *totals.values(), invoice.total, None, None])
    book.close()
    return buffer.getvalue()


def invoice_summary(invoice: Invoice) -> dict:
    # The programmes billed on the invoice (JHT only when someone takes it).
    by_program = {p: total for p, total in invoice.lines.program_totals().items() if total}
    by_village = list(
        invoice.lines.values("enrolment__worker__district_code")
        .annotate(participants=Count("id"), total=Sum("amount"))  # a line per participant
        .order_by("enrolment__worker__district_code")
    )
    participants = invoice.lines.count()
    participants_paid = invoice.lines.alias(paid_by=payer()).filter(paid_by__isnull=False).count()
    paid = paid_amount(invoice)
    return {
        "by_program": by_program,
        "by_district": by_village,
        "participants": participants,
        "participants_paid": participants_paid,
        "participants_unpaid": participants - participants_paid,
        "paid": paid,
        "outstanding": invoice.total - paid,
        "state": payment_state(invoice.total, paid),
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
    with translation.override("id"):  # a document the BPKAD files: Indonesian, whoever prints
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
