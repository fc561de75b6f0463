"""Federation writes: an instance fills its outbox; the hub subscribes and finds double payments.

The transport is PostgreSQL's own logical replication (publications on each instance,
subscriptions at the hub and back); Jaring only fills the published tables and issues the
publication/subscription statements. docs/SCALE.md has the deployment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from jaring.core.crypto import decrypt_nik, national_index
from jaring.federation import rules
from jaring.federation.models import DoublePayment, EnrolledKey, PublishedFact
from jaring.finance.models import FundingSource, Invoice, InvoiceLine
from jaring.regions.models import Region
from jaring.registry.models import Worker
from jaring.reports.models import RegionFact

FACT_FIELDS = (
    "registered",
    "covered",
    "lapsed",
    "protected_on",
    "claims_paid",
    "benefits_paid",
    "allocated",
    "billed",
    "paid",
)
# The enrolled-key columns the hub receives: the local worker link stays home.
PUBLISHED_KEY_COLUMNS = (
    "instance",
    "national_index",
    "year",
    "funder_kind",
    "months",
    "published_at",
)
CHUNK = 5_000


@dataclass(frozen=True)
class Publication:
    instance: str
    facts: int
    keys: int
    withdrawn: int


def this_instance() -> str:
    if not settings.INSTANCE_NAME or not settings.NATIONAL_INDEX_KEY:
        raise ImproperlyConfigured(
            "Set JARING_INSTANCE_NAME and JARING_NATIONAL_INDEX_KEY to federate this instance."
        )
    return rules.checked_instance_name(settings.INSTANCE_NAME)


def publish(now=None) -> Publication:
    """Refresh the outbox from the summaries and the invoice lines, in one transaction.

    Rows already published and unchanged are rewritten in place (an upsert), so the hub sees
    updates, not deletes and inserts; rows no longer true are withdrawn."""
    instance = this_instance()
    now = now or timezone.now()
    with transaction.atomic():
        facts = _publish_facts(instance, now)
        keys = _publish_keys(instance, now)
        withdrawn = PublishedFact.objects.filter(instance=instance, published_at__lt=now).delete()[
            0
        ]
        withdrawn += EnrolledKey.objects.filter(instance=instance, published_at__lt=now).delete()[0]
    return Publication(instance, facts, keys, withdrawn)


def _publish_facts(instance: str, now) -> int:
    # Kabupaten/kota only: a kecamatan's claim counts are small enough to point at a family.
    summaries = RegionFact.objects.filter(dimension="total", key="", level=2)
    names = dict(
        Region.objects.filter(code__in=summaries.values("region_code")).values_list("code", "name")
    )
    rows = [
        PublishedFact(
            instance=instance,
            region_code=fact.region_code,
            level=fact.level,
            parent_code=fact.parent_code,
            name=names.get(fact.region_code, ""),
            published_at=now,
            **{field: getattr(fact, field) for field in FACT_FIELDS},
        )
        for fact in summaries.iterator()
    ]
    PublishedFact.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["instance", "region_code"],
        update_fields=["level", "parent_code", "name", "published_at", *FACT_FIELDS],
    )
    return len(rows)


def _month_sql(column: str) -> tuple[str, str]:
    """SQL for a date column's year and month number, per database."""
    if connection.vendor == "postgresql":
        return (f"EXTRACT(YEAR FROM {column})::int", f"EXTRACT(MONTH FROM {column})::int")
    return (
        f"CAST(strftime('%%Y', {column}) AS INTEGER)",
        f"CAST(strftime('%%m', {column}) AS INTEGER)",
    )


def _publish_keys(instance: str, now) -> int:
    """One row per person, year and funder kind: the months paid for, under the national index.

    The month sets are summed in SQL (distinct powers of two add up to the set); only the
    national HMAC needs Python, as it needs the NIK. Streamed in chunks."""
    year, month = _month_sql("l.month")
    sql = (
        f"SELECT l.worker_id, w.nik_cipher, {year}, s.kind, SUM(DISTINCT 1 << ({month} - 1)) "  # noqa: S608  # nosec B608
        f"FROM {InvoiceLine._meta.db_table} l "
        f"JOIN {Invoice._meta.db_table} i ON i.id = l.invoice_id "
        f"JOIN {FundingSource._meta.db_table} s ON s.id = i.source_id "
        f"JOIN {Worker._meta.db_table} w ON w.id = l.worker_id "
        "WHERE l.credit_note_id IS NULL "
        f"GROUP BY l.worker_id, w.nik_cipher, {year}, s.kind"
    )
    published = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [])  # with parameters, so %% reads as % on every backend
        while chunk := cursor.fetchmany(CHUNK):
            keys = [
                EnrolledKey(
                    instance=instance,
                    national_index=national_index(decrypt_nik(cipher)),
                    year=key_year,
                    funder_kind=kind,
                    months=months,
                    published_at=now,
                    worker_id=worker_id,
                )
                for worker_id, cipher, key_year, kind, months in chunk
            ]
            EnrolledKey.objects.bulk_create(
                keys,
                update_conflicts=True,
                unique_fields=["instance", "national_index", "year", "funder_kind"],
                update_fields=["months", "published_at", "worker"],
            )
            published += len(keys)
    return published


def find_double_payments(now=None) -> int:
    """At the hub: every pair of instances paying for the same person in the same months.

    Set-based: one INSERT … SELECT over the replicated keys (upserted, so a finding keeps the
    day it was first found), then findings no longer true are withdrawn. The hub publishes
    each instance's findings back to it (``serve_instance``)."""
    now = now or timezone.now()
    table, keys = DoublePayment._meta.db_table, EnrolledKey._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (national_index, year, instance_a, funder_a, instance_b, "  # noqa: S608  # nosec B608
            "funder_b, months, found_at, seen_at) "
            "SELECT a.national_index, a.year, a.instance, a.funder_kind, b.instance, "
            "b.funder_kind, a.months & b.months, %s, %s "
            f"FROM {keys} a JOIN {keys} b ON b.national_index = a.national_index "
            "AND b.year = a.year AND a.instance < b.instance "
            "WHERE (a.months & b.months) <> 0 "
            "ON CONFLICT (national_index, year, instance_a, funder_a, instance_b, funder_b) "
            "DO UPDATE SET months = excluded.months, seen_at = excluded.seen_at",
            [now, now],
        )
        found = cursor.rowcount
        DoublePayment.objects.filter(seen_at__lt=now).delete()
    return found


# Replication plumbing: PostgreSQL only. CREATE/DROP SUBSCRIPTION may not run inside a
# transaction block, so these run in autocommit (a management command's default).


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise ImproperlyConfigured("Federation by logical replication needs PostgreSQL.")


def _execute(statement) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def _publication_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", [name])
        return cursor.fetchone() is not None


def create_instance_publication() -> str:
    """On a Pemda instance: publish the outbox (the keys without their local worker link)."""
    from psycopg import sql

    _require_postgresql()
    this_instance()
    if not _publication_exists(rules.PUBLICATION):
        _execute(
            sql.SQL("CREATE PUBLICATION {} FOR TABLE {}, {} ({})").format(
                sql.Identifier(rules.PUBLICATION),
                sql.Identifier(PublishedFact._meta.db_table),
                sql.Identifier(EnrolledKey._meta.db_table),
                sql.SQL(", ").join(map(sql.Identifier, PUBLISHED_KEY_COLUMNS)),
            )
        )
    return rules.PUBLICATION


def subscribe_to_instance(instance: str, conninfo: str) -> str:
    """At the hub: receive one instance's outbox, and publish back the findings about it."""
    from psycopg import sql

    _require_postgresql()
    rules.checked_instance_name(instance)
    subscription = f"jaring_from_{instance}"
    _execute(
        sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {}").format(
            sql.Identifier(subscription),
            sql.Literal(conninfo),
            sql.Identifier(rules.PUBLICATION),
        )
    )
    back = rules.doubles_publication(instance)
    if not _publication_exists(back):
        _execute(
            sql.SQL(
                "CREATE PUBLICATION {} FOR TABLE {} WHERE (instance_a = {} OR instance_b = {})"
            ).format(
                sql.Identifier(back),
                sql.Identifier(DoublePayment._meta.db_table),
                sql.Literal(instance),
                sql.Literal(instance),
            )
        )
    return subscription


def follow_hub(conninfo: str) -> str:
    """On a Pemda instance: receive the hub's findings about this instance."""
    from psycopg import sql

    _require_postgresql()
    instance = this_instance()
    # Named after the instance: the subscription's replication slot lives on the hub, beside
    # every other instance's.
    subscription = f"jaring_hub_to_{instance}"
    _execute(
        sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {}").format(
            sql.Identifier(subscription),
            sql.Literal(conninfo),
            sql.Identifier(rules.doubles_publication(instance)),
        )
    )
    return subscription
