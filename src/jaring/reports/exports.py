"""Every dashboard panel as a workbook, the league table, and the monthly PDF report."""

from __future__ import annotations

import io

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from jaring.core.spreadsheets import TableSheet, fitted_columns
from jaring.reference.models import Signatory
from jaring.reference.selectors import document_heading
from jaring.reports.graphics import legend
from jaring.reports.indicators import INDICATORS

PANELS = {"districts", "sex", "occupation", "months", "claims"}
IDENTIFIERS = ("Kode", "Nomor klaim")


def _sheet(title: str, headers: list[str], rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    table = TableSheet(book, title, fitted_columns(headers, rows, identifiers=IDENTIFIERS))
    for row in rows:
        table.add(row)
    book.close()
    return buffer.getvalue()


def _rate(value) -> str | None:
    return None if value is None else f"{value}".replace(".", ",")


def panel_xlsx(board, panel: str) -> bytes:
    if panel == "districts":
        return _sheet(
            "Per wilayah",
            [
                "Kode",
                "Wilayah",
                "Terdaftar",
                "Terlindungi",
                "Nonaktif (menunggak)",
                "% dari terdaftar",
                "Perkiraan pekerja informal",
                "% dari pekerja informal",
                "Klaim dibayar",
                "Manfaat dibayar (Rp)",
            ],
            [
                [
                    r.code,
                    r.name,
                    r.fact.registered,
                    r.fact.covered,
                    r.fact.lapsed,
                    _rate(r.coverage_of_registered),
                    r.estimate.informal_workers if r.estimate else None,
                    _rate(r.coverage_of_workforce),
                    r.fact.claims_paid,
                    r.fact.benefits_paid,
                ]
                for r in board.children
            ],
        )
    if panel == "sex":
        names = {"L": "Laki-laki", "P": "Perempuan"}
        return _sheet(
            "Jenis kelamin",
            ["Jenis kelamin", "Terdaftar", "Terlindungi"],
            [[names.get(f.key, f.key), f.registered, f.covered] for f in board.by_sex],
        )
    if panel == "occupation":
        return _sheet(
            "Pekerjaan",
            ["Pekerjaan", "Terdaftar", "Terlindungi"],
            [[name, f.registered, f.covered] for name, f in board.by_occupation],
        )
    return _sheet(
        "Per bulan",
        ["Bulan", "Pekerja terlindungi"],
        [[m.month.strftime("%Y-%m"), m.covered] for m in board.months],
    )


def claims_xlsx(claims) -> bytes:
    return _sheet(
        "Manfaat dibayar",
        [
            "Nomor klaim",
            "Nama",
            "Desa/Kelurahan",
            "Kecamatan",
            "Program",
            "Tanggal kejadian",
            "Tanggal bayar",
            "Manfaat (Rp)",
        ],
        [
            [
                c.number,
                name,
                c.village.name,
                c.village.parent.name,
                c.program,
                c.event_date.isoformat(),
                c.paid_on.isoformat() if c.paid_on else None,
                c.bpjs_total,  # what BPJS paid
            ]
            for c, name in claims
        ],
    )


def league_xlsx(rows) -> bytes:
    return _sheet(
        "Perbandingan",
        ["Peringkat", "Kode", "Kabupaten/Kota"] + _indicator_names(LEAGUE_INDICATORS),
        [
            [
                i,
                r.code,
                r.name,
                r.fact.covered,
                _rate(r.coverage_of_workforce),
                _rate(r.coverage_of_registered),
                r.paid_per_covered,
                _rate(r.average_pay_days),
                _rate(r.absorption),
            ]
            for i, r in enumerate(rows, start=1)
        ],
    )


# The league's columns after rank, code and name: the indicators' own names (reports.indicators).
LEAGUE_INDICATORS = (
    "covered",
    "coverage_of_workforce",
    "coverage_of_registered",
    "paid_per_covered",
    "average_pay_days",
    "absorption",
)


def _indicator_names(keys) -> list[str]:
    with override("id"):  # the workbooks are written in Indonesian, like the PDF
        return [str(INDICATORS[key].name) for key in keys]


def monthly_pdf(board, map_svg: str, trend_svg: str) -> bytes:
    from weasyprint import HTML

    with override("id"):  # a report to the Bupati/Wali Kota is written in Indonesian
        html = render_to_string(
            "reports/monthly_pdf.html",
            {
                "board": board,
                "map": map_svg,
                "trend": trend_svg,
                "legend": legend(),
                "indicators": INDICATORS,
                "printed_at": timezone.localtime(),
                **document_heading(board.region.code, Signatory.Purpose.REPORT),
            },
        )
    return HTML(string=html).write_pdf()
