"""Refreshing the summary tables of one kabupaten/kota, set-based, in one transaction.

Workers are counted by ``INSERT … SELECT … GROUP BY`` per level and dimension (a village, its
kecamatan, the kabupaten; by sex and occupation), claims and money by grouped aggregates; the
province and country rows are then re-summed from their kabupaten rows. Nothing here loads
workers into Python.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from jaring.core.region_codes import parent_code
from jaring.enrolment.models import Enrolment
from jaring.finance.models import lapsed_sql
from jaring.finance.protection import month_end, protected_sql
from jaring.registry.models import Worker
from jaring.reports.models import NATIONAL, CoverageMonth, RegionFact

TREND_MONTHS = 24
# Table names from the models, never written out (quoted for the database in use).
WORKER_TABLE = connection.ops.quote_name(Worker._meta.db_table)
ENROLMENT_TABLE = connection.ops.quote_name(Enrolment._meta.db_table)
FACT_TABLE = connection.ops.quote_name(RegionFact._meta.db_table)


def _workers_sql(today: datetime.date) -> tuple[str, list]:
    """One row per living worker of a regency (its id the last parameter): where it lives, who
    it is, and whether it is protected on ``today`` (``finance.protection``, the one definition)."""
    protected, params = protected_sql("w.id", today)
    sql = f"""
        SELECT w.village_id AS village, w.district_code AS district, w.regency_code AS regency,
               w.sex AS sex, w.occupation_id AS occupation,
               CASE WHEN {protected} THEN 1 ELSE 0 END AS covered,
               CASE WHEN {lapsed_sql("w.id")} THEN 1 ELSE 0 END AS lapsed
        FROM {WORKER_TABLE} w
        WHERE w.regency_code = %s AND w.status = 'active'
    """  # nosec B608
    return sql, params


# (level, region column, parent column or literal, dimension, key column)
GROUPINGS = [
    (4, "village", "district", "total", "''"),
    (3, "district", "regency", "total", "''"),
    (2, "regency", None, "total", "''"),
    (2, "regency", None, "sex", "sex"),
    (2, "regency", None, "occupation", "occupation"),
    (3, "district", "regency", "sex", "sex"),
]


def report_date() -> datetime.date:
    pinned = settings.JARING_REPORT_DATE
    return datetime.date.fromisoformat(pinned) if pinned else timezone.localdate()


SUMMARIES_VERSION_KEY = "reports:summaries-version"


def summaries_version() -> str:
    """A token that changes whenever the summary tables change, for caching what is computed
    from them (the public pages' suppression over the whole tree). A lost token is replaced by a
    new one, never reset to an old value, so a stale entry cannot match again."""
    version = cache.get(SUMMARIES_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(SUMMARIES_VERSION_KEY, version, timeout=None)
        version = cache.get(SUMMARIES_VERSION_KEY, version)
    return version


def summaries_changed() -> None:
    cache.set(SUMMARIES_VERSION_KEY, uuid.uuid4().hex, timeout=None)


@transaction.atomic
def refresh_regency(regency_code: str, today: datetime.date | None = None) -> None:
    """Recount one kabupaten/kota (villages, kecamatan, itself), then its province and the
    country."""
    today = today or report_date()
    now = timezone.now()
    RegionFact.objects.filter(
        Q(region_code=regency_code) | Q(region_code__startswith=regency_code + ".")
    ).delete()
    _count_workers(regency_code, today, now)
    _add_claims(regency_code)
    _add_money(regency_code, today.year)
    RegionFact.objects.filter(
        Q(region_code=regency_code) | Q(region_code__startswith=regency_code + ".")
    ).update(protected_on=today)
    _resum(parent_code(regency_code), 1, Q(level=2, parent_code=parent_code(regency_code)), now)
    _resum(NATIONAL, 0, Q(level=1), now)
    _refresh_trend(regency_code, today)
    # Now, for readers in this transaction; again at commit, because a reader in between may
    # have cached what it computed from the rows before this refresh under the new token.
    summaries_changed()
    transaction.on_commit(summaries_changed)


def _count_workers(regency_code: str, today: datetime.date, now) -> None:
    workers, worker_params = _workers_sql(today)
    for level, column, parent, dimension, key in GROUPINGS:
        parent_sql = parent if parent else "%s"
        params = [] if parent else [parent_code(regency_code)]
        group = ", ".join(c for c in (column, parent, key if key != "''" else None) if c)
        sql = (
            f"INSERT INTO {FACT_TABLE} (region_code, level, parent_code, dimension, key, "
            "registered, covered, lapsed, claims_reported, claims_open, claims_paid, "
            "claims_rejected, benefits_paid, pay_days_total, allocated, billed, paid, "
            "refreshed_at) "
            f"SELECT {column}, %s, {parent_sql}, %s, {key}, COUNT(*), SUM(covered), SUM(lapsed), "  # nosec B608
            f"0, 0, 0, 0, 0, 0, 0, 0, 0, %s FROM ({workers}) AS workers "  # nosec B608
            f"GROUP BY {group}"  # nosec B608
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [level, *params, dimension, now, *worker_params, regency_code])


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


def _refresh_trend(regency_code: str, today: datetime.date) -> None:
    """Workers protected at the end of each of the last months (today for the current one), by
    ``finance.protection``: one pass over the regency's enrolled workers, one count per month."""
    days, month = [], today.replace(day=1)
    for _ in range(TREND_MONTHS):
        days.append(min(today, month_end(month)))
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    counts, params = [], []
    for day in days:
        protected, day_params = protected_sql("w.id", day)
        counts.append(f"SUM(CASE WHEN {protected} THEN 1 ELSE 0 END)")
        params += day_params
    sql = (
        f"SELECT {', '.join(counts)} FROM {WORKER_TABLE} w "  # nosec B608
        "WHERE w.regency_code = %s "
        f"AND EXISTS (SELECT 1 FROM {ENROLMENT_TABLE} e WHERE e.worker_id = w.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, regency_code])
        row = cursor.fetchone()
    CoverageMonth.objects.filter(regency_code=regency_code).delete()
    CoverageMonth.objects.bulk_create(
        CoverageMonth(regency_code=regency_code, month=day.replace(day=1), covered=count)
        for day, count in zip(days, row, strict=True)
        if count
    )
