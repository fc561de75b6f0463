"""Reads only the API makes: the coverage look-up by NIK (its hot path) and the report roll-up."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery, Sum

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for, scoped
from jaring.enrolment.models import Enrolment
from jaring.registry import protection
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
    """Is this NIK protected today, by what and until when? One indexed query: the blind index
    finds the worker, a correlated subquery its active enrolment covering this month."""
    month = today.replace(day=1)
    active = Enrolment.objects.filter(
        worker=OuterRef("pk"), status="active", start_month__lte=month, end_month__gte=month
    ).order_by("-end_month")
    row = (
        scoped(Worker.objects.all(), user, Capability.VIEW_REGISTRY)
        .filter(nik_index=protection.nik_index(nik))
        .annotate(
            covered_until=Subquery(active.values("end_month")[:1]),
            kpj=Subquery(active.values("kpj_number")[:1]),
        )
        .values("pk", "village_id", "status", "covered_until", "kpj")
        .first()
    )
    if row is None:
        return None
    until = row["covered_until"]
    covered = until is not None and row["status"] == "active"
    return CoverageToday(
        worker_id=row["pk"],
        village_code=row["village_id"],
        covered=covered,
        programs=("JKK", "JKM") if covered else (),
        covered_until=_month_end(until) if covered else None,
        kpj_hint=(row["kpj"] or "")[-4:] if covered else "",
    )


def _month_end(month: datetime.date) -> datetime.date:
    following = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def report_summary(user) -> dict:
    """The dashboards' own figures (the summary tables) for the regions a user may see: the roots
    of its scope, or the country row for a national scope. Nothing is recounted here."""
    from jaring.reports.models import NATIONAL, RegionFact

    scope = scope_for(user, Capability.VIEW_REPORTS)
    codes = [NATIONAL] if scope.everything else sorted(scope.codes)
    return RegionFact.objects.filter(region_code__in=codes, dimension="total").aggregate(
        workers=Sum("registered", default=0),
        covered=Sum("covered", default=0),
        claims_reported=Sum("claims_reported", default=0),
        claims_paid=Sum("claims_paid", default=0),
        benefits_paid=Sum("benefits_paid", default=0),
    )
