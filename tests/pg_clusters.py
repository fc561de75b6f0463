"""Throw-away PostgreSQL clusters on loopback ports, for the tests of PostgreSQL's own
replication (the federation's logical replication, the dashboards' streaming read replica).

A test creates its clusters with Debian's pg_createcluster (needs root), and drops them after.
These tests run in the PostgreSQL pass only; in CI a missing root or pg_createcluster fails
them instead of skipping them silently."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

VERSION = "15"

only_on_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="runs on PostgreSQL clusters (the PostgreSQL pass)",
)


def require_cluster_tools() -> None:
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        if os.environ.get("CI"):
            pytest.fail("this test needs root and pg_createcluster in CI")
        pytest.skip("needs root and Debian's pg_createcluster")


def run(*command, env=None, timeout=600) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-3000:]}"
    return done.stdout


def data_directory(cluster: str) -> Path:
    return Path(f"/var/lib/postgresql/{VERSION}/{cluster}")


def drop_cluster(cluster: str) -> None:
    command = [shutil.which("pg_dropcluster"), "--stop", VERSION, cluster]
    subprocess.run(command, capture_output=True, check=False)


def create_cluster(cluster: str, port: int, settings: str = "", start: bool = True) -> None:
    """A new cluster listening on 127.0.0.1:``port`` with trust authentication (replication
    connections included), ``settings`` appended to its postgresql.conf."""
    drop_cluster(cluster)
    run("pg_createcluster", VERSION, cluster, "--port", str(port), "--", "--auth=trust")
    config = Path(f"/etc/postgresql/{VERSION}/{cluster}/postgresql.conf")
    config.write_text(
        config.read_text() + "\nlisten_addresses = '127.0.0.1'\nfsync = off\n" + settings
    )
    if start:
        start_cluster(cluster)


def start_cluster(cluster: str) -> None:
    run("pg_ctlcluster", VERSION, cluster, "start")


def stop_cluster(cluster: str) -> None:
    run("pg_ctlcluster", VERSION, cluster, "stop", "--mode", "fast")


def create_database(port: int, name: str = "jaring") -> None:
    run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name)


def conninfo(port: int, dbname: str = "jaring") -> str:
    return f"host=127.0.0.1 port={port} dbname={dbname} user=postgres"


def query(port: int, sql: str, params=None):
    with psycopg.connect(conninfo(port), autocommit=True) as connection:
        return connection.execute(sql, params).fetchall()


def wait_for(port: int, sql: str, expected, seconds: int = 120, params=None):
    """Poll ``sql`` until it returns ``expected`` (replication is asynchronous); the last rows."""
    deadline = time.monotonic() + seconds
    while True:
        rows = query(port, sql, params)
        if rows == expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)
