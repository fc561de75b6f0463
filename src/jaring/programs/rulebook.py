"""Dated rule data: which value of a rule is in force on a given day. Pure, no database.

The rules live in ``data/rules.toml`` (one row per value per effective date, with its legal
source). A regulation change is a new row there; nothing in the code names a date.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.toml"


class RuleNotInForce(LookupError):
    """No version of the rule is in force on the day asked about."""


@dataclass(frozen=True)
class RuleVersion:
    key: str
    value: Any
    effective_from: datetime.date
    source: str
    confidence: str = "sure"
    effective_to: datetime.date | None = None
    note: str = ""

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.effective_from.isoformat()}"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True)
class RuleBook:
    versions: tuple[RuleVersion, ...] = field(default_factory=tuple)

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> RuleBook:
        versions = []
        for row in rows:
            if row.get("confidence", "sure") not in {"sure", "check"}:
                raise ValueError(f"{row['key']}: confidence must be 'sure' or 'check'")
            versions.append(RuleVersion(**row))
        book = cls(tuple(sorted(versions, key=lambda v: (v.key, v.effective_from))))
        book._check_no_duplicate_starts()
        return book

    @classmethod
    def from_toml(cls, path: Path) -> RuleBook:
        with path.open("rb") as handle:
            return cls.from_rows(tomllib.load(handle)["rule"])

    def _check_no_duplicate_starts(self) -> None:
        seen = set()
        for version in self.versions:
            if (version.key, version.effective_from) in seen:
                raise ValueError(f"two versions of {version.key} start on {version.effective_from}")
            seen.add((version.key, version.effective_from))

    def with_versions(self, *extra: RuleVersion) -> RuleBook:
        """A new book with more versions: how a regulation change is tried out before filing."""
        book = RuleBook(
            tuple(sorted((*self.versions, *extra), key=lambda v: (v.key, v.effective_from)))
        )
        book._check_no_duplicate_starts()
        return book

    def find(self, key: str, day: datetime.date) -> RuleVersion | None:
        """The version of ``key`` in force on ``day`` (the latest that has started), or None."""
        current = None
        for version in self.versions:
            if version.key == key and version.in_force_on(day):
                current = version
        return current

    def at(self, key: str, day: datetime.date) -> RuleVersion:
        version = self.find(key, day)
        if version is None:
            raise RuleNotInForce(f"no rule {key} in force on {day.isoformat()}")
        return version

    def keys(self) -> list[str]:
        return sorted({version.key for version in self.versions})


@cache
def default_rulebook() -> RuleBook:
    return RuleBook.from_toml(RULES_FILE)
