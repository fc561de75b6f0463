"""The dashboards on a streaming read replica, on this machine: a primary PostgreSQL cluster and a
hot standby made from it with pg_basebackup -R, each on its own loopback port, created here and
dropped after. Summary reads go to the standby (shown by pausing its replay: a row committed on
the primary is not seen until replay resumes), writes go to the primary, the standby refuses a
forced write, and with the standby stopped the dashboards read the primary and say so in the log.

Needs root and Debian's pg_createcluster (CI has both); it runs in the PostgreSQL pass only."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import pg_clusters

ROOT = Path(__file__).resolve().parent.parent
PRIMARY, STANDBY = 5451, 5452
CLUSTER = {PRIMARY: "jaring_replica_primary", STANDBY: "jaring_replica_standby"}
REGISTERED = "SELECT registered FROM reports_regionfact WHERE region_code = %s"

pytestmark = pg_clusters.only_on_postgresql


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    return env | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PRIMARY}/jaring",
        "JARING_REPLICA_URL": f"postgres://postgres@127.0.0.1:{STANDBY}/jaring",
        "JARING_SECRET_KEY": "replica-test",
        "JARING_NIK_ENCRYPTION_KEY": os.environ["JARING_NIK_ENCRYPTION_KEY"],
        "JARING_NIK_INDEX_KEY": os.environ["JARING_NIK_INDEX_KEY"],
        "JARING_ALLOWED_HOSTS": "testserver",
        "JARING_STATIC_MANIFEST": "0",
        "JARING_LOG_FORMAT": "text",
        "JARING_VAR_DIR": str(ROOT / "var" / "replica-test"),
        "DJANGO_SETTINGS_MODULE": "jaring.settings",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
    }


def step(*arguments) -> tuple[dict, str]:
    """One replica_scenario step: its JSON answer and its log."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "replica_scenario.py"), *arguments],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _make_standby() -> None:
    """A hot standby of the primary: a base backup with the replication settings written (-R),
    streaming the primary's WAL from then on."""
    cluster = CLUSTER[STANDBY]
    pg_clusters.create_cluster(cluster, STANDBY, "hot_standby = on\n", start=False)
    data = pg_clusters.data_directory(cluster)
    for path in data.iterdir():  # pg_basebackup fills an empty directory (postgres owns it)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    pg_clusters.run(
        "runuser", "-u", "postgres", "--",
        "pg_basebackup", "-h", "127.0.0.1", "-p", str(PRIMARY), "-U", "postgres",
        "-D", str(data), "-R", "-X", "stream", "-c", "fast",
    )  # fmt: skip
    pg_clusters.start_cluster(cluster)
    assert pg_clusters.wait_for(STANDBY, "SELECT pg_is_in_recovery()", [(True,)]) == [(True,)]


@pytest.fixture(scope="module")
def replicated():
    pg_clusters.require_cluster_tools()
    try:
        pg_clusters.create_cluster(CLUSTER[PRIMARY], PRIMARY, "max_wal_senders = 5\n")
        pg_clusters.create_database(PRIMARY)
        env = _env() | {"JARING_REPLICA_URL": ""}
        pg_clusters.run(sys.executable, "-m", "jaring", "migrate", "--no-input", env=env)
        _make_standby()
        yield
    finally:
        for cluster in CLUSTER.values():
            pg_clusters.drop_cluster(cluster)


def test_the_dashboards_read_the_standby_and_every_write_goes_to_the_primary(replicated):
    assert step("write", "ID", "300")[0] == {"written_to": "default"}
    assert step("write", "14", "300")[0] == {"written_to": "default"}
    assert step("write", "14.03", "111")[0] == {"written_to": "default"}
    assert pg_clusters.query(PRIMARY, REGISTERED, ["14.03"]) == [(111,)]
    assert pg_clusters.wait_for(STANDBY, REGISTERED, [(111,)], params=["14.03"]) == [(111,)]

    read, _ = step("read", "14.03")
    assert read["alias"] == "replica" and read["standby"] is True
    assert read["registered"] == 111
    assert read["queries"] == {"default": 0, "replica": 1}

    # Proof the read is the standby's: with its replay paused, a row committed on the primary
    # is not there yet; a read inside a transaction (as the refresh does) sees the primary's.
    pg_clusters.query(STANDBY, "SELECT pg_wal_replay_pause()")
    step("write", "14.08", "222")
    read, _ = step("read", "14.08")
    assert read["alias"] == "replica" and read["registered"] is None
    assert read["registered_in_transaction"] == 222
    pg_clusters.query(STANDBY, "SELECT pg_wal_replay_resume()")
    assert pg_clusters.wait_for(STANDBY, REGISTERED, [(222,)], params=["14.08"]) == [(222,)]
    assert step("read", "14.08")[0]["registered"] == 222

    refused, _ = step("replica-write")
    assert "read-only transaction" in refused["refused"]

    page, _ = step("page")
    assert page["status"] == 200
    assert page["queries"]["replica"] >= 2  # the country row and its provinces


def test_with_the_standby_down_the_dashboards_read_the_primary(replicated):
    step("write", "14.10", "333")
    pg_clusters.stop_cluster(CLUSTER[STANDBY])
    try:
        started = time.monotonic()
        read, log = step("read", "14.10")
        assert read["alias"] == "default" and read["standby"] is False
        assert read["registered"] == 333
        assert read["queries"]["replica"] == 0
        assert "read replica unreachable" in log

        page, log = step("page")
        assert page["status"] == 200
        assert page["queries"]["replica"] == 0 and page["queries"]["default"] >= 2
        assert "read replica unreachable" in log
        assert time.monotonic() - started < 60
    finally:
        pg_clusters.start_cluster(CLUSTER[STANDBY])
