"""Checking one chunk of an imported sheet, column-wise with Polars.

The pure functions in ``registry.rules`` are the specification; the NIK and name checks here
are their vectorised form (a property test keeps the two in agreement). Columns with few
distinct values (dates, villages, occupations, amounts) are checked once per distinct value.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from jaring.core import money
from jaring.core.spreadsheets import LONG_NUMBERS
from jaring.core.text import INNER_MARKS, ascii_digits
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import default_rulebook
from jaring.registry import rules

CODE_COLUMNS = "_codes"
TEXT_LIMITS = {"full_name": 150, "birth_place": 100, "address": 255, "rt_rw": 20}
_TRUE = {"1", "y", "ya", "yes", "true", "x", "v", "benar"}


@dataclass
class VillageMatch:
    code: str | None
    reject: str | None = None
    warning: str | None = None
    detail: str = ""


@dataclass
class ImportContext:
    district_codes: frozenset[str]
    resolve_village: Callable[[str | None, str | None], VillageMatch]
    resolve_occupation: Callable[[str | None], tuple[str, str | None]]
    today: datetime.date = field(default_factory=datetime.date.today)
    # The key of the raw rows' digests (registry.content.row_key), derived from the above.
    raw_key: bytes = b""

    @cached_property
    def income_steps(self) -> tuple[int, ...]:
        """The declared-income table in force today (one definition: programs.rules)."""
        return program_rules.income_steps(default_rulebook(), self.today)


@dataclass
class CheckedChunk:
    valid: pl.DataFrame  # canonical, typed columns + _row + _warnings
    rejected: pl.DataFrame  # _row, _codes, _detail


def _text(name: str) -> pl.Expr:
    cleaned = pl.col(name).str.strip_chars().str.replace_all(r"\s+", " ")
    return pl.when(cleaned == "").then(None).otherwise(cleaned)


def _unquoted_digits(column: pl.Expr) -> pl.Expr:
    return ascii_digits_expr(column).str.strip_chars().str.strip_prefix("'").str.strip_chars()


def _nik_from(unquoted: pl.Expr) -> pl.Expr:
    return unquoted.str.replace_all(r"[\s.\-]", "")


def nik_text(header: str) -> pl.Expr:
    """The NIK a raw cell holds, as the checks read it (rules.normalise_nik), unchecked."""
    return _nik_from(_unquoted_digits(_text(header)))


def nik_checks(
    column: pl.Expr,
    district_codes: frozenset[str],
    today: datetime.date,
    from_number: pl.Expr | None = None,
) -> dict[str, pl.Expr]:
    """The vectorised form of rules.normalise_nik + rules.parse_nik + the region check.

    ``from_number``: the cell was a number of 16 digits or more (normalise_nik of a number)."""
    from_number = pl.lit(False) if from_number is None else from_number
    unquoted = _unquoted_digits(column)
    scientific = unquoted.str.replace_all(" ", "").str.contains(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
    nik = _nik_from(unquoted)
    day_field = nik.str.slice(6, 2).cast(pl.Int32, strict=False)
    day = pl.when(day_field > 40).then(day_field - 40).otherwise(day_field)
    month = nik.str.slice(8, 2)
    month_day = [month, day.cast(pl.String).str.zfill(2)]
    yy = nik.str.slice(10, 2)

    def in_century(prefix: str) -> pl.Expr:
        return pl.concat_str([pl.lit(prefix), yy, *month_day]).str.to_date("%Y%m%d", strict=False)

    # The latest century that gives a real date not in the future (rules.resolve_birth_date).
    recent = in_century("20")
    birth = (
        pl.when(recent.is_not_null() & (recent <= pl.lit(today)))
        .then(recent)
        .otherwise(in_century("19"))
    )
    district = pl.concat_str(
        [nik.str.slice(0, 2), pl.lit("."), nik.str.slice(2, 2), pl.lit("."), nik.str.slice(4, 2)]
    )
    code = (
        pl.when(unquoted.is_null() | (unquoted == ""))
        .then(pl.lit("nik_missing"))
        .when(from_number | scientific)
        .then(pl.lit("nik_scientific"))
        .when(~nik.str.contains(r"^[0-9]+$"))
        .then(pl.lit("nik_not_digits"))
        .when(nik.str.len_chars() != rules.NIK_LENGTH)
        .then(pl.lit("nik_length"))
        .when(nik.str.slice(12, 4) == "0000")
        .then(pl.lit("nik_serial_zero"))
        .when(birth.is_null())
        .then(pl.lit("nik_birth_date_invalid"))
        .when(~district.is_in(list(district_codes)))
        .then(pl.lit("nik_region_unknown"))
        .otherwise(None)
    )
    return {
        "nik": nik,
        "nik_code": code,
        "nik_sex": pl.when(day_field > 40).then(pl.lit("P")).otherwise(pl.lit("L")),
        "nik_day": day,
        "nik_month": month.cast(pl.Int32, strict=False),
        "nik_yy": yy.cast(pl.Int32, strict=False),
        "nik_birth": birth,
        "nik_district": district,
    }


def rupiah_checks(column: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The vectorised form of core.money.parse_rupiah for text cells: (rupiah, reject code)."""
    text = (
        column.str.replace_all(money.SPACES, "")
        .str.replace(r"^[Rr][Pp]", "")
        .str.strip_suffix(",-")
    )
    forms = [text.str.contains(form) for form in money.RUPIAH_FORMS]

    def group(index: int) -> pl.Expr:
        chosen = pl.when(forms[0]).then(text.str.extract(money.RUPIAH_FORMS[0], index))
        for matched, form in zip(forms[1:], money.RUPIAH_FORMS[1:], strict=True):
            chosen = chosen.when(matched).then(text.str.extract(form, index))
        return chosen

    whole = group(1).str.replace_all(r"[.,]", "").str.strip_chars_start("0")
    whole = pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
    sen_is_zero = group(2).is_null() | (group(2).str.replace_all("0", "") == "")
    ok = whole.is_not_null() & sen_is_zero & (whole.str.len_chars() <= money.MAX_RUPIAH_DIGITS)
    value = pl.when(ok).then(whole.cast(pl.Int64, strict=False))
    empty = column.is_null() | (text == "")
    code = pl.when(empty).then(None).when(~ok).then(pl.lit("income_invalid"))
    return value, code


def phone_checks(column: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The vectorised form of rules.parse_phone: (phone, code: phone_repaired/phone_invalid)."""
    digits = column.str.replace_all(rules.PHONE_NOISE, "").str.strip_chars_start("'")
    repaired = digits.str.contains(rules.MOBILE_WITHOUT_ZERO)
    phone = (
        pl.when(digits.str.starts_with("+62"))
        .then(pl.lit("0") + digits.str.slice(3))
        .when(digits.str.starts_with("62"))
        .then(pl.lit("0") + digits.str.slice(2))
        .when(repaired)
        .then(pl.lit("0") + digits)
        .otherwise(digits)
    )
    valid = phone.str.contains(rules.PHONE)
    empty = column.is_null() | (digits == "")
    value = pl.when(~empty & valid).then(phone)
    code = (
        pl.when(empty)
        .then(None)
        .when(~valid)
        .then(pl.lit("phone_invalid"))
        .when(repaired)
        .then(pl.lit("phone_repaired"))
    )
    return value, code


def _ascii_digits(values: pl.Series) -> pl.Series:
    if not values.str.contains(r"[^\x00-\x7f]").any():
        return values  # the usual chunk: nothing to fold, no Python per value
    return values.map_elements(ascii_digits, return_dtype=pl.String, skip_nulls=True)


def ascii_digits_expr(column: pl.Expr) -> pl.Expr:
    """The vectorised form of core.text.ascii_digits."""
    return column.map_batches(_ascii_digits, return_dtype=pl.String)


def name_key_expr(column: pl.Expr) -> pl.Expr:
    """The vectorised form of core.text.name_key."""
    marks = f"[{INNER_MARKS}]"
    return (
        column.str.replace_all("ß", "ss")
        .str.to_lowercase()
        .str.replace_all(marks, "")
        .str.normalize("NFKD")
        .str.replace_all(r"[^\x00-\x7f]", "")
        .str.replace_all(marks, "")
        .str.replace_all(r"[^0-9a-z]+", " ")
        .str.strip_chars()
    )


def person_key_expr(column: pl.Expr) -> pl.Expr:
    """The vectorised form of core.text.person_key (what Worker.name_key holds)."""
    return name_key_expr(column).str.replace_all(" ", "", literal=True)


def _per_value(
    df: pl.DataFrame, column: str, parse: Callable, names: tuple[str, str], dtype: pl.DataType
):
    """Apply ``parse`` (value -> (result, code)) once per distinct value and join it back."""
    distinct = df.get_column(column).unique().to_list()
    results = [parse(value) for value in distinct]
    mapping = pl.DataFrame(
        {
            column: pl.Series(distinct, dtype=pl.String),
            names[0]: pl.Series([r[0] for r in results], dtype=dtype, strict=False),
            names[1]: pl.Series([r[1] for r in results], dtype=pl.String),
        }
    )
    return df.join(mapping, on=column, how="left", nulls_equal=True)


def check_chunk(chunk: pl.DataFrame, fields: dict[str, str], ctx: ImportContext) -> CheckedChunk:
    present = {name: pl.col(header) for name, header in fields.items()}
    # A NIK cell that was a number of 16+ digits (workbooks only; see core.spreadsheets).
    nik_was_number = (
        pl.col(LONG_NUMBERS).list.contains(pl.lit(fields["nik"]))
        if LONG_NUMBERS in chunk.columns and "nik" in fields
        else pl.lit(False)
    )
    df = chunk.select(
        pl.col("_row"),
        nik_was_number.alias("nik_was_number"),
        *[_text(header).alias(name) for name, header in fields.items()],
        *[pl.lit(None, pl.String).alias(name) for name in _ALL_FIELDS if name not in present],
    )
    df = df.filter(pl.any_horizontal([pl.col(name).is_not_null() for name in _ALL_FIELDS]))
    df = df.with_columns(
        **nik_checks(pl.col("nik"), ctx.district_codes, ctx.today, pl.col("nik_was_number"))
    )
    income_value, income_code = rupiah_checks(pl.col("income"))
    off_table = income_value.is_not_null() & ~income_value.is_in(list(ctx.income_steps))
    income_code = (
        pl.when(income_code.is_null() & off_table)
        .then(pl.lit("income_not_in_table"))
        .otherwise(income_code)
    )
    phone_value, phone_code = phone_checks(pl.col("phone"))
    df = df.with_columns(
        income_value=income_value,
        income_code=income_code,
        phone_value=phone_value,
        phone_warning=pl.when(phone_code == "phone_invalid")
        .then(pl.lit("phone_dropped"))
        .otherwise(phone_code),
    )

    df = _per_value(df, "sex", rules.parse_sex, ("sex_value", "sex_code"), pl.String)
    df = _per_value(
        df,
        "birth_date",
        lambda v: rules.parse_date(v, ctx.today),
        ("birth_date_value", "birth_date_code"),
        pl.Date,
    )
    df = _per_value(df, "desil", rules.parse_desil, ("desil_value", "desil_code"), pl.Int64)
    df = _per_value(
        df, "occupation", ctx.resolve_occupation, ("occupation_id", "occupation_warning"), pl.String
    )
    df = _resolve_villages(df, ctx)

    nik_ok = pl.col("nik_code").is_null()
    birth_given = pl.col("birth_date_value")
    df = df.with_columns(
        mismatch_sex=pl.when(
            nik_ok & pl.col("sex_value").is_not_null() & (pl.col("sex_value") != pl.col("nik_sex"))
        ).then(pl.lit("nik_sex_mismatch")),
        mismatch_birth=pl.when(
            nik_ok
            & birth_given.is_not_null()
            & (
                (birth_given.dt.day() != pl.col("nik_day"))
                | (birth_given.dt.month() != pl.col("nik_month"))
                | (birth_given.dt.year() % 100 != pl.col("nik_yy"))
            )
        ).then(pl.lit("nik_birth_date_mismatch")),
        name_code=pl.when(pl.col("full_name").is_null())
        .then(pl.lit("name_missing"))
        .when(pl.col("full_name").str.len_chars() > TEXT_LIMITS["full_name"])
        .then(pl.lit("name_too_long")),
        long_code=pl.when(
            pl.any_horizontal(
                [
                    pl.col(name).str.len_chars() > limit
                    for name, limit in TEXT_LIMITS.items()
                    if name != "full_name"
                ]
            )
        ).then(pl.lit("value_too_long")),
        flag_disability=pl.col("has_disability").str.to_lowercase().is_in(_TRUE).fill_null(False),
        flag_female_head=pl.col("is_female_head").str.to_lowercase().is_in(_TRUE).fill_null(False),
    )
    code_columns = [
        "nik_code",
        "name_code",
        "sex_code",
        "birth_date_code",
        "mismatch_sex",
        "mismatch_birth",
        "village_code",
        "income_code",
        "desil_code",
        "long_code",
    ]
    df = df.with_columns(
        pl.concat_list([pl.col(c) for c in code_columns]).list.drop_nulls().alias(CODE_COLUMNS),
        pl.concat_list(
            [
                pl.col("village_warning"),
                pl.col("occupation_warning"),
                pl.col("phone_warning"),
                pl.when(
                    pl.col("village_id").is_not_null()
                    & nik_ok
                    & (pl.col("village_id").str.slice(0, 8) != pl.col("nik_district"))
                ).then(pl.lit("nik_district_differs")),
            ]
        )
        .list.drop_nulls()
        .alias("_warnings"),
    )
    bad = df.get_column(CODE_COLUMNS).list.len() > 0
    rejected = df.filter(bad).select(
        "_row", CODE_COLUMNS, pl.col("village_detail").alias("_detail")
    )
    valid = df.filter(~bad).select(
        "_row",
        "nik",
        "full_name",
        pl.coalesce("sex_value", "nik_sex").alias("sex"),
        pl.coalesce("birth_date_value", "nik_birth").alias("birth_date"),
        pl.col("birth_place").fill_null(""),
        pl.col("phone_value").fill_null("").alias("phone"),
        pl.col("address").fill_null(""),
        pl.col("rt_rw").fill_null(""),
        "village_id",
        "occupation_id",
        pl.col("income_value").cast(pl.Int64).alias("declared_income"),
        pl.col("desil_value").cast(pl.Int16).alias("desil"),
        pl.col("flag_disability").alias("has_disability"),
        pl.col("flag_female_head").alias("is_female_head"),
        person_key_expr(pl.col("full_name")).alias("name_key"),
        "_warnings",
        pl.col("village_detail").alias("_detail"),
    )
    return CheckedChunk(valid=valid, rejected=rejected)


_ALL_FIELDS = (
    "nik",
    "full_name",
    "sex",
    "birth_date",
    "birth_place",
    "village",
    "district",
    "occupation",
    "income",
    "desil",
    "phone",
    "address",
    "rt_rw",
    "has_disability",
    "is_female_head",
)


def _resolve_villages(df: pl.DataFrame, ctx: ImportContext) -> pl.DataFrame:
    pairs = df.select("village", "district").unique()
    matches = [ctx.resolve_village(v, d) for v, d in pairs.iter_rows()]
    mapping = pairs.with_columns(
        village_id=pl.Series([m.code for m in matches], dtype=pl.String),
        village_code=pl.Series([m.reject for m in matches], dtype=pl.String),
        village_warning=pl.Series([m.warning for m in matches], dtype=pl.String),
        village_detail=pl.Series([m.detail for m in matches], dtype=pl.String),
    )
    return df.join(mapping, on=["village", "district"], how="left", nulls_equal=True)
