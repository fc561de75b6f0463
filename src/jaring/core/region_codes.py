"""Kemendagri region codes (``14`` province … ``14.03.01.2022`` village): pure functions.

Used by the scoping layer and every app that keeps a region code, so they live below all apps.
"""

import re
from enum import IntEnum

CODE_PATTERN = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")


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
