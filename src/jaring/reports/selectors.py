"""Reads of the summary tables: the regency dashboard, the public page, the national roll-up.

Everything here reads ``RegionFact``/``CoverageMonth`` (a few hundred rows at most), never the
registry itself.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for
from jaring.regions.models import Level, Region
from jaring.reports.models import NATIONAL, CoverageMonth, RegionFact, WorkforceEstimate

SMALL_CELL = 5  # public desa-level counts below this are shown as "<5"


def percent(part: int | None, whole: int | None) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Row:
    """One region's line in a table, with what the pages compute from it."""

    region: Region | None
    fact: RegionFact
    estimate: WorkforceEstimate | None = None

    @property
    def code(self) -> str:
        return self.fact.region_code

    @property
    def name(self) -> str:
        return self.region.display_name if self.region else "Indonesia"

    @property
    def coverage_of_registered(self):
        return percent(self.fact.covered, self.fact.registered)

    @property
    def coverage_of_workforce(self):
        return percent(self.fact.covered, self.estimate.informal_workers if self.estimate else 0)

    @property
    def absorption(self):
        return percent(self.fact.paid, self.fact.allocated)

    @property
    def paid_per_covered(self) -> int | None:
        return self.fact.paid // self.fact.covered if self.fact.covered else None


def _rows(facts, year: int) -> list[Row]:
    facts = list(facts)
    codes = [f.region_code for f in facts]
    regions = Region.objects.select_related("parent").in_bulk(codes)
    estimates = {
        e.region_id: e for e in WorkforceEstimate.objects.filter(region_id__in=codes, year=year)
    }
    return [Row(regions.get(f.region_code), f, estimates.get(f.region_code)) for f in facts]


def visible_regencies(user) -> list[Region]:
    scope = scope_for(user, Capability.VIEW_REPORTS)
    codes = RegionFact.objects.filter(level=2, dimension="total").values("region_code")
    return list(
        Region.objects.filter(level=Level.REGENCY, code__in=codes)
        .filter(scope.q("code"))
        .order_by("code")
    )


def region_for_dashboard(user, code: str) -> Region:
    """A kabupaten/kota or kecamatan the user may report on (else 404)."""
    if not scope_for(user, Capability.VIEW_REPORTS).contains(code):
        raise Http404(code)
    region = Region.objects.filter(code=code, level__in=[Level.REGENCY, Level.DISTRICT]).first()
    if region is None:
        raise Http404(code)
    return region


@dataclass
class Dashboard:
    region: Region
    total: Row | None
    children: list[Row]
    by_sex: list[RegionFact]
    by_occupation: list[tuple[str, RegionFact]]
    months: list[CoverageMonth]
    year: int


def dashboard(region: Region, year: int) -> Dashboard:
    from jaring.registry.models import Occupation

    total = _rows(RegionFact.objects.filter(region_code=region.code, dimension="total"), year)
    children = _rows(
        RegionFact.objects.filter(parent_code=region.code, dimension="total").order_by(
            "region_code"
        ),
        year,
    )
    split = RegionFact.objects.filter(region_code=region.code)
    names = dict(Occupation.objects.values_list("code", "name"))
    occupations = split.filter(dimension="occupation").order_by("-registered")
    return Dashboard(
        region=region,
        total=total[0] if total else None,
        children=children,
        by_sex=list(split.filter(dimension="sex").order_by("key")),
        by_occupation=[(names.get(f.key, f.key), f) for f in occupations],
        months=list(CoverageMonth.objects.filter(regency_code=region.code[:5]).order_by("month")),
        year=year,
    )


def paid_benefits(user, region: Region):
    """Paid claims of a region for anyone who may see its reports (names masked by the view)."""
    from jaring.accounts.scoping import scoped
    from jaring.claims.models import Claim

    return (
        scoped(Claim.objects.select_related("worker"), user, Capability.VIEW_REPORTS)
        .filter(Q(village__code__startswith=region.code + "."), status="paid")
        .select_related("village__parent", "handover")
        .order_by("-paid_on")
    )


# --- Public page ---------------------------------------------------------------------------


@dataclass
class PublicCell:
    """A number safe to publish: counts of 1–4 in a village are shown as "<5"."""

    value: int
    suppressed: bool


def public_cell(value: int, level: int) -> PublicCell:
    small = level == Level.VILLAGE and 0 < value < SMALL_CELL
    return PublicCell(0 if small else value, small)


def public_view(code: str) -> tuple[Row, list[dict]]:
    """A region's aggregates and its children's, with village cells suppressed."""
    year = datetime.date.today().year
    total = _rows(RegionFact.objects.filter(region_code=code, dimension="total"), year)
    if not total:
        raise Http404(code)
    children = []
    for row in _rows(
        RegionFact.objects.filter(parent_code=code, dimension="total").order_by("region_code"),
        year,
    ):
        level = row.fact.level
        children.append(
            {
                "code": row.code,
                "name": row.name,
                "level": level,
                "covered": public_cell(row.fact.covered, level),
                "families": public_cell(row.fact.claims_paid, level),
                "benefits": None if level == Level.VILLAGE else row.fact.benefits_paid,
            }
        )
    return total[0], children


# --- National roll-up -----------------------------------------------------------------------


def league(user, province: str | None, year: int) -> list[Row]:
    """Kabupaten/kota the user may compare, best coverage first."""
    scope = scope_for(user, Capability.VIEW_REPORTS)
    facts = RegionFact.objects.filter(level=2, dimension="total").filter(scope.q("region_code"))
    if province:
        facts = facts.filter(parent_code=province)
    rows = _rows(facts, year)

    def rank(row: Row):
        rate = row.coverage_of_workforce or row.coverage_of_registered or Decimal(0)
        return (-rate, row.code)

    return sorted(rows, key=rank)


def national_total(year: int) -> Row | None:
    rows = _rows(RegionFact.objects.filter(region_code=NATIONAL, dimension="total"), year)
    return rows[0] if rows else None
