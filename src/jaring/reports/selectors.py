"""Reads of the summary tables: the regency dashboard, the public page, the national roll-up.

Everything here reads ``RegionFact``/``CoverageMonth`` (a few hundred rows at most), never the
registry itself.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Max, Q, Sum
from django.http import Http404

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import scope_for
from jaring.regions.models import Level, Region
from jaring.reports import disclosure
from jaring.reports.models import NATIONAL, CoverageMonth, RegionFact, WorkforceEstimate
from jaring.reports.services import report_date

SMALL_CELL = disclosure.SMALL_CELL  # public counts below this are never shown


def percent(part: int | None, whole: int | None) -> Decimal | None:
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Workforce:
    """The coverage rate's denominator for one region, and where it comes from."""

    informal_workers: int
    source: str
    # How it was reached when the region has no estimate of its own: None (its own), "share"
    # (its kabupaten's estimate × its share of the kabupaten's registered workers) or "sum" (the sum
    # of the estimates of the kabupaten/kota counted under it).
    derived: str | None = None


@dataclass
class Row:
    """One region's line in a table, with what the pages compute from it."""

    region: Region | None
    fact: RegionFact
    estimate: Workforce | None = None

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
    def average_pay_days(self) -> Decimal | None:
        """Working days from BPJS's receipt of the complete file to payment, per paid claim."""
        if not self.fact.claims_paid:
            return None
        average = Decimal(self.fact.pay_days_total) / self.fact.claims_paid
        return average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

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
    workforce = _workforce(facts, year)
    return [Row(regions.get(f.region_code), f, workforce.get(f.region_code)) for f in facts]


def _estimates(codes, year: int) -> dict[str, Workforce]:
    return {
        code: Workforce(workers, source)
        for code, workers, source in WorkforceEstimate.objects.filter(
            region_id__in=codes, year=year
        ).values_list("region_id", "informal_workers", "source")
    }


def _workforce(facts, year: int) -> dict[str, Workforce]:
    """Each region's own estimate; else a kecamatan or desa gets its kabupaten's in proportion
    to the workers registered (no population is published below the kabupaten), a province or
    the country the sum over the kabupaten/kota it counts (when every one of them has an
    estimate: a partial sum would overstate the coverage)."""
    codes = {f.region_code for f in facts}
    below = {f.region_code[:5] for f in facts if f.level > Level.REGENCY}
    counted = _regencies_counted([f for f in facts if f.level < Level.REGENCY])
    estimates = _estimates(codes | below.union(*counted.values()), year)
    registered = dict(
        RegionFact.objects.filter(region_code__in=below, dimension="total").values_list(
            "region_code", "registered"
        )
    )
    found = {}
    for fact in facts:
        code = fact.region_code
        if code in estimates:
            found[code] = estimates[code]
        elif fact.level > Level.REGENCY:
            found[code] = _by_registered_share(
                fact, estimates.get(code[:5]), registered.get(code[:5])
            )
        elif fact.level < Level.REGENCY:
            found[code] = _summed([estimates.get(c) for c in counted[code]])
    return {code: workforce for code, workforce in found.items() if workforce}


def _regencies_counted(facts) -> dict[str, list[str]]:
    """For each country or province fact, the kabupaten/kota with figures it sums over, read in
    one query through the parent index (the country page lists 38 provinces: a query each, and
    a scan of every fact for the country, were most of its time). The country counts the
    kabupaten/kota of its provinces, as the refresh sums them (a kabupaten's refresh writes its
    province's fact too)."""
    if not facts:
        return {}
    totals = RegionFact.objects.filter(dimension="total")
    provinces = (
        totals.filter(parent_code=NATIONAL).values("region_code")
        if any(f.level == 0 for f in facts)
        else [f.region_code for f in facts]
    )
    regencies = list(
        totals.filter(parent_code__in=provinces, level=Level.REGENCY).values_list(
            "region_code", "parent_code"
        )
    )
    by_province = defaultdict(list)
    for code, province in regencies:
        by_province[province].append(code)
    return {
        f.region_code: [code for code, _ in regencies]
        if f.level == 0
        else by_province[f.region_code]
        for f in facts
    }


def _by_registered_share(fact, regency: Workforce | None, registered: int | None):
    if not (regency and registered and fact.registered):
        return None
    workers = regency.informal_workers * fact.registered // registered
    return Workforce(workers, regency.source, "share") if workers else None


def _summed(estimates: list[Workforce | None]) -> Workforce | None:
    if not estimates or None in estimates:
        return None
    sources = sorted({e.source for e in estimates})
    return Workforce(sum(e.informal_workers for e in estimates), "; ".join(sources), "sum")


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


@dataclass(frozen=True)
class PublicCell:
    """A figure as the public pages show it: hidden (value None) when ``disclosure`` says so."""

    value: int | None
    suppressed: bool

    @classmethod
    def of(cls, value: int, hidden: bool) -> PublicCell:
        return cls(None if hidden else value, hidden)


def summaries_version() -> str:
    """Changes whenever what the summary pages show can change, for caching what is computed
    from it: the country's row is rewritten by every refresh, in the refresh's transaction, and
    read from the same database as the other summary rows (a replica that is behind gives the
    old version with the old rows); the workforce estimates' history changes with every edit."""
    refreshed = (
        RegionFact.objects.filter(region_code=NATIONAL, dimension="total", key="")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    edited = WorkforceEstimate.history.aggregate(last=Max("history_id"))["last"]
    return f"{refreshed.isoformat() if refreshed else '-'}.{edited or 0}"


def public_suppression() -> dict[str, set[str]]:
    """The regions whose figures no public page shows, per measure, decided once for the whole
    tree so that a region is hidden alike on its own page and on its parent's. Kept in the cache
    until the summaries change: over every village of the country it takes seconds."""
    return cache.get_or_set(
        f"reports:public-suppression:{summaries_version()}", _public_suppression, timeout=86400
    )


def _public_suppression() -> dict[str, set[str]]:
    rows = list(
        RegionFact.objects.filter(dimension="total").values_list(
            "region_code", "parent_code", "covered", "claims_paid"
        )
    )
    parent_of = {code: parent for code, parent, _covered, _families in rows}
    return {
        "covered": disclosure.hidden_regions({r[0]: r[2] for r in rows}, parent_of),
        "families": disclosure.hidden_regions({r[0]: r[3] for r in rows}, parent_of),
    }


def _published(row: Row, hidden: dict[str, set[str]]) -> dict[str, PublicCell]:
    code = row.code
    covered_hidden = code in hidden["covered"]
    families_hidden = code in hidden["families"]
    return {
        "covered": PublicCell.of(row.fact.covered, covered_hidden),
        # The share of the workforce times the estimate gives the count back: hidden with it.
        "rate": PublicCell.of(row.coverage_of_workforce, covered_hidden),
        "families": PublicCell.of(row.fact.claims_paid, families_hidden),
        # The money paid in a cell tells how many families it paid: hidden with their count.
        "benefits": PublicCell.of(row.fact.benefits_paid, families_hidden),
    }


def public_view(code: str) -> tuple[Row, dict[str, PublicCell], list[dict]]:
    """A region's published figures and its children's; a village has no public page."""
    year = report_date().year  # the estimate of the year the figures are counted for
    total = _rows(RegionFact.objects.filter(region_code=code, dimension="total"), year)
    if not total or total[0].fact.level >= Level.VILLAGE:
        raise Http404(code)
    hidden = public_suppression()
    children = [
        {"code": row.code, "name": row.name, "level": row.fact.level} | _published(row, hidden)
        for row in _rows(
            RegionFact.objects.filter(parent_code=code, dimension="total").order_by("region_code"),
            year,
        )
    ]
    return total[0], _published(total[0], hidden), children


def public_trend(
    row: Row, published: dict[str, PublicCell]
) -> list[tuple[datetime.date, int | None]]:
    """Workers protected per month in a region (summed over its kabupaten/kota), as the public
    may read it: none when the region's own count is hidden (its latest month is that count),
    and a month of 1–4 withheld (``(month, None)``). A kecamatan has no monthly count of its
    own: empty."""
    if published["covered"].suppressed or row.fact.level > Level.REGENCY:
        return []
    months = CoverageMonth.objects.all()
    if row.fact.level > 0:
        months = months.filter(
            Q(regency_code=row.code) | Q(regency_code__startswith=row.code + ".")
        )
    totals = months.values("month").annotate(covered=Sum("covered")).order_by("month")
    return [
        (m["month"], None if disclosure.is_small(m["covered"]) else m["covered"]) for m in totals
    ]


def public_league(year: int) -> list[tuple[Row, dict[str, PublicCell]]]:
    """Every kabupaten/kota with figures, as the anonymous national page shows them: the same
    published cells as the public pages (one suppression for the whole tree), best share of the
    informal workforce first, then by name."""
    hidden = public_suppression()
    rows = [
        (row, _published(row, hidden))
        for row in _rows(RegionFact.objects.filter(level=Level.REGENCY, dimension="total"), year)
    ]
    return sorted(rows, key=lambda pair: (-(pair[1]["rate"].value or Decimal(-1)), pair[0].name))


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
