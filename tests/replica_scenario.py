"""One step of the read-replica test, run in its own process (test_read_replica.py starts it
with DATABASE_URL on the primary cluster and JARING_REPLICA_URL on its streaming standby). Each
step prints one JSON object:

- `write <region> <registered>`: a summary row saved through the ORM; where it was written.
- `read <region>`: where the router sends a summary read, what it found there, how many queries
  each connection ran, whether that database is a standby; and the same read inside a
  transaction on the primary.
- `replica-write`: a write forced onto the replica (the standby must refuse it).
- `page`: the public page (it reads only summaries): status, queries per connection."""

import json
import sys

import django


def _queries(step) -> tuple[object, dict[str, int]]:
    """``step()`` and the queries it sent to each database (counted without connecting: the
    replica may be down)."""
    from contextlib import ExitStack

    from django.db import connections

    counts = {"default": 0, "replica": 0}

    def counter(alias):
        def count(execute, sql, params, many, context):
            counts[alias] += 1
            return execute(sql, params, many, context)

        return count

    with ExitStack() as stack:
        for alias in counts:
            stack.enter_context(connections[alias].execute_wrapper(counter(alias)))
        result = step()
    return result, counts


def write(region: str, registered: str) -> dict:
    from django.utils import timezone

    from jaring.reports.models import RegionFact

    fact = RegionFact.objects.create(
        region_code=region,
        level=len(region.split(".")),
        parent_code=region.split(".")[0] if "." in region else "ID",
        registered=int(registered),
        refreshed_at=timezone.now(),
    )
    return {"written_to": fact._state.db}


def read(region: str) -> dict:
    from django.db import connections, router, transaction

    from jaring.reports.models import RegionFact

    def registered():
        return (
            RegionFact.objects.filter(region_code=region, dimension="total")
            .values_list("registered", flat=True)
            .first()
        )

    alias = router.db_for_read(RegionFact) or "default"
    found, queries = _queries(registered)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        standby = cursor.fetchone()[0]
    with transaction.atomic():
        in_transaction = registered()
    return {
        "alias": alias,
        "registered": found,
        "queries": queries,
        "standby": standby,
        "registered_in_transaction": in_transaction,
    }


def replica_write() -> dict:
    from django.db import DatabaseError
    from django.utils import timezone

    from jaring.reports.models import RegionFact

    try:
        RegionFact.objects.using("replica").create(
            region_code="14.99", level=2, parent_code="14", refreshed_at=timezone.now()
        )
    except DatabaseError as error:
        return {"refused": str(error).splitlines()[0]}
    return {"refused": None}


def page() -> dict:
    from django.test import Client

    response, queries = _queries(lambda: Client().get("/publik/"))
    return {"status": response.status_code, "queries": queries}


if __name__ == "__main__":
    django.setup()
    steps = {"write": write, "read": read, "replica-write": replica_write, "page": page}
    print(json.dumps(steps[sys.argv[1]](*sys.argv[2:])))
