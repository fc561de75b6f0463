"""Pure rules for the worker registry: NIK, names, dates, sexes, money as typed in spreadsheets.

No database here. Each check returns a machine code (stable, used in reject files and tests)
and the Indonesian message an operator reads (``REJECT_MESSAGES``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

NIK_LENGTH = 16
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_NIK_NOISE = re.compile(r"[\s.\-]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
EXCEL_EPOCH = datetime.date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug

REJECT_MESSAGES = {
    "nik_missing": "NIK kosong.",
    "nik_scientific": "NIK rusak oleh Excel (format angka ilmiah, mis. 3.20101E+15): "
    "ketik ulang NIK sebagai teks.",
    "nik_not_digits": "NIK hanya boleh berisi angka.",
    "nik_length": "NIK harus 16 digit.",
    "nik_region_unknown": "Kode wilayah pada NIK (digit 1-6) tidak ada dalam daftar Kemendagri.",
    "nik_birth_date_invalid": "Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada.",
    "nik_serial_zero": "Nomor urut NIK (4 digit terakhir) tidak boleh 0000.",
    "nik_sex_mismatch": "Jenis kelamin tidak sesuai dengan NIK (tanggal lahir perempuan + 40).",
    "nik_birth_date_mismatch": "Tanggal lahir tidak sesuai dengan NIK.",
    "name_missing": "Nama lengkap kosong.",
    "name_too_long": "Nama lengkap lebih dari 150 karakter.",
    "sex_invalid": "Jenis kelamin harus L atau P.",
    "birth_date_invalid": "Tanggal lahir tidak dapat dibaca (gunakan dd-mm-yyyy).",
    "birth_date_future": "Tanggal lahir di masa depan.",
    "village_missing": "Desa/kelurahan kosong.",
    "village_unknown": "Desa/kelurahan tidak ditemukan di kecamatan/kabupaten ini.",
    "village_ambiguous": "Nama desa/kelurahan cocok dengan lebih dari satu desa.",
    "village_outside_region": "Desa/kelurahan berada di luar wilayah impor.",
    "district_unknown": "Kecamatan tidak ditemukan di kabupaten ini.",
    "income_invalid": "Penghasilan harus berupa angka rupiah bulat.",
    "desil_invalid": "Desil harus angka 1 sampai 10.",
    "phone_invalid": "Nomor telepon tidak valid.",
    "value_too_long": "Isian terlalu panjang.",
    # Says nothing of the other region (neither its name nor the record): only what happens next.
    "registered_elsewhere": "NIK ini sudah terdaftar di wilayah lain dan tidak diubah; "
    "permintaan pindah dikirim ke admin wilayah tersebut untuk diputuskan.",
}

WARNING_MESSAGES = {
    "nik_district_differs": "Kecamatan pada NIK berbeda dengan alamat sekarang (NIK memakai "
    "kecamatan tempat pertama terdaftar).",
    "village_fuzzy": "Nama desa dicocokkan secara perkiraan.",
    "occupation_unknown": "Pekerjaan tidak dikenal, dicatat sebagai 'lainnya'.",
    "possible_duplicate": "Kemungkinan data ganda; dikirim untuk ditinjau.",
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
    text = str(raw).strip()
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


def parse_rupiah(raw: object) -> tuple[int | None, str | None]:
    """``1.500.000``, ``Rp 1.500.000``, ``1500000`` → 1500000. Decimals are refused."""
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, "income_invalid"
    if isinstance(raw, int):
        return (raw, None) if raw >= 0 else (None, "income_invalid")
    if isinstance(raw, float):
        return (int(raw), None) if raw.is_integer() and raw >= 0 else (None, "income_invalid")
    text = str(raw).strip().lower().removeprefix("rp").strip().replace(" ", "")
    if not text:
        return None, None
    if text.endswith(",00") or text.endswith(",-"):
        text = text[:-3] if text.endswith(",00") else text[:-2]
    text = text.replace(".", "")
    if not text.isdigit():
        return None, "income_invalid"
    return int(text), None


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
    if raw is None or not str(raw).strip():
        return None, None
    digits = re.sub(r"[\s\-().]", "", str(raw).strip().lstrip("'"))
    if digits.startswith("+62"):
        digits = "0" + digits[3:]
    elif digits.startswith("62"):
        digits = "0" + digits[2:]
    if digits.isdigit() and 9 <= len(digits) <= 14 and digits.startswith("0"):
        return digits, None
    return None, "phone_invalid"
