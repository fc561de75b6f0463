"""Refreshing the summary tables of one kabupaten/kota, set-based, in one transaction.

Workers are counted per village in one pass (``VillageCount``: whole, by sex, by occupation —
``GROUPING SETS`` on PostgreSQL, a ``UNION ALL`` of the same groupings elsewhere), the
protected and the lapsed found as sets (each an existence test the planner turns into one join
over the enrolments, not a probe per worker and dimension), and the trend per village and month
likewise (``VillageCoverageMonth``). The village, kecamatan and kabupaten rows of ``RegionFact``
and the kabupaten's ``CoverageMonth`` are then sums of those village rows; claims and money are
grouped aggregates; the province and country rows are re-summed from their kabupaten rows.

Incremental: ``core.events.region_changed`` marks the village that changed (``DirtyVillage``;
a change named by its kabupaten marks all of it), and ``refresh_regency(…, incremental=True)``
recounts only the marked villages' workers, as long as the kabupaten was last counted on the
same day (protection is counted on the day). Nothing here loads workers into Python.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from jaring.core.region_codes import Level, level_of, parent_code
from jaring.finance.models import lapsed_sql
from jaring.finance.protection import Scope, month_end, protected_sql, scoped
from jaring.regions.models import Region
from jaring.registry.models import Worker
from jaring.reports.models import (
    NATIONAL,
    CountedDay,
    CoverageMonth,
    DirtyVillage,
    RegionFact,
    VillageCount,
    VillageCoverageMonth,
)

TREND_MONTHS = 24
# Table names from the models, never written out (quoted for the database in use).
quote = connection.ops.quote_name
WORKER_TABLE = quote(Worker._meta.db_table)
FACT_TABLE = quote(RegionFact._meta.db_table)
VILLAGE_TABLE = quote(VillageCount._meta.db_table)
VILLAGE_MONTH_TABLE = quote(VillageCoverageMonth._meta.db_table)
FACT_COLUMNS = (
    "region_code, level, parent_code, dimension, key, registered, covered, lapsed, "
    "claims_reported, claims_open, claims_paid, claims_rejected, benefits_paid, "
    "pay_days_total, allocated, billed, paid, refreshed_at"
)

# The village counts: (dimension, the worker column that is its key, or None for the total).
DIMENSIONS = [("total", None), ("sex", "sex"), ("occupation", "occupation")]


def report_date() -> datetime.date:
    pinned = settings.JARING_REPORT_DATE
    return datetime.date.fromisoformat(pinned) if pinned else timezone.localdate()


def mark_dirty(region_code: str) -> None:
    """Remember that a village (or, for any other code, the whole kabupaten) needs a recount."""
    village = region_code if level_of(region_code) == Level.VILLAGE else DirtyVillage.WHOLE_REGENCY
    try:
        DirtyVillage.objects.bulk_create(
            [DirtyVillage(regency_code=region_code[:5], village_code=village)],
            ignore_conflicts=True,
        )
    except IntegrityError:  # pragma: no cover - ignore_conflicts covers the unique key
        pass


@transaction.atomic
def refresh_regency(
    regency_code: str, today: datetime.date | None = None, *, incremental: bool = False
) -> None:
    """Recount one kabupaten/kota (villages, kecamatan, itself), then its province and the
    country. ``incremental``: recount the workers of the villages marked since the last refresh
    only (every village when the last count was for another day or a change named the whole
    kabupaten); the rest of its rows are re-summed from the village counts already stored."""
    today = today or report_date()
    now = timezone.now()
    # One refresh of a kabupaten at a time: the second waits, then sees the first's rows.
    Region.objects.select_for_update().filter(code=regency_code).exists()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # per-worker plans are cheap; compiling them is not
            cursor.execute("SET LOCAL jit = off")
    marks = dict(
        DirtyVillage.objects.filter(regency_code=regency_code).values_list("pk", "village_code")
    )
    marked = set(marks.values())
    # Only the marks read here: one committed meanwhile waits for the next refresh.
    DirtyVillage.objects.filter(pk__in=list(marks)).delete()
    counted = CountedDay.objects.filter(regency_code=regency_code).first()
    whole = (
        not incremental
        or counted is None
        or counted.day != today
        or DirtyVillage.WHOLE_REGENCY in marked
    )
    villages = None if whole else sorted(marked)
    if villages != []:
        count_villages(regency_code, today, villages)
    CountedDay.objects.update_or_create(regency_code=regency_code, defaults={"day": today})
    RegionFact.objects.filter(
        Q(region_code=regency_code) | Q(region_code__startswith=regency_code + ".")
    ).delete()
    _sum_villages(regency_code, now)
    _add_claims(regency_code)
    _add_money(regency_code, today.year)
    RegionFact.objects.filter(
        Q(region_code=regency_code) | Q(region_code__startswith=regency_code + ".")
    ).update(protected_on=today)
    _resum(parent_code(regency_code), 1, Q(level=2, parent_code=parent_code(regency_code)), now)
    _resum(NATIONAL, 0, Q(level=1), now)
    _sum_trend(regency_code)


def _workers_where(regency_code: str, villages: list[str] | None) -> tuple[str, list]:
    """The workers of a kabupaten (alias ``w``), or of some of its villages."""
    if villages is None:
        return "w.regency_code = %s", [regency_code]
    marks = ", ".join(["%s"] * len(villages))
    return f"w.regency_code = %s AND w.village_id IN ({marks})", [regency_code, *villages]


def count_villages(
    regency_code: str,
    today: datetime.date,
    villages: list[str] | None,
    grouping_sets: bool | None = None,
) -> None:
    """(Re)write the ``VillageCount`` and ``VillageCoverageMonth`` rows of the given villages of
    a kabupaten (``None``: all of them), in one grouped pass over their living workers and one
    over the enrolled for the trend. ``grouping_sets``: one ``GROUPING SETS`` pass (PostgreSQL's
    default) rather than a ``UNION ALL`` of the groupings (the portable path; tests compare the
    two)."""
    stale = {"regency_code": regency_code}
    if villages is not None:
        stale["village_code__in"] = villages
    VillageCount.objects.filter(**stale).delete()
    VillageCoverageMonth.objects.filter(**stale).delete()
    where, where_params = _workers_where(regency_code, villages)
    with scoped(where, where_params) as scope:
        _count_villages(regency_code, today, where, where_params, scope, grouping_sets)
        _count_trend(regency_code, today, where, where_params, scope)


def _count_villages(
    regency_code: str,
    today: datetime.date,
    where: str,
    where_params: list,
    scope: Scope,
    grouping_sets: bool | None,
) -> None:
    """The ``VillageCount`` rows of the workers ``where`` selects (``scope``: theirs)."""
    protected, protected_params = protected_sql("w.id", today, scope=scope)
    # Each worker once as registered, once more when protected, once more when lapsed: the
    # protected and the lapsed are sets (an EXISTS in a WHERE is a semi join, the enrolments
    # joined once, not a probe per worker and dimension), summed without joining them back to
    # the workers (a join a planner without statistics may run as a nested loop).
    row = (
        "w.village_id AS village, w.district_code AS district, w.sex AS sex, "
        "w.occupation_id AS occupation"
    )
    flagged = f"""
        SELECT {row}, 1 AS registered, 0 AS covered, 0 AS lapsed FROM {WORKER_TABLE} w
        WHERE {where} AND w.status = 'active'
        UNION ALL
        SELECT {row}, 0, 1, 0 FROM {WORKER_TABLE} w
        WHERE {where} AND w.status = 'active' AND {protected}
        UNION ALL
        SELECT {row}, 0, 0, 1 FROM {WORKER_TABLE} w
        WHERE {where} AND w.status = 'active' AND {lapsed_sql("w.id")}
    """  # nosec B608 - identifiers from model metadata, values are parameters
    flagged_params = [*where_params, *where_params, *protected_params, *where_params]
    columns = (
        "regency_code, district_code, village_code, dimension, key, registered, covered, lapsed"
    )
    sums = "SUM(registered), SUM(covered), SUM(lapsed)"
    if grouping_sets is None:
        grouping_sets = connection.vendor == "postgresql"
    if grouping_sets:
        sets = ", ".join(f"(village, district{', ' + key if key else ''})" for _, key in DIMENSIONS)
        dimension = (
            "CASE "
            + " ".join(f"WHEN GROUPING({key}) = 0 THEN '{name}'" for name, key in DIMENSIONS if key)
            + " ELSE 'total' END"
        )
        key = (
            "CASE "
            + " ".join(f"WHEN GROUPING({key}) = 0 THEN {key}" for _, key in DIMENSIONS if key)
            + " ELSE '' END"
        )
        select = (
            f"SELECT %s, district, village, {dimension}, {key}, {sums} FROM flagged "  # nosec B608
            f"GROUP BY GROUPING SETS ({sets})"
        )
        select_params = [regency_code]
    else:  # the same groupings, one after the other
        select = " UNION ALL ".join(
            f"SELECT %s, district, village, '{name}', {key or "''"}, {sums} FROM flagged "  # nosec B608
            f"GROUP BY village, district{', ' + key if key else ''}"
            for name, key in DIMENSIONS
        )
        select_params = [regency_code] * len(DIMENSIONS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH flagged AS ({flagged}) INSERT INTO {VILLAGE_TABLE} ({columns}) {select}",  # nosec B608
            [*flagged_params, *select_params],
        )


def _trend_days(today: datetime.date) -> list[datetime.date]:
    """The day each of the last months is counted on: its last day, today for the current one."""
    days, month = [], today.replace(day=1)
    for _ in range(TREND_MONTHS):
        days.append(min(today, month_end(month)))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return days


def _count_trend(
    regency_code: str, today: datetime.date, where: str, where_params: list, scope: Scope
) -> None:
    """Workers protected at the end of each of the last months, per village, by
    ``finance.protection`` (protection implies an enrolment): a set per month, grouped once."""
    branches, params = [], []
    for day in _trend_days(today):
        protected, day_params = protected_sql("w.id", day, scope=scope)
        branches.append(
            f"SELECT w.village_id AS village, %s AS month FROM {WORKER_TABLE} w "  # nosec B608
            f"WHERE {where} AND {protected}"
        )
        params += [day.replace(day=1), *where_params, *day_params]
    sql = (
        f"INSERT INTO {VILLAGE_MONTH_TABLE} (regency_code, village_code, month, covered) "  # nosec B608
        f"SELECT %s, village, month, COUNT(*) FROM ({' UNION ALL '.join(branches)}) AS months "
        "GROUP BY village, month"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [regency_code, *params])


def _sum_villages(regency_code: str, now) -> None:
    """The worker counts of ``RegionFact``: each village's, each kecamatan's (whole and by sex)
    and the kabupaten's (whole, by sex, by occupation), summed from the village counts."""
    zeros = "0, 0, 0, 0, 0, 0, 0, 0, 0"
    sums = "SUM(registered), SUM(covered), SUM(lapsed)"
    statements = [
        # (region column, level, parent, dimensions, extra group columns)
        ("village_code", 4, "district_code", ("total",), "district_code"),
        ("district_code", 3, "%s", ("total", "sex"), None),
        ("%s", 2, "%s", ("total", "sex", "occupation"), None),
    ]
    for region, level, parent, dimensions, extra in statements:
        named = None if region == "%s" else region
        group = ", ".join(c for c in (named, extra, "dimension", "key") if c)
        region_params = [regency_code] if region == "%s" else []
        parent_params = (
            [regency_code if level == 3 else parent_code(regency_code)] if parent == "%s" else []
        )
        marks = ", ".join(["%s"] * len(dimensions))
        sql = (
            f"INSERT INTO {FACT_TABLE} ({FACT_COLUMNS}) "  # nosec B608
            f"SELECT {region}, %s, {parent}, dimension, key, {sums}, {zeros}, %s "
            f"FROM {VILLAGE_TABLE} WHERE regency_code = %s AND dimension IN ({marks}) "
            f"GROUP BY {group}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [*region_params, level, *parent_params, now, regency_code, *dimensions],
            )


def _add_claims(regency_code: str) -> None:
    """Claims per village where they happened, rolled up to kecamatan and kabupaten."""
    from jaring.claims.models import OPEN_CLAIM_STATUSES, Claim, ClaimStatus

    paid = Q(status=ClaimStatus.PAID)
    rows = (
        Claim.objects.filter(village__code__startswith=regency_code + ".")
        .values("village_id")
        .annotate(
            reported=Count("id", filter=~Q(status=ClaimStatus.DISMISSED)),
            open=Count("id", filter=Q(status__in=OPEN_CLAIM_STATUSES)),
            paid_n=Count("id", filter=paid),
            rejected=Count("id", filter=Q(status=ClaimStatus.REJECTED)),
            amount=Sum("bpjs_total", filter=paid, default=0),  # what BPJS paid
        )
    )
    days = _pay_days_by_village(regency_code)
    now = timezone.now()
    for row in rows:
        village = row["village_id"]
        for code, level, parent in ((village, 4, village[:8]), (village[:8], 3, regency_code)):
            # A village whose only worker died has no worker row left, but keeps its claim.
            RegionFact.objects.get_or_create(
                region_code=code,
                dimension="total",
                key="",
                defaults={"level": level, "parent_code": parent, "refreshed_at": now},
            )
        for code in (village, village[:8], regency_code):
            RegionFact.objects.filter(region_code=code, dimension="total").update(
                claims_reported=F("claims_reported") + row["reported"],
                claims_open=F("claims_open") + row["open"],
                claims_paid=F("claims_paid") + row["paid_n"],
                claims_rejected=F("claims_rejected") + row["rejected"],
                benefits_paid=F("benefits_paid") + row["amount"],
                pay_days_total=F("pay_days_total") + days.get(village, 0),
            )


def _pay_days_by_village(regency_code: str) -> dict[str, int]:
    """Working days from BPJS's receipt of the complete file to its payment, summed per village
    (a handful of paid claims): the claim page's service-level clock, never the days since the
    death or accident, which the Pemda's own steps and the family's lengthen."""
    from jaring.claims.models import Claim
    from jaring.claims.rules import working_days_between

    totals: dict[str, int] = {}
    paid = Claim.objects.filter(
        village__code__startswith=regency_code + ".", status="paid"
    ).values_list("village_id", "bpjs_received_on", "paid_on")
    for village, received, paid_on in paid:
        totals[village] = totals.get(village, 0) + working_days_between(received, paid_on)
    return totals


def _add_money(regency_code: str, year: int) -> None:
    from jaring.finance.models import Allocation, Invoice, Payment

    allocated = Allocation.objects.filter(
        source__region_id=regency_code, fiscal_year=year
    ).aggregate(total=Sum("amount", default=0))["total"]
    invoices = Invoice.objects.filter(source__region_id=regency_code, month__year=year)
    billed = invoices.aggregate(total=Sum("total", default=0))["total"]
    paid = Payment.objects.filter(invoice__in=invoices).aggregate(total=Sum("amount", default=0))[
        "total"
    ]
    RegionFact.objects.filter(region_code=regency_code, dimension="total").update(
        allocated=allocated, billed=billed, paid=paid
    )


SUMMED = [
    "registered",
    "covered",
    "lapsed",
    "claims_reported",
    "claims_open",
    "claims_paid",
    "claims_rejected",
    "benefits_paid",
    "pay_days_total",
    "allocated",
    "billed",
    "paid",
]


def _resum(code: str, level: int, children: Q, now) -> None:
    totals = RegionFact.objects.filter(children, dimension="total").aggregate(
        **{field: Sum(field, default=0) for field in SUMMED}, protected_on=Min("protected_on")
    )
    RegionFact.objects.update_or_create(
        region_code=code,
        dimension="total",
        key="",
        defaults={
            "level": level,
            "parent_code": NATIONAL if level == 1 else "",
            "refreshed_at": now,
            **totals,
        },
    )


def _sum_trend(regency_code: str) -> None:
    """The kabupaten's trend line: its villages' protected workers per month, summed."""
    CoverageMonth.objects.filter(regency_code=regency_code).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(CoverageMonth._meta.db_table)} (regency_code, month, covered) "  # nosec B608
            f"SELECT regency_code, month, SUM(covered) FROM {VILLAGE_MONTH_TABLE} "
            "WHERE regency_code = %s GROUP BY regency_code, month",
            [regency_code],
        )
