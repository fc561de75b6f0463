"""Availability under hostile input and broken processes (issue 13): huge headers, time limits,
killed imports, lost database connections, impossible years and NIKs in other digit scripts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connection
from django.tasks import task
from django.urls import reverse
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.core import crypto, jobs, spreadsheets
from jaring.core.text import ascii_digits
from jaring.ops import health
from jaring.ops.management.commands.worker import Worker as TaskWorker
from jaring.regions.models import Region
from jaring.registry import rules, selectors, services, tasks
from jaring.registry.models import ImportBatch, Worker
from jaring.registry.synthetic import write_csv as write_synthetic
from jaring.registry.worker_sheet import WORKER_LIST
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS
from tests.test_registry_import import BAHTIAR, RUSNI, SAFRI, run, write_csv

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (pg_terminate_backend)"
)


@pytest.fixture
def bengkalis(riau_regions, occupations, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Region.objects.get(code=BENGKALIS)


@task()
def answer() -> int:
    """A task with nothing to do (for the worker tests)."""
    return 42


@task()
def spin_forever() -> None:
    """A task that never ends on its own."""
    while True:
        time.sleep(0.01)


def task_worker(batch: bool = True, interval: float = 0.0) -> TaskWorker:
    return TaskWorker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


@pytest.fixture
def shared_connection(monkeypatch):
    """The worker loop recycles old connections; in a test it shares the test's transaction."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


# --- A header of 100,000 columns --------------------------------------------------------------


def test_a_header_of_a_hundred_thousand_columns_is_refused_at_once(bengkalis, tmp_path):
    path = tmp_path / "lebar.csv"
    columns = ["NIK", *(f"Kolom {n}" for n in range(1, 100_000))]
    path.write_text(";".join(columns) + "\n" + ";".join("x" for _ in columns) + "\n")
    started = time.monotonic()
    batch = run(path)
    assert time.monotonic() - started < 10
    assert batch.status == "failed"
    assert batch.error.startswith("Baris judul berisi 100000 kolom; paling banyak 500.")
    assert len(batch.error) < 300  # not the 100,000 names read back to the operator
    assert not Worker.objects.exists()


def test_header_mapping_takes_time_in_proportion_to_the_width(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_COLUMNS", 10**6)
    headers = [f"kolom tambahan {n}" for n in range(40_000)] + ["NIK", "Nama", "Desa"]
    started = time.monotonic()
    layout = spreadsheets.map_headers(headers, WORKER_LIST)
    assert time.monotonic() - started < 2  # comparing every header with every other: minutes
    assert layout.fields["nik"] == "NIK"
    with pytest.raises(spreadsheets.FileRefused, match="berulang: NIK"):
        spreadsheets.map_headers([*headers, "NIK"], WORKER_LIST)


def test_the_worker_command_beats_and_runs_the_queue(db, shared_connection):
    cache.delete(health.HEARTBEAT_KEY)
    queued = answer.enqueue()
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "w1")
    assert DBTaskResult.objects.get(id=queued.id).status == "SUCCESSFUL"
    assert health.last_beat()["worker"] == "w1"


# --- Time limits -----------------------------------------------------------------------------


def test_a_background_task_is_stopped_at_its_time_limit(db, settings, shared_connection):
    settings.JARING_TASK_TIME_LIMIT, settings.JARING_JOB_LEASE_SECONDS = 0.5, 0.2
    stuck, fine = spin_forever.enqueue(), answer.enqueue()
    started = time.monotonic()
    task_worker().run()  # batch mode: every queued task, then back
    assert time.monotonic() - started < 10
    stopped = DBTaskResult.objects.get(id=stuck.id)
    assert stopped.status == "FAILED" and stopped.exception_class_path.endswith("JobTimeLimit")
    assert DBTaskResult.objects.get(id=fine.id).status == "SUCCESSFUL"  # the worker went on


def test_an_import_past_the_time_limit_rolls_back_and_says_so(
    bengkalis, tmp_path, settings, shared_connection, monkeypatch
):
    settings.JARING_TASK_TIME_LIMIT, settings.JARING_JOB_LEASE_SECONDS = 0.5, 0.2

    def merge_forever(batch, now):  # the last step of an import, made endless
        while True:
            time.sleep(0.01)

    monkeypatch.setattr(services, "finish_merge", merge_forever)
    batch = services.create_batch(write_csv(tmp_path / "a.csv", [RUSNI, BAHTIAR]), bengkalis)
    tasks.import_workers.enqueue(batch.pk)
    task_worker().run()
    batch.refresh_from_db()
    assert batch.status == "failed" and "melewati batas waktu" in batch.error
    assert not Worker.objects.exists() and batch.rows == 0


# --- Killed imports: leases ------------------------------------------------------------------


def expire_lease(name: str) -> None:
    """What a killed process leaves: a lease nobody renews, here already past its end."""
    cache.set(jobs.LEASE_KEY.format(name), {"until": time.time() - 1, "host": "x", "pid": 1})


def test_a_running_import_holds_a_lease_and_gives_it_back(bengkalis, tmp_path):
    batch = services.create_batch(write_csv(tmp_path / "a.csv", [RUSNI]), bengkalis)
    seen = []

    def progress(done, total):
        seen.append(jobs.alive([services.import_lease(batch.pk)]))

    services.run_import(batch, progress=progress)
    assert seen == [{services.import_lease(batch.pk)}]
    assert jobs.alive([services.import_lease(batch.pk)]) == set()


def test_an_import_whose_process_died_is_marked_failed_and_runs_again(
    bengkalis, tmp_path, make_user, client, run_queued_tasks, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "a.csv", [RUSNI, BAHTIAR, SAFRI])
    dead, alive = (services.create_batch(path, bengkalis) for _ in range(2))
    # Both were set running, then one process was killed (kill -9): its lease ran out.
    ImportBatch.objects.update(status="running", rows=3)
    expire_lease(services.import_lease(dead.pk))
    jobs.renew(services.import_lease(alive.pk))

    assert health.fail_dead_jobs()["imports"] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error == services.IMPORT_DIED and dead.rows == 0
    assert ImportBatch.objects.get(pk=alive.pk).status == "running"
    jobs.release(services.import_lease(alive.pk))

    client.force_login(make_user("operator", RoleCode.OPERATOR, BENGKALIS))
    page = client.get(reverse("registry:import_detail", args=[dead.pk]))
    assert "Impor terhenti tanpa selesai" in page.text and 'id="rerun-form"' in page.text
    with django_capture_on_commit_callbacks(execute=True):  # queued after the commit
        response = client.post(reverse("registry:import_rerun", args=[dead.pk]))
    assert response.status_code == 302
    run_queued_tasks()
    dead.refresh_from_db()
    assert dead.status == "done" and dead.accepted == 3 and dead.error == ""
    again = client.post(reverse("registry:import_rerun", args=[dead.pk]), follow=True)
    assert "Hanya impor yang gagal" in again.text  # a finished import is not run twice


def test_a_task_whose_worker_died_is_marked_failed(db):
    queued = answer.enqueue()
    DBTaskResult.objects.filter(id=queued.id).update(status="RUNNING")  # claimed, then kill -9
    expire_lease(health.task_lease(queued.id))
    assert [str(task_id) for task_id in health.fail_dead_jobs()["tasks"]] == [str(queued.id)]
    row = DBTaskResult.objects.get(id=queued.id)
    assert row.status == "FAILED" and row.exception_class_path.endswith("JobLost")


def _subprocess_env(tmp_path) -> dict:
    settings_db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_db['USER']}:{settings_db['PASSWORD'] or ''}@"
            f"{settings_db['HOST'] or '127.0.0.1'}:{settings_db['PORT'] or 5432}/"
            f"{settings_db['NAME']}"
        ),
        "JARING_MEDIA_ROOT": str(tmp_path / "media"),
        "JARING_JOB_LEASE_SECONDS": "1",
        # One installation: the child shares this process's cache keys (their prefix comes from
        # the database name, which the test runner renamed after settings were read).
        "JARING_CACHE_PREFIX": django_settings.CACHE_KEY_PREFIX,
    }


@on_postgres
def test_a_cli_import_killed_with_sigkill_is_found_dead(
    riau_regions, occupations, transactional_db, tmp_path, settings
):
    path = tmp_path / "besar.csv"
    write_synthetic(path, BENGKALIS, 60_000, bad_share=0.0)
    command = [sys.executable, "-m", "jaring", "import-workers", str(path), "--region", BENGKALIS]
    importer = subprocess.Popen(  # noqa: S603
        command, env=_subprocess_env(tmp_path), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not ImportBatch.objects.filter(status="running").exists():
            assert importer.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        batch = ImportBatch.objects.get()
        assert jobs.alive([services.import_lease(batch.pk)])  # the lease is in the shared cache
    finally:
        importer.send_signal(signal.SIGKILL)
        importer.wait()
    assert services.fail_dead_imports() in ([], [batch.pk])  # the lease may still be valid
    time.sleep(1.2)
    assert services.fail_dead_imports() == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == "failed" and not Worker.objects.exists()  # PostgreSQL rolled it back


# --- Lost database connections ---------------------------------------------------------------


def _other_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return [pid for (pid,) in cursor.fetchall()]


def _terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def _wait_for(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return found


@on_postgres
@pytest.mark.parametrize("health_checks", [True, False], ids=["health-checks", "retry-only"])
def test_the_worker_survives_losing_its_database_connection(transactional_db, health_checks):
    from django.db import connections

    worker = task_worker(batch=False, interval=0.05)
    original = connections.settings["default"].get("CONN_HEALTH_CHECKS")
    connections.settings["default"]["CONN_HEALTH_CHECKS"] = health_checks
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        first = answer.enqueue()
        _wait_for(lambda: DBTaskResult.objects.get(id=first.id).status == "SUCCESSFUL")
        _terminate(_wait_for(_other_backends))  # the worker's own backend
        after = answer.enqueue()
        _wait_for(lambda: DBTaskResult.objects.get(id=after.id).status == "SUCCESSFUL")
        assert thread.is_alive()
    finally:
        worker.running = False
        thread.join(timeout=10)
        connections.settings["default"]["CONN_HEALTH_CHECKS"] = original


def _serve(path: str) -> int:
    """One request through Django's real WSGI handler, as gunicorn calls it: request_started and
    request_finished recycle (and health-check) the process's persistent connection."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=path, SERVER_NAME="testserver", HTTP_HOST="testserver")
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = int(status.split()[0])

    for _chunk in WSGIHandler()(environ, start_response):
        pass
    return answer["status"]


def _terminate_from_elsewhere(pid: int) -> None:
    def terminate():
        try:
            _terminate([pid])
        finally:
            connection.close()

    killer = threading.Thread(target=terminate)
    killer.start()
    killer.join()


@on_postgres
def test_the_web_answers_after_the_database_dropped_its_connection(transactional_db, settings):
    connection.close()  # the next connection takes its settings (the health check) afresh
    path = reverse("reports:public")  # reads the summary tables (none yet: a 404)
    before = _serve(path)
    assert before == 404 and connection.connection is not None  # kept for the next request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    _terminate_from_elsewhere(pid)  # a restart, a failover, an operator's pg_terminate_backend
    assert _serve(path) == before  # without the health check: one 500 per process first


@on_postgres
def test_the_coverage_look_up_answers_after_the_database_dropped_its_connection(
    transactional_db, make_user, settings
):
    """The look-up runs past Django's health check (``api.selectors._prepared``): a reused
    connection found broken is replaced, the statement prepared again on the new one and sent
    once more, and the look-up is logged."""
    from jaring.api.services import issue_token
    from jaring.wsgi import application
    from tests.test_api import call, prepared_look_ups

    settings.ALLOWED_HOSTS = ["testserver"]
    _row, token = issue_token(make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS), "cabang")
    nobody = {"nik": "1403010101900001"}  # no such worker: a 404, logged all the same
    logged = PersonalDataAccess.objects.filter(object_type="coverage")
    assert call(application, token, nobody)[0] == 404
    _terminate_from_elsewhere(connection.connection.info.backend_pid)
    assert call(application, token, nobody)[0] == 404
    assert logged.count() == 2
    assert prepared_look_ups() == [1]  # prepared again on the new connection, executed once


def test_connections_are_health_checked(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# --- Years -----------------------------------------------------------------------------------


@pytest.fixture
def reader(bengkalis, make_user, client, tmp_path):
    run(write_csv(tmp_path / "a.csv", [RUSNI, BAHTIAR, SAFRI]))
    refresh_regency(BENGKALIS)
    client.force_login(make_user("auditor", RoleCode.AUDITOR, BENGKALIS))
    return client


YEAR_PAGES = [
    "/anggaran/",
    f"/laporan/{BENGKALIS}/",
    f"/laporan/{BENGKALIS}/bulanan.pdf",
    "/nasional/",
]


@pytest.mark.parametrize("page", YEAR_PAGES)
def test_an_impossible_year_sends_the_user_back_with_a_message(reader, page):
    for year in ["0", "99999", "-1", "2014", "2101", "20x5", "1e3", "2025.0"]:
        response = reader.get(page, {"tahun": year, "format": "xlsx", "provinsi": "14"})
        assert response.status_code == 302, year
        assert response["Location"] == f"{page}?provinsi=14"
        shown = reader.get(response["Location"], follow=True)
        assert shown.status_code == 200
        if page.endswith("/"):
            assert "Tahun harus berupa angka dari 2015 sampai 2100." in shown.text
    for year in ["2025", " 2025 ", "٢٠٢٥", "２０２５", ""]:  # any digits; none: the default
        assert reader.get(page, {"tahun": year}).status_code == 200, year


def test_a_monthly_report_without_figures_returns_to_that_years_dashboard(
    bengkalis, make_user, client
):
    client.force_login(make_user("auditor", RoleCode.AUDITOR, BENGKALIS))  # nothing counted yet
    response = client.get(f"/laporan/{BENGKALIS}/bulanan.pdf", {"tahun": "2024"})
    assert response.status_code == 302
    assert response["Location"] == f"/laporan/{BENGKALIS}/?tahun=2024"


# --- NIKs in other digit scripts -------------------------------------------------------------

# The zero of every script hypothesis may pick (Arabic-Indic, extended Arabic-Indic, Devanagari,
# Bengali, Thai, full width, mathematical bold, …): its digits are zero + 0..9.
ZEROS = ["0", "\u0660", "\u06f0", "\u0966", "\u09e6", "\u0e50", "\uff10", "\U0001d7ce"]


def in_script(text: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(ch)) if ch.isdigit() else ch for ch in text)


@given(
    st.text(alphabet="0123456789", min_size=16, max_size=16),
    st.lists(st.sampled_from(ZEROS), min_size=16, max_size=16),
)
def test_a_nik_in_any_digits_normalises_to_the_same_ascii_nik(digits, zeros):
    mixed = "".join(in_script(d, z) for d, z in zip(digits, zeros, strict=True))
    assert ascii_digits(mixed) == digits
    assert rules.normalise_nik(f" {mixed[:6]}.{mixed[6:]} ") == rules.normalise_nik(digits)


@given(st.text(max_size=30))
@hypothesis_settings(max_examples=300)
def test_folding_digits_changes_nothing_but_digits(text):
    folded = ascii_digits(text)
    assert len(folded) == len(text)
    for before, after in zip(text, folded, strict=True):
        assert after == (str(int(before)) if before.isdecimal() else before)


@pytest.fixture
def registered(bengkalis, tmp_path, make_user):
    run(write_csv(tmp_path / "a.csv", [RUSNI, BAHTIAR, SAFRI]))
    return make_user("operator", RoleCode.OPERATOR, BENGKALIS)


@pytest.mark.parametrize("zero", ZEROS[1:])
def test_a_nik_search_in_other_digits_finds_that_worker_only(registered, zero):
    query = in_script(RUSNI[0], zero)
    found = selectors.filter_workers(registered, selectors.WorkerFilters(query=query))
    assert [worker.full_name for worker in found] == ["Rusni"]


@pytest.mark.parametrize("query", ["!!!", "١٤٠٣", "١٤٠٣٠١٤١٠١٨٥٠٠٠١٩", "😀", "  ", "-"])
def test_a_search_with_nothing_of_a_name_finds_no_one(registered, query):
    found = selectors.filter_workers(registered, selectors.WorkerFilters(query=query))
    assert list(found) == []


def test_the_api_and_the_import_read_other_digits_too(registered, tmp_path):
    from tests.test_api import bearer

    api = bearer(registered)
    arabic_indic = in_script(BAHTIAR[0], "\u0660")
    listed = api.post(
        "/api/v1/workers/search", {"nik": arabic_indic}, content_type="application/json"
    ).json()
    assert [row["name"] for row in listed["items"]] == ["Bahtiar"]
    # folded, it is a NIK: it may not travel in a URL either
    in_url = api.get("/api/v1/workers/", {"q": arabic_indic})
    assert (in_url.status_code, in_url.json()["code"]) == (400, "nik_in_url")
    renamed = [in_script(SAFRI[0], "\uff10"), "Safri Ismail Baru", *SAFRI[2:]]
    batch = run(write_csv(tmp_path / "b.csv", [renamed]))
    assert (batch.updated, batch.accepted, batch.rejected) == (1, 0, 0)  # the same person
    safri = Worker.objects.get(full_name="Safri Ismail Baru")
    assert safri.nik_index == crypto.nik_index(SAFRI[0])
