"""Reading a BPJS branch's claim report / benefit payment report (pure: no database).

The branch's own header names come from its layout (``enrolment.BranchFormat``
``claim_report_columns``, the same [header, field] data as its submission and reply layouts)
and are tried before the usual spellings below (``core.spreadsheets.layout_schema``). Each row
becomes a ``ReportRow`` with what it says BPJS did — received, decided, paid — or the reason it
cannot be read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from jaring.core.spreadsheets import SheetSchema, layout_schema
from jaring.core.text import ascii_digits
from jaring.registry.rules import parse_date, parse_rupiah

COMPONENT_FIELDS = {
    "amount_lump_sum": "lump_sum",
    "amount_periodic": "periodic",
    "amount_funeral": "funeral",
    "amount_death_compensation": "death_compensation",
    "amount_disability": "disability",
    "amount_temporary_incapacity": "temporary_incapacity",
}
SYNONYMS = {
    "bpjs_number": ["no klaim", "nomor klaim", "no klaim bpjs", "nomor klaim bpjs", "claim number"],
    "kpj": ["kpj", "no kpj", "nomor kpj", "no peserta", "nomor peserta"],
    "event_date": ["tanggal kejadian", "tgl kejadian", "tanggal meninggal", "event date"],
    "received_on": ["tanggal terima", "tgl terima", "tanggal diterima", "tgl berkas lengkap"],
    "status": ["status", "status klaim", "keputusan"],
    "decided_on": ["tanggal keputusan", "tgl keputusan", "tanggal penetapan", "tgl penetapan"],
    "reason": ["keterangan", "alasan", "catatan"],
    "amount_lump_sum": ["santunan sekaligus"],
    "amount_periodic": ["santunan berkala"],
    "amount_funeral": ["biaya pemakaman"],
    "amount_death_compensation": ["santunan kematian jkk", "santunan kematian"],
    "amount_disability": ["santunan cacat"],
    "amount_temporary_incapacity": ["stmb", "santunan stmb"],
    "paid_on": ["tanggal bayar", "tgl bayar", "tanggal pembayaran", "tgl pembayaran"],
    "paid_amount": ["jumlah bayar", "jumlah dibayar", "nominal bayar", "nilai bayar"],
    "reference": ["no referensi", "referensi", "no transfer", "nomor referensi"],
    "bank": ["bank", "nama bank"],
    "account_number": ["no rekening", "nomor rekening", "rekening"],
    "account_holder": ["nama rekening", "atas nama", "pemilik rekening", "nama penerima"],
}
REQUIRED = {"status": "Status"}
# A branch's report when it has no layout of its own, in this order.
DEFAULT_REPORT_HEADERS = [
    "NO KLAIM",
    "NO KPJ",
    "TANGGAL KEJADIAN",
    "TANGGAL TERIMA",
    "STATUS",
    "TANGGAL KEPUTUSAN",
    "KETERANGAN",
    "SANTUNAN SEKALIGUS",
    "SANTUNAN BERKALA",
    "BIAYA PEMAKAMAN",
    "TANGGAL BAYAR",
    "JUMLAH BAYAR",
    "NO REFERENSI",
    "BANK",
    "NO REKENING",
    "NAMA REKENING",
]


class Status:
    """What a row's status says BPJS did last (each implies the steps before it)."""

    RECEIVED = "received"
    APPROVED = "approved"
    REFUSED = "refused"
    MORE_DOCUMENTS = "more_documents"
    PAID = "paid"


STATUS_WORDS = {
    Status.RECEIVED: ["diterima", "proses", "dalam proses", "verifikasi", "received"],
    Status.APPROVED: ["disetujui", "setuju", "layak", "approved"],
    Status.REFUSED: ["ditolak", "tolak", "tidak layak", "refused"],
    Status.MORE_DOCUMENTS: [
        "kurang dokumen",
        "dokumen kurang",
        "pending dokumen",
        "lengkapi dokumen",
        "more documents",
    ],
    Status.PAID: ["dibayar", "lunas", "sudah dibayar", "paid"],
}
_STATUS_OF = {word: status for status, words in STATUS_WORDS.items() for word in words}


def report_schema(columns: list[list[str]]) -> SheetSchema:
    """The sheet schema for a branch's claim report layout."""
    return layout_schema(SYNONYMS, REQUIRED, columns)


@dataclass(frozen=True)
class ReportRow:
    number: int
    bpjs_number: str = ""
    kpj: str = ""
    event_date: datetime.date | None = None
    status: str = ""
    received_on: datetime.date | None = None
    decided_on: datetime.date | None = None
    reason: str = ""
    amounts: dict[str, int] = field(default_factory=dict)
    paid_on: datetime.date | None = None
    paid_amount: int | None = None
    reference: str = ""
    bank: str = ""
    account_number: str = ""
    account_holder: str = ""
    problem: str = ""  # why the row cannot be read (then nothing else is trusted)

    @property
    def decides(self) -> bool:
        return self.status in {Status.APPROVED, Status.REFUSED, Status.MORE_DOCUMENTS, Status.PAID}

    @property
    def pays(self) -> bool:
        return self.status == Status.PAID


class _Unreadable(ValueError):
    pass


def _text(cells: dict, name: str) -> str:
    return str(cells.get(name) or "").strip()


def _day(cells: dict, name: str, today: datetime.date, label) -> datetime.date | None:
    day, problem = parse_date(cells.get(name), today)
    if problem == "birth_date_future":
        raise _Unreadable(_("%(column)s is in the future.") % {"column": label})
    if problem:
        raise _Unreadable(_("%(column)s is not a date.") % {"column": label})
    return day


def _amount(cells: dict, name: str, label) -> int | None:
    if not _text(cells, name):
        return None
    amount, problem = parse_rupiah(cells.get(name))
    if problem or amount is None:
        raise _Unreadable(_("%(column)s is not an amount in whole rupiah.") % {"column": label})
    return amount


def read_row(number: int, cells: dict, today: datetime.date) -> ReportRow:
    """One row by canonical field name (missing fields are blank) as a ``ReportRow``; a row that
    cannot be read carries its ``problem`` instead."""
    bpjs_number = _text(cells, "bpjs_number")[:60]
    kpj = ascii_digits(_text(cells, "kpj")).replace(" ", "")
    try:
        status = _STATUS_OF.get(_text(cells, "status").casefold())
        if status is None:
            raise _Unreadable(_("Unknown status %(status)r.") % {"status": _text(cells, "status")})
        if kpj and (not kpj.isdigit() or len(kpj) != 11):
            raise _Unreadable(_("The KPJ number must be 11 digits."))
        if not bpjs_number and not kpj:
            raise _Unreadable(_("Neither a BPJS claim number nor a KPJ number."))
        amounts = {
            code: amount
            for name, code in COMPONENT_FIELDS.items()
            if (amount := _amount(cells, name, code)) is not None
        }
        return ReportRow(
            number=number,
            bpjs_number=bpjs_number,
            kpj=kpj,
            event_date=_day(cells, "event_date", today, _("The event date")),
            status=status,
            received_on=_day(cells, "received_on", today, _("The receipt date")),
            decided_on=_day(cells, "decided_on", today, _("The decision date")),
            reason=_text(cells, "reason")[:2000],
            amounts=amounts,
            paid_on=_day(cells, "paid_on", today, _("The payment date")),
            paid_amount=_amount(cells, "paid_amount", _("The amount paid")),
            reference=_text(cells, "reference")[:80],
            bank=_text(cells, "bank")[:60],
            account_number=_text(cells, "account_number"),
            account_holder=_text(cells, "account_holder")[:150],
        )
    except _Unreadable as exc:
        return ReportRow(number=number, bpjs_number=bpjs_number, kpj=kpj, problem=str(exc))
