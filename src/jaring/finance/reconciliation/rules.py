"""Pure rules of the reconciliation: the statement's columns, how its cells are read (Polars
expressions, so a million-row statement is parsed column-wise), the kinds of difference, their
likely causes and the actions a finance officer may record. Nothing here touches the database.
"""

from __future__ import annotations

import polars as pl
from django.db import models
from django.utils.translation import gettext_lazy as _

from jaring.core.spreadsheets import SheetSchema, layout_schema

# Fields Jaring reads from a statement, with the spellings branches are known to use.
SYNONYMS = {
    "kpj": ["kpj", "no kpj", "nomor kpj", "no peserta", "nomor peserta", "kpj number"],
    "nik": ["nik", "no ktp", "nomor induk kependudukan"],
    "period": ["periode", "bulan", "periode iuran", "bulan iuran", "period", "month"],
    "amount": ["iuran", "jumlah iuran", "total iuran", "tagihan", "jumlah", "nominal", "amount"],
    "status": ["status", "status kepesertaan", "status peserta", "keterangan status"],
}
# A branch's layout when it has none of its own (StatementFormat): [header, field] pairs.
DEFAULT_STATEMENT_COLUMNS = [
    ["NO KPJ", "kpj"],
    ["NIK", "nik"],
    ["PERIODE", "period"],
    ["IURAN", "amount"],
    ["STATUS", "status"],
]
REQUIRED = {"amount": "Iuran"}


def statement_schema(columns: list[list[str]]) -> SheetSchema:
    """The sheet schema for a branch's layout: its own headers first, then the known spellings."""
    return layout_schema(SYNONYMS, REQUIRED, columns)


ACTIVE_WORDS = ["aktif", "active", "ditagih", "tertagih", "ya", "y", "1"]
ENDED_WORDS = [
    "nonaktif",
    "non aktif",
    "non-aktif",
    "tidak aktif",
    "berhenti",
    "keluar",
    "meninggal",
    "meninggal dunia",
    "ended",
    "inactive",
    "tutup",
    "0",
]


def kpj_expr(column: pl.Expr) -> pl.Expr:
    """The KPJ's digits (blank when the cell is empty)."""
    return column.fill_null("").str.replace_all(r"\D", "")


def rupiah_expr(column: pl.Expr) -> pl.Expr:
    """Whole rupiah from text as branches write it — ``16800``, ``16.800``, ``16,800``,
    ``Rp 16.800,00`` — or null when it is not a whole, non-negative amount."""
    text = (
        column.str.strip_chars()
        .str.replace(r"(?i)^rp\.?", "")
        .str.replace_all(r"\s", "")
        .str.replace(r"[.,]0{1,2}$", "")  # decimals that are zero (",00", ".0")
    )
    grouped = text.str.contains(r"^\d{1,3}([.,]\d{3})+$")
    digits = pl.when(grouped).then(text.str.replace_all(r"[.,]", "")).otherwise(text)
    return (
        pl.when(digits.str.contains(r"^\d{1,15}$"))
        .then(digits)
        .otherwise(None)
        .cast(pl.Int64, strict=False)
    )


def active_expr(column: pl.Expr) -> pl.Expr:
    """True (active), False (ended) or null (a word this reader does not know)."""
    word = column.str.strip_chars().str.to_lowercase()
    return (
        pl.when(word.is_in(ACTIVE_WORDS))
        .then(pl.lit(True))
        .when(word.is_in(ENDED_WORDS))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def period_expr(column: pl.Expr) -> pl.Expr:
    """The month a row is for as ``YYYY-MM``: ``2026-01``, ``2026-01-01``, ``01-2026``,
    ``01/2026``; null when unreadable."""
    text = column.str.strip_chars()
    year_first = text.str.extract_groups(r"^(?<y>\d{4})[-/](?<m>\d{1,2})(?:[-/]\d{1,2})?$")
    month_first = text.str.extract_groups(r"^(?<m>\d{1,2})[-/](?<y>\d{4})$")
    year = pl.coalesce(year_first.struct.field("y"), month_first.struct.field("y"))
    month = pl.coalesce(year_first.struct.field("m"), month_first.struct.field("m"))
    return pl.when(month.cast(pl.Int32, strict=False).is_between(1, 12)).then(
        pl.concat_str([year, pl.lit("-"), month.str.zfill(2)])
    )


class Problem(models.TextChoices):
    """Why a statement row could not be compared (row-level reasons; the row is kept)."""

    KPJ_INVALID = "kpj_invalid", _("The KPJ number must be 11 digits.")
    NO_PARTICIPANT = "no_participant", _("Neither a KPJ number nor a valid NIK.")
    AMOUNT_INVALID = "amount_invalid", _("The contribution is not an amount in whole rupiah.")
    STATUS_UNKNOWN = "status_unknown", _("The status is not one this import knows.")
    OTHER_MONTH = "other_month", _("The row is for another month than the statement.")
    DUPLICATE = "duplicate", _("The same participant is listed on an earlier row.")


class Kind(models.TextChoices):
    MISSING_HERE = "missing_here", _("Billed by BPJS, not billed in Jaring")
    MISSING_AT_BPJS = "missing_bpjs", _("Billed in Jaring, not on the BPJS statement")
    AMOUNT = "amount", _("Different amount")
    ACTIVE_AT_BPJS = "active_bpjs", _("Active at BPJS, ended in Jaring")
    ENDED_AT_BPJS = "ended_bpjs", _("Ended at BPJS, active in Jaring")


class Cause(models.TextChoices):
    UNKNOWN_KPJ = (
        "unknown_kpj",
        _("KPJ unknown in Jaring: enrolled directly at the branch, or a wrong KPJ."),
    )
    OTHER_SOURCE = "other_source", _("Jaring pays for this participant from another funder.")
    NOT_BILLED = (
        "not_billed",
        _("Covered in Jaring, but this month is not billed yet (run the billing)."),
    )
    OUTSIDE_PERIOD = (
        "outside_period",
        _("Jaring's enrolment does not cover this month (its start or end month differs)."),
    )
    NOT_AT_BRANCH = (
        "not_at_branch",
        _(
            "Not registered or not active at the branch: the submission or the KPJ may not have "
            "reached it."
        ),
    )
    AMOUNT_HIGHER = (
        "amount_higher",
        _(
            "BPJS bills more: a different declared income or programmes (JHT), or the PP 50/2025 "
            "relief not applied."
        ),
    )
    AMOUNT_LOWER = (
        "amount_lower",
        _(
            "BPJS bills less: a lower declared income, a relief applied, or a month not billed "
            "in full."
        ),
    )
    DEATH_UNREPORTED = (
        "death_unreported",
        _("Died according to Jaring; the branch has not ended the membership (report the death)."),
    )
    EXIT_UNREPORTED = (
        "exit_unreported",
        _("Ended in Jaring (moved, end of budget, duplicate); the branch has not been told."),
    )
    ENDED_AT_BRANCH = (
        "ended_at_branch",
        _(
            "The branch ended the membership (arrears, a death or a duplicate reported to it); "
            "Jaring still covers it."
        ),
    )


class Action(models.TextChoices):
    ACCEPT_BPJS = "accept_bpjs", _("Accept BPJS's figure")
    CORRECT_OURS = "correct_ours", _("Correct Jaring's data")
    ASK_BRANCH = "ask_branch", _("Ask the branch")


# Each cause belongs to one kind of difference.
KIND_OF_CAUSE = {
    Cause.UNKNOWN_KPJ: Kind.MISSING_HERE,
    Cause.OTHER_SOURCE: Kind.MISSING_HERE,
    Cause.NOT_BILLED: Kind.MISSING_HERE,
    Cause.OUTSIDE_PERIOD: Kind.MISSING_HERE,
    Cause.NOT_AT_BRANCH: Kind.MISSING_AT_BPJS,
    Cause.AMOUNT_HIGHER: Kind.AMOUNT,
    Cause.AMOUNT_LOWER: Kind.AMOUNT,
    Cause.DEATH_UNREPORTED: Kind.ACTIVE_AT_BPJS,
    Cause.EXIT_UNREPORTED: Kind.ACTIVE_AT_BPJS,
    Cause.ENDED_AT_BRANCH: Kind.ENDED_AT_BPJS,
}

# The action a cause most likely calls for (preselected on the page; the officer decides).
SUGGESTED = {
    Cause.UNKNOWN_KPJ: Action.ASK_BRANCH,
    Cause.OTHER_SOURCE: Action.ASK_BRANCH,
    Cause.NOT_BILLED: Action.CORRECT_OURS,
    Cause.OUTSIDE_PERIOD: Action.CORRECT_OURS,
    Cause.NOT_AT_BRANCH: Action.ASK_BRANCH,
    Cause.AMOUNT_HIGHER: Action.ASK_BRANCH,
    Cause.AMOUNT_LOWER: Action.CORRECT_OURS,
    Cause.DEATH_UNREPORTED: Action.ASK_BRANCH,
    Cause.EXIT_UNREPORTED: Action.ASK_BRANCH,
    Cause.ENDED_AT_BRANCH: Action.ACCEPT_BPJS,
}


def credits_on_accept(kind: str) -> bool:
    """Accepting BPJS's figure takes money back when BPJS bills nothing for a participant-month
    Jaring billed: that month's lines go onto a credit note (never an edited invoice)."""
    return kind in {Kind.MISSING_AT_BPJS, Kind.ENDED_AT_BPJS}
