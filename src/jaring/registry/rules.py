"""Pure rules for the worker registry: NIK, names, dates, sexes, money as typed in spreadsheets.

No database here. Each check returns a machine code (stable, used in reject files and tests)
and the message an operator reads (``REJECT_MESSAGES``, gettext: Indonesian by default).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jaring.core.money import parse_rupiah as parse_rupiah_text
from jaring.core.text import ascii_digits

NIK_LENGTH = 16
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_NIK_NOISE = re.compile(r"[\s.\-]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
EXCEL_EPOCH = datetime.date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug

# Refusals whose check reads today's date: never reused for a row seen again (registry.bulk).
DATED_REJECTIONS = frozenset({"birth_date_future", "birth_date_invalid", "nik_birth_date_invalid"})

REJECT_MESSAGES = {
    "nik_missing": _("The NIK is empty."),
    "nik_scientific": _(
        "The NIK was damaged by Excel (scientific number format, e.g. 3.20101E+15): retype the "
        "NIK as text."
    ),
    "nik_not_digits": _("A NIK may contain digits only."),
    "nik_length": _("A NIK has 16 digits."),
    "nik_region_unknown": _(
        "The region code in the NIK (digits 1-6) is not in the Kemendagri list."
    ),
    "nik_birth_date_invalid": _("The birth date in the NIK (digits 7-12) is not a real date."),
    "nik_serial_zero": _("The NIK's serial number (last 4 digits) cannot be 0000."),
    "nik_sex_mismatch": _("The sex does not agree with the NIK (a woman's birth day + 40)."),
    "nik_birth_date_mismatch": _("The birth date does not agree with the NIK."),
    "name_missing": _("The full name is empty."),
    "name_too_long": _("The full name is longer than 150 characters."),
    "sex_invalid": _("The sex must be L or P."),
    "birth_date_invalid": _("The birth date cannot be read (use dd-mm-yyyy)."),
    "birth_date_future": _("The birth date is in the future."),
    "village_missing": _("The village (desa/kelurahan) is empty."),
    "village_unknown": _("The village (desa/kelurahan) is not found in this district/regency."),
    "village_ambiguous": _("The village name matches more than one village."),
    "village_outside_region": _("The village lies outside the region of this import."),
    "district_unknown": _("The district (kecamatan) is not found in this regency."),
    "income_invalid": _("The income must be a whole number of rupiah."),
    "income_not_in_table": _(
        "The declared income is not a step of the BPJS income table (PP 44/2015 Lampiran II); "
        "enter one of its nominal steps."
    ),
    "desil_invalid": _("The decile must be a number from 1 to 10."),
    "phone_invalid": _("The phone number is not valid."),
    "value_too_long": _("The value is too long."),
    "registered_elsewhere": _(
        "This NIK is already registered in another region and was not changed; a transfer "
        "request was sent to that region's admin to decide."
    ),
}

WARNING_MESSAGES = {
    "nik_district_differs": _(
        "The district in the NIK differs from the current address (a NIK keeps the district "
        "where it was first registered)."
    ),
    "village_fuzzy": _("The village name was matched approximately."),
    "occupation_unknown": _("Unknown occupation, recorded as 'other'."),
    "possible_duplicate": _("Possible duplicate; sent for review."),
    "phone_repaired": _("The phone number had lost its leading 0 (Excel); it was restored."),
    "phone_dropped": _("The phone number is not valid and was left empty."),
}


@dataclass(frozen=True)
class NikFacts:
    """What a valid NIK says about its holder."""

    nik: str
    district_code: str  # dotted, e.g. 14.03.01 (kecamatan of first registration)
    birth_day: int
    birth_month: int
    birth_yy: int
    sex: str  # "L" or "P"
    serial: str


def normalise_nik(raw: object) -> tuple[str | None, str | None]:
    """Clean what a spreadsheet gives for a NIK. Returns (nik, None) or (None, reject code)."""
    if raw is None:
        return None, "nik_missing"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and abs(raw) >= 1e15:
        # A number cell of 16 digits: Excel keeps 15 significant digits, so the last one may
        # already be lost, whatever the cell now shows.
        return None, "nik_scientific"
    text = ascii_digits(str(raw)).strip()
    if text.startswith("'"):  # Excel's "store as text" marker
        text = text[1:]
    if not text:
        return None, "nik_missing"
    if _SCIENTIFIC.match(text.replace(" ", "")):
        return None, "nik_scientific"
    text = _NIK_NOISE.sub("", text)
    if not text.isascii() or not text.isdigit():
        return None, "nik_not_digits"
    if len(text) != NIK_LENGTH:
        return None, "nik_length"
    return text, None


def nik_district_code(nik: str) -> str:
    return f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"


def parse_nik(nik: str, today: datetime.date) -> tuple[NikFacts | None, str | None]:
    """Structure checks of a normalised 16-digit NIK (the region check needs the database)."""
    day, month, yy, serial = int(nik[6:8]), int(nik[8:10]), int(nik[10:12]), nik[12:16]
    sex = "P" if day > 40 else "L"
    if day > 40:
        day -= 40
    if serial == "0000":
        return None, "nik_serial_zero"
    facts = NikFacts(nik, nik_district_code(nik), day, month, yy, sex, serial)
    if resolve_birth_date(facts, today) is None:
        return None, "nik_birth_date_invalid"
    return facts, None


def _is_real_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def resolve_birth_date(facts: NikFacts, today: datetime.date) -> datetime.date | None:
    """The NIK's birth date with its century: 20yy when that is a real date not in the future,
    else 19yy (None when that is not a real date either)."""
    recent = 2000 + facts.birth_yy
    if _is_real_date(recent, facts.birth_month, facts.birth_day):
        candidate = datetime.date(recent, facts.birth_month, facts.birth_day)
        if candidate <= today:
            return candidate
    if _is_real_date(1900 + facts.birth_yy, facts.birth_month, facts.birth_day):
        return datetime.date(1900 + facts.birth_yy, facts.birth_month, facts.birth_day)
    return None


def nik_agrees_with(
    facts: NikFacts, sex: str | None, birth_date: datetime.date | None
) -> list[str]:
    """Reject codes for a row whose sex or birth date contradicts its NIK."""
    problems = []
    if sex is not None and sex != facts.sex:
        problems.append("nik_sex_mismatch")
    if birth_date is not None and (
        birth_date.day != facts.birth_day
        or birth_date.month != facts.birth_month
        or birth_date.year % 100 != facts.birth_yy
    ):
        problems.append("nik_birth_date_mismatch")
    return problems


# --- Other fields ----------------------------------------------------------------------------

_SEX = {
    "l": "L",
    "lk": "L",
    "laki": "L",
    "laki laki": "L",
    "laki-laki": "L",
    "pria": "L",
    "m": "L",
    "male": "L",
    "p": "P",
    "pr": "P",
    "perempuan": "P",
    "wanita": "P",
    "f": "P",
    "female": "P",
    "w": "P",
}


def parse_sex(raw: object) -> tuple[str | None, str | None]:
    if raw is None or not str(raw).strip():
        return None, None
    value = _SEX.get(str(raw).strip().lower())
    return (value, None) if value else (None, "sex_invalid")


_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%y", "%d/%m/%y")


def parse_date(raw: object, today: datetime.date) -> tuple[datetime.date | None, str | None]:
    """dd-mm-yyyy, dd/mm/yyyy, ISO, an Excel serial number, or a date the reader already made."""
    if raw is None:
        return None, None
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        return (raw, None) if raw <= today else (None, "birth_date_future")
    text = str(raw).strip()
    if not text:
        return None, None
    if re.fullmatch(r"\d{4,5}(\.0+)?", text):
        serial = int(float(text))
        if 1 <= serial <= 2_958_465:
            return parse_date(EXCEL_EPOCH + datetime.timedelta(days=serial), today)
    text = text.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if fmt.endswith("%y") and day > today:
            day = day.replace(year=day.year - 100)
        return (day, None) if day <= today else (None, "birth_date_future")
    return None, "birth_date_invalid"


# What a spreadsheet puts between digits and what is dropped from phone numbers.
PHONE_NOISE = "[ \t\r\n\u00a0\\-().]"
MOBILE_WITHOUT_ZERO = r"^8[0-9]{8,11}$"
PHONE = r"^0[0-9]{8,13}$"


def parse_rupiah(raw: object) -> tuple[int | None, str | None]:
    """``1.500.000``, ``Rp 1.500.000``, ``1500000``, ``1000000.00`` → whole rupiah
    (``core.money.parse_rupiah``); a number cell as it is when whole and not negative."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, "income_invalid"
    if isinstance(raw, int):
        return (raw, None) if raw >= 0 else (None, "income_invalid")
    if isinstance(raw, float):
        return (int(raw), None) if raw.is_integer() and raw >= 0 else (None, "income_invalid")
    try:
        return parse_rupiah_text(str(raw)), None
    except ValueError:
        return None, "income_invalid"


def parse_desil(raw: object) -> tuple[int | None, str | None]:
    if raw is None or not str(raw).strip():
        return None, None
    text = str(raw).strip().lower().removeprefix("desil").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and 1 <= int(text) <= 10:
        return int(text), None
    return None, "desil_invalid"


def parse_phone(raw: object) -> tuple[str | None, str | None]:
    """A phone number as 0…, with (value, None); a mobile number whose leading 0 Excel dropped
    (81265432101) is restored with ``phone_repaired``; anything else is ``phone_invalid``."""
    digits = "" if raw is None else re.sub(PHONE_NOISE, "", str(raw)).lstrip("'")
    if not digits:
        return None, None
    repaired = None
    if digits.startswith("+62"):
        digits = "0" + digits[3:]
    elif digits.startswith("62"):
        digits = "0" + digits[2:]
    elif re.fullmatch(MOBILE_WITHOUT_ZERO, digits):
        digits, repaired = "0" + digits, "phone_repaired"
    if re.fullmatch(PHONE, digits):
        return digits, repaired
    return None, "phone_invalid"
