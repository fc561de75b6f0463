"""Pure rules about Kemendagri region codes and names (no database)."""

import re
import unicodedata
from enum import IntEnum

CODE_PATTERN = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class Level(IntEnum):
    PROVINCE = 1
    REGENCY = 2
    DISTRICT = 3
    VILLAGE = 4


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def level_of(code: str) -> Level:
    """The level of a dotted code: ``14`` province … ``14.03.01.2022`` village."""
    if not is_valid_code(code):
        raise ValueError(f"not a Kemendagri region code: {code!r}")
    return Level(code.count(".") + 1)


def parent_code(code: str) -> str | None:
    level_of(code)
    head, _, _ = code.rpartition(".")
    return head or None


def ancestor_codes(code: str) -> list[str]:
    """Codes of every ancestor, the province first."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def is_within(code: str, scope_code: str) -> bool:
    """True when ``code`` is ``scope_code`` itself or lies below it."""
    return code == scope_code or code.startswith(scope_code + ".")


def village_kind(code: str) -> str:
    """Kemendagri numbers a kelurahan's 4-digit part from 1xxx, a desa's from 2xxx."""
    if level_of(code) is not Level.VILLAGE:
        raise ValueError(f"{code} is not a desa/kelurahan code")
    return "kelurahan" if code.rsplit(".", 1)[1].startswith("1") else "desa"


def regency_kind(name: str) -> str:
    return "kota" if name.strip().lower().startswith("kota ") else "kabupaten"


def name_key(name: str) -> str:
    """The form names are compared in: case, accents, punctuation and spacing do not count.

    "KELEBUK", " Kelebuk " and "Bantan  Tua" match "Kelebuk" and "Bantan Tua".
    """
    folded = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", folded).strip()
