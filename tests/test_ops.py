"""Operations: health, readiness, metrics allow-list, request ids, logs without NIKs, error
reports, backups (encrypted, consistent, rotated) — each against the real thing: the test
database, real files, the real `age` program, a real HTTP server standing in for GlitchTip."""

import datetime
import http.server
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from jaring.core import observability
from jaring.core.metrics import BILLING_SECONDS, timed
from jaring.ops import backup, health

NIK = "1403014101850001"
AGE = shutil.which("age")


@pytest.fixture
def registry_rows(riau_regions, occupations, tmp_path):
    """25 synthetic workers imported through the real import service."""
    from jaring.regions.models import Region
    from jaring.registry import services
    from jaring.registry.synthetic import write_csv as write_synthetic

    path = tmp_path / "workers.csv"
    write_synthetic(path, "14.03", rows=25, bad_share=0, seed=5)
    batch = services.run_import(services.create_batch(path, Region.objects.get(code="14.03")))
    assert batch.accepted == 25
    return 25


@pytest.fixture(autouse=True)
def no_heartbeat():
    cache.delete(health.HEARTBEAT_KEY)
    yield
    cache.delete(health.HEARTBEAT_KEY)


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")  # no db fixture: a query here would raise
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_needs_a_live_worker_and_a_moving_queue(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "last_beat_seconds": None}

    health.beat("test-worker")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["queue"] == {
        "ok": True,
        "ready": 0,
        "running": 0,
        "oldest_seconds": 0.0,
    }

    from django_tasks_db.models import DBTaskResult

    from jaring.reports.tasks import refresh_reports

    refresh_reports.enqueue("14.03")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - datetime.timedelta(hours=1))
    response = client.get("/readyz")
    assert response.status_code == 503
    queue = response.json()["checks"]["queue"]
    assert queue["ok"] is False and queue["ready"] == 1 and queue["oldest_seconds"] >= 3600

    # A task queued a month ago to run from a minute ago (the monthly lapse run) is a minute old.
    a_month_ago = timezone.now() - datetime.timedelta(days=30)
    DBTaskResult.objects.update(
        enqueued_at=a_month_ago, run_after=timezone.now() - datetime.timedelta(minutes=1)
    )
    queue = client.get("/readyz").json()["checks"]["queue"]
    assert queue["ready"] == 1 and 60 <= queue["oldest_seconds"] < 120

    settings.JARING_WORKER_STALE_SECONDS = -1  # every beat is now too old
    settings.JARING_QUEUE_MAX_AGE = 10**6
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["worker"]["ok"] is False


@pytest.mark.django_db
def test_metrics_only_for_the_allow_list(client):
    client.get("/healthz")
    with timed(BILLING_SECONDS):
        pass
    response = client.get("/metrics")  # the test client calls from 127.0.0.1
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "jaring_task_queue_ready 0.0" in text
    assert re.search(r"jaring_billing_duration_seconds_count [1-9]", text)
    assert "jaring_import_duration_seconds" in text

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 404
    # Through nginx (a trusted proxy) the caller is X-Real-IP: a foreign one is refused ...
    assert client.get("/metrics", headers={"X-Real-IP": "203.0.113.9"}).status_code == 404
    # ... and a foreign caller cannot claim to be local by sending the header itself.
    refused = client.get("/metrics", REMOTE_ADDR="10.20.30.40", headers={"X-Real-IP": "127.0.0.1"})
    assert refused.status_code == 404


def test_metrics_allow_list_is_configurable(client, settings):
    import ipaddress

    settings.JARING_METRICS_ALLOW = [ipaddress.ip_network("10.20.30.0/24")]
    assert client.get("/healthz", REMOTE_ADDR="10.20.30.40").status_code == 200
    from jaring.ops.metrics import allowed

    class Request:
        META = {"REMOTE_ADDR": "10.20.30.40"}
        headers: dict = {}

    assert allowed(Request())
    Request.META = {"REMOTE_ADDR": "127.0.0.1"}
    assert not allowed(Request())


def test_multiprocess_metrics_merge_web_and_worker(tmp_path, settings):
    """Production: each process writes files under its unit's folder; a scrape sums them."""
    script = (
        "from jaring.core.metrics import IMPORT_SECONDS\n"
        "IMPORT_SECONDS.labels(outcome='done').observe(2.0)\n"
    )
    for unit in ("web", "worker"):
        folder = tmp_path / unit
        folder.mkdir()
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
        subprocess.run([sys.executable, "-c", script], check=True, env=env)  # noqa: S603
    settings.JARING_METRICS_DIR = str(tmp_path)
    from prometheus_client import CollectorRegistry, generate_latest

    from jaring.ops.metrics import _MergedProcessFiles

    registry = CollectorRegistry()
    registry.register(_MergedProcessFiles(tmp_path))
    text = generate_latest(registry).decode()
    assert 'jaring_import_duration_seconds_count{outcome="done"} 2.0' in text
    assert 'jaring_import_duration_seconds_sum{outcome="done"} 4.0' in text


def test_request_id_is_made_or_taken_from_nginx(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    given = "f" * 32
    assert client.get("/healthz", headers={"X-Request-ID": given})["X-Request-ID"] == given
    forged = client.get("/healthz", headers={"X-Request-ID": "x\ny: z"})["X-Request-ID"]
    assert forged != "x\ny: z" and re.fullmatch(r"[0-9a-f]{32}", forged)


def test_access_log_masks_niks_in_paths(client, settings, caplog):
    settings.JARING_ACCESS_LOG = True
    with caplog.at_level(logging.INFO, logger="jaring.request"):
        # No route takes a NIK in its URL any more; a client may still put one there.
        client.get(f"/api/v1/workers/{NIK}", headers={"X-Request-ID": "a" * 32})
    record = next(r for r in caplog.records if r.name == "jaring.request")
    assert record.path == "/api/v1/workers/1403************"
    assert record.status == 401 and record.user_id is None
    assert NIK not in caplog.text


def test_json_log_lines_carry_the_request_id_and_no_nik():
    config = observability.logging_config(json_logs=True, level="INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter_config = dict(config["formatters"]["default"])
    factory = formatter_config.pop("()")
    formatter_config["fmt"] = formatter_config.pop("format")
    module, name = factory.rsplit(".", 1)
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_config)
    handler.setFormatter(formatter)
    handler.addFilter(observability.RequestIdFilter())
    handler.addFilter(observability.PersonalDataFilter())
    logger = logging.getLogger("jaring.test.json")
    logger.addHandler(handler)
    token = observability.request_id_var.set("b" * 32)
    try:
        logger.warning("no match for %s in %s", NIK, "Kelebuk")
    finally:
        observability.request_id_var.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "b" * 32 and line["level"] == "WARNING"
    assert line["message"] == "no match for 1403************ in Kelebuk"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$", line["time"])


def test_error_reports_reach_a_sentry_compatible_server_without_personal_data():
    """A real HTTP server on loopback plays GlitchTip; sentry-sdk sends it a real envelope."""
    import sentry_sdk

    received: list[bytes] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding")
            if encoding == "gzip":
                import gzip

                body = gzip.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
        assert observability.init_error_reporting(dsn, "test", "jaring@test", 0.0)
        token = observability.request_id_var.set("c" * 32)
        try:
            secret_nik = NIK  # a local variable must not travel either
            raise ValueError(f"worker {secret_nik} not found")
        except ValueError:
            sentry_sdk.capture_exception()
        finally:
            observability.request_id_var.reset(token)
        sentry_sdk.flush(timeout=10)
    finally:
        sentry_sdk.init(dsn=None)
        server.shutdown()
    payload = b"".join(received).decode()
    assert "worker 1403************ not found" in payload
    assert NIK not in payload
    assert "c" * 32 in payload  # the request id, to find the log lines of that request


def test_no_dsn_no_error_reporting():
    assert observability.init_error_reporting("", "test", "x", 0.0) is False


# ------------------------------------------------------------------------------------ backups


def moment(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def test_rotation_keeps_days_weeks_and_months():
    start = moment("2025-01-01T01:30:00")
    daily = [start + datetime.timedelta(days=n) for n in range(120)]  # Jan 1 .. Apr 30
    kept = backup.to_keep(daily, "7d,4w,3m")
    newest = max(daily)
    days = {m for m in daily if m > newest - datetime.timedelta(days=7)}
    assert days <= kept
    sundays = {m for m in kept if m.isoweekday() == 7}
    assert len(sundays) >= 3  # the last backup of each of the previous ISO weeks
    ends_of_month = {
        m.date().isoformat() for m in kept if (m + datetime.timedelta(days=1)).day == 1
    }
    assert ends_of_month >= {"2025-02-28", "2025-03-31"}
    assert len(kept) <= 7 + 4 + 3
    assert backup.to_keep(daily, "") == {newest}  # nothing asked: still never delete the newest
    with pytest.raises(backup.BackupError):
        backup.parse_keep("7x")


def test_rotate_deletes_only_backups_it_does_not_keep(tmp_path):
    names = [f"jaring-backup-202501{day:02d}T013000Z.tar.age" for day in range(1, 11)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a backup")
    (tmp_path / "jaring-backup-garbage.tar.age").write_text("unparsable stamp")
    removed = backup.rotate(tmp_path, "3d")
    assert sorted(p.name for p in removed) == names[:7]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*names[7:], "notes.txt", "jaring-backup-garbage.tar.age"]
    )


@pytest.fixture
def age_keys(tmp_path, settings):
    if AGE is None:
        if os.environ.get("CI"):
            pytest.fail("age is not installed (apt-get install age); CI must test backups")
        pytest.skip("age is not installed (apt-get install age)")
    identity = tmp_path / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)  # noqa: S607
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(
        subprocess.run(
            ["age-keygen", "-y", str(identity)],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    settings.JARING_BACKUP_RECIPIENTS = str(recipients)
    return identity


def test_backup_refuses_without_recipients(settings, tmp_path, db):
    settings.JARING_BACKUP_RECIPIENTS = ""
    with pytest.raises(backup.BackupError, match="JARING_BACKUP_RECIPIENTS"):
        backup.create_backup(tmp_path)


@pytest.mark.django_db(transaction=True)  # the PostgreSQL dump exports its own snapshot
def test_backup_is_encrypted_complete_and_verifiable(age_keys, tmp_path, settings, registry_rows):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    upload = Path(settings.MEDIA_ROOT) / "imports" / "daftar.csv"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(f"NIK;Nama\n{NIK};Rusni\n".encode())
    out = tmp_path / "backups"

    result = backup.create_backup(out, keep="7d")
    assert result.path.parent == out and result.path.name.endswith(".tar.age")
    raw = result.path.read_bytes()
    assert (
        raw.startswith(b"age-encryption.org/v1") and b"Rusni" not in raw and NIK.encode() not in raw
    )
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"

    work = tmp_path / "opened"
    work.mkdir()
    manifest = backup.open_backup(result.path, age_keys, work)
    assert (
        manifest["counts"]["registry_worker"] == registry_rows == result.counts["registry_worker"]
    )
    assert manifest["keys"] == backup.key_fingerprints()
    assert settings.NIK_ENCRYPTION_KEY not in json.dumps(manifest)
    assert manifest["migrations"]["registry"].startswith("00")
    with tarfile.open(work / "media.tar") as media:
        assert media.extractfile("imports/daftar.csv").read().startswith(b"NIK;Nama")

    from jaring.core.crypto import decrypt_nik, nik_index

    if connection.vendor == "sqlite":
        snapshot = sqlite3.connect(work / "db.sqlite3")
        rows = snapshot.execute("SELECT nik_cipher, nik_index FROM registry_worker").fetchall()
        snapshot.close()
    else:
        listing = subprocess.run(  # noqa: S603
            ["pg_restore", "--list", str(work / "db.dump")],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "TABLE DATA public registry_worker" in listing
        from jaring.registry.models import Worker

        rows = list(Worker.objects.values_list("nik_cipher", "nik_index"))
    assert len(rows) == registry_rows
    assert all(nik_index(decrypt_nik(cipher)) == index for cipher, index in rows)

    damaged = tmp_path / "damaged.tar.age"
    damaged.write_bytes(raw[:-40] + bytes(40))
    with pytest.raises(backup.BackupError, match="age failed"):
        backup.open_backup(damaged, age_keys, tmp_path / "x")


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(age_keys, tmp_path):
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore_backup(tmp_path / "whatever.tar.age", age_keys)


@pytest.mark.django_db
def test_verify_niks_finds_data_under_another_key(registry_rows, settings):
    assert backup.verify_niks() == (registry_rows, 0)
    settings.NIK_INDEX_KEY = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    checked, failed = backup.verify_niks()
    assert checked == failed == registry_rows
