"""A federation on PostgreSQL's own logical replication, on this machine: two Pemda instances
and a national hub, each its own PostgreSQL cluster on a loopback port, created here and
dropped after. Each Pemda publishes; the hub subscribes to both, builds the national table from
what arrived, finds the person both instances pay for in the same months, and each Pemda
receives the finding about itself through its own subscription to the hub.

Needs root and Debian's pg_createcluster (CI has both); it runs in the PostgreSQL pass only."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pg_clusters

ROOT = Path(__file__).resolve().parent.parent
NATIONAL_KEY = "bmF0aW9uYWwtaW5kZXgta2V5LWZvci10ZXN0cy0zMmI="
CLUSTERS = {"bengkalis": 5441, "siak": 5442, "hub": 5443}

pytestmark = pg_clusters.only_on_postgresql


def conninfo(name: str) -> str:
    return pg_clusters.conninfo(CLUSTERS[name])


def _cluster(name: str) -> str:
    return f"jaring_fed_{name}"


def _create_cluster(name: str) -> None:
    logical = "wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n"
    pg_clusters.create_cluster(_cluster(name), CLUSTERS[name], logical)
    pg_clusters.create_database(CLUSTERS[name])


def _env(name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    env |= {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLUSTERS[name]}/jaring",
        "JARING_SECRET_KEY": "federation-test",
        "JARING_NIK_ENCRYPTION_KEY": os.environ["JARING_NIK_ENCRYPTION_KEY"],
        # Each instance has its OWN blind-index key; only the national key is shared.
        "JARING_NIK_INDEX_KEY": {
            "bengkalis": "YmVuZ2thbGlzLWJsaW5kLWluZGV4LWtleS0zMmJ5dGU=",
            "siak": "c2lhay1ibGluZC1pbmRleC1rZXktb2YtMzItYnl0ZXM=",
            "hub": "aHViLWJsaW5kLWluZGV4LWtleS1vZi0zMi1ieXRlcyE=",
        }[name],
        "JARING_NATIONAL_INDEX_KEY": NATIONAL_KEY,
        "JARING_INSTANCE_NAME": name,
        "JARING_VAR_DIR": str(ROOT / "var" / f"federation-{name}"),
        "DJANGO_SETTINGS_MODULE": "jaring.settings",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
    }
    return env


def jaring(name: str, *arguments) -> str:
    return pg_clusters.run(sys.executable, "-m", "jaring", *arguments, env=_env(name))


def scenario(name: str, *arguments) -> str:
    return pg_clusters.run(
        sys.executable, str(ROOT / "tests" / "federation_scenario.py"), *arguments, env=_env(name)
    )


def query(name: str, sql: str):
    return pg_clusters.query(CLUSTERS[name], sql)


def wait_for(name: str, sql: str, expected, seconds: int = 120):
    return pg_clusters.wait_for(CLUSTERS[name], sql, expected, seconds)


@pytest.fixture(scope="module")
def clusters():
    pg_clusters.require_cluster_tools()
    try:
        for name in CLUSTERS:
            _create_cluster(name)
        migrations = {
            name: subprocess.Popen(
                [sys.executable, "-m", "jaring", "migrate", "--no-input"],
                env=_env(name),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in CLUSTERS
        }
        for name, process in migrations.items():
            assert process.wait(timeout=900) == 0, f"{name}: {process.stderr.read()[-2000:]}"
        yield CLUSTERS
    finally:
        for name in CLUSTERS:
            pg_clusters.drop_cluster(_cluster(name))


def test_two_pemda_instances_and_a_hub_find_a_double_payment_and_sum_the_nation(clusters):
    # Bengkalis pays January-June 2025 for five people; Siak pays April-September for five,
    # the first of whom is also on Bengkalis's list: April-June is paid twice.
    scenario("bengkalis", "pemda", "14.03", "1,2,3,4,5,6")
    scenario("siak", "pemda", "14.08", "4,5,6,7,8,9", "--share-first-with", "14.03")

    for name in ("bengkalis", "siak"):
        jaring("hub", "federation", "subscribe", "--instance", name, "--conninfo", conninfo(name))
    keys = wait_for(
        "hub",
        "SELECT instance, COUNT(*) FROM federation_enrolledkey GROUP BY 1 ORDER BY 1",
        [("bengkalis", 5), ("siak", 5)],
    )
    assert keys == [("bengkalis", 5), ("siak", 5)]
    # Only the published columns travel: the instance's local worker link stays home.
    assert query(
        "hub", "SELECT COUNT(*) FROM federation_enrolledkey WHERE worker_id IS NOT NULL"
    ) == [(0,)]
    facts = wait_for(
        "hub",
        "SELECT region_code, registered FROM federation_publishedfact WHERE level = 2 ORDER BY 1",
        [("14.03", 5), ("14.08", 5)],
    )
    assert facts == [("14.03", 5), ("14.08", 5)]
    # Nothing personal reached the hub: no names, no NIKs, no workers at all.
    assert query("hub", "SELECT COUNT(*) FROM registry_worker") == [(0,)]

    table = jaring("hub", "federation", "table", "--json")
    assert '"registered": 10' in table and '"regencies": 2' in table

    assert "double_payments: 1" in jaring("hub", "federation", "find-doubles")
    assert query("hub", "SELECT instance_a, instance_b, months FROM federation_doublepayment") == [
        ("bengkalis", "siak", 0b111000)  # April, May and June
    ]

    # Each Pemda receives the finding about itself, and finds its own worker from it.
    for name in ("bengkalis", "siak"):
        jaring(name, "federation", "follow-hub", "--conninfo", conninfo("hub"))
        arrived = wait_for(name, "SELECT COUNT(*) FROM federation_doublepayment", [(1,)])
        assert arrived == [(1,)], name
        worker = scenario(name, "worker-of", "14.03").strip()
        findings = jaring(name, "federation", "doubles", "--json")
        assert f'"worker_id": {worker}' in findings and '"months": [4, 5, 6]' in findings
