"""The read-replica router's decisions, on two SQLite files standing for a primary and its
replica (their own connection handler, beside the test database). The streaming replica itself
is tested on real PostgreSQL clusters in test_read_replica.py."""

import logging

import pytest
from django.db import router as installed_router
from django.db import transaction
from django.db.utils import ConnectionHandler

from jaring.core import db_router
from jaring.core.db_router import REPLICA, ReplicaRouter
from jaring.registry.models import Worker
from jaring.reports.models import CoverageMonth, RegionFact, WorkforceEstimate

SQLITE = "django.db.backends.sqlite3"


def _databases(primary, replica=None) -> ConnectionHandler:
    aliases = {"default": {"ENGINE": SQLITE, "NAME": str(primary)}}
    if replica:
        aliases[REPLICA] = {"ENGINE": SQLITE, "NAME": str(replica)}
    return ConnectionHandler(aliases)


@pytest.fixture(autouse=True)
def own_files(django_db_blocker):
    # These two files are this module's own, not the test database pytest-django guards.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def databases(tmp_path):
    handler = _databases(tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3")
    yield handler
    handler.close_all()


def test_the_summaries_are_read_from_the_replica_and_nothing_else_is(databases):
    router = ReplicaRouter(databases)
    assert router.db_for_read(RegionFact) == REPLICA
    assert router.db_for_read(CoverageMonth) == REPLICA
    # What a person edits and expects to see at once stays on the primary.
    assert router.db_for_read(WorkforceEstimate) is None
    assert router.db_for_read(Worker) is None


def test_without_a_replica_everything_reads_the_primary(tmp_path):
    router = ReplicaRouter(_databases(tmp_path / "primary.sqlite3"))
    assert router.db_for_read(RegionFact) is None


def test_writes_and_migrations_never_go_to_the_replica(databases):
    router = ReplicaRouter(databases)
    fact = RegionFact(region_code="14.03")
    fact._state.db = REPLICA  # as if read from the replica
    for model in (RegionFact, CoverageMonth, Worker):
        assert router.db_for_write(model, instance=fact) == "default"
    assert router.allow_migrate("default", "reports") is True
    assert router.allow_migrate(REPLICA, "reports") is False
    assert router.allow_migrate(REPLICA, "registry", model_name="worker") is False
    on_primary = RegionFact(region_code="14")
    on_primary._state.db = "default"
    assert router.allow_relation(fact, on_primary) is True


def test_the_router_is_installed_and_saves_a_replica_read_row_to_the_primary():
    fact = RegionFact(region_code="14.03")
    fact._state.db = REPLICA
    assert installed_router.db_for_write(RegionFact, instance=fact) == "default"
    assert installed_router.allow_migrate(REPLICA, "reports", model_name="regionfact") is False


def test_inside_a_transaction_on_the_primary_the_summaries_are_read_there(databases, monkeypatch):
    # The refresh deletes, recounts and re-sums in one transaction: it must read its own rows.
    monkeypatch.setattr(transaction, "get_connection", lambda using=None: databases["default"])
    router = ReplicaRouter(databases)
    with transaction.atomic():
        assert router.db_for_read(RegionFact) is None
    assert router.db_for_read(RegionFact) == REPLICA


def test_an_unreachable_replica_falls_back_to_the_primary_and_is_retried_later(
    tmp_path, monkeypatch, caplog
):
    # SQLite cannot open a file in a folder that does not exist: the replica is "down".
    folder = tmp_path / "standby"
    databases = _databases(tmp_path / "primary.sqlite3", folder / "replica.sqlite3")
    clock = [1000.0]
    monkeypatch.setattr(db_router.time, "monotonic", lambda: clock[0])
    router = ReplicaRouter(databases)
    with caplog.at_level(logging.WARNING, logger="jaring.core.db_router"):
        assert router.db_for_read(RegionFact) is None
        assert router.db_for_read(CoverageMonth) is None  # not retried at once
    warnings = [r for r in caplog.records if r.name == "jaring.core.db_router"]
    assert len(warnings) == 1
    assert "read replica unreachable" in warnings[0].getMessage()

    folder.mkdir()  # the replica is back
    clock[0] += db_router.RETRY_SECONDS - 1
    assert router.db_for_read(RegionFact) is None
    clock[0] += 2
    assert router.db_for_read(RegionFact) == REPLICA
    databases.close_all()
