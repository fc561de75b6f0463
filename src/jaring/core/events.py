"""Domain events: a lower app announces what it changed, a higher app subscribes.

Apps depend on each other one way (core < accounts < regions < programs < registry < enrolment
< finance < claims < reports < api). A writer in registry, enrolment, finance or claims must not
import ``reports`` to tell it that its figures are stale; it calls ``region_changed`` inside its
transaction instead, and whoever cares (the reports app, in its ``AppConfig.ready``) connects a
receiver. Receivers run only after the writer's transaction commits: a rolled-back write
announces nothing.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import transaction
from django.dispatch import Signal


class Change(StrEnum):
    """What kind of data changed in a region (receivers may refresh only what depends on it)."""

    WORKERS = "workers"
    ENROLMENTS = "enrolments"
    MONEY = "money"
    CLAIMS = "claims"


# Sent after commit with ``regency_code`` (a kabupaten/kota code, "14.03"), ``region_code`` (the
# code the writer named: a village's when the change is confined to it, so a receiver may recount
# only that village; else the kabupaten's) and ``what`` (Change).
region_changed_signal = Signal()


def region_changed(region_code: str, what: Change) -> None:
    """Announce that ``what`` changed in a region (a village, or a whole kabupaten/kota), once the
    current transaction commits."""
    transaction.on_commit(
        lambda: region_changed_signal.send(
            sender=Change, regency_code=region_code[:5], region_code=region_code, what=what
        )
    )
