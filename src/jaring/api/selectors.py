"""Reads only the API makes: the coverage look-up by NIK (its hot path) and the report roll-up."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Min, Sum

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.core import crypto
from jaring.finance.protection import protected_on
from jaring.registry.models import Worker


@dataclass(frozen=True)
class CoverageToday:
    worker_id: int
    village_code: str
    covered: bool
    programs: tuple[str, ...]
    covered_until: datetime.date | None
    kpj_hint: str


def coverage_by_nik(user, nik: str, today: datetime.date) -> CoverageToday | None:
    """Is this NIK protected today, by what and until when? The blind index finds the worker
    (within the user's scope); ``protected_on`` answers, as it does for every other screen."""
    worker = (
        scoped(Worker.objects.all(), user, Capability.VIEW_REGISTRY)
        .filter(nik_index=crypto.nik_index(nik))
        .only("pk", "village_id", "date_of_death")
        .first()
    )
    if worker is None:
        return None
    protection = protected_on(worker, today)
    return CoverageToday(
        worker_id=worker.pk,
        village_code=worker.village_id,
        covered=protection.protected,
        programs=protection.programs,
        covered_until=protection.until,
        kpj_hint=protection.kpj[-4:],
    )


def report_summary(user) -> dict:
    """The dashboards' own figures (the summary tables) for the regions a user may see: the roots
    of its scope, or the country row for a national scope. Nothing is recounted here."""
    from jaring.reports.models import NATIONAL, RegionFact

    scope = scope_for(user, Capability.VIEW_REPORTS)
    codes = [NATIONAL] if scope.everything else sorted(scope.codes)
    return RegionFact.objects.filter(region_code__in=codes, dimension="total").aggregate(
        workers=Sum("registered", default=0),
        covered=Sum("covered", default=0),
        covered_on=Min("protected_on"),
        claims_reported=Sum("claims_reported", default=0),
        claims_paid=Sum("claims_paid", default=0),
        benefits_paid=Sum("benefits_paid", default=0),
    )
