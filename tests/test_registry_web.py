"""Registry screens: scoping, masking, access log, uploads through the background worker."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.regions.models import Region
from jaring.registry import services, tasks
from jaring.registry.models import DuplicateCandidate, ImportBatch, Worker, WorkerStatus
from jaring.reports.models import RegionFact
from tests.conftest import BENGKALIS, SIAK
from tests.test_registry_import import BAHTIAR, RUSNI, write_csv

SIAK_WORKER = ["1408010101900001", "Pekerja Siak", "L", "", "14.08.01.1001", "", "", "", "", ""]


@pytest.fixture
def registry(riau_regions, occupations, tmp_path):
    services.run_import(
        services.create_batch(
            write_csv(tmp_path / "bengkalis.csv", [RUSNI, BAHTIAR]),
            Region.objects.get(code=BENGKALIS),
        )
    )
    services.run_import(
        services.create_batch(
            write_csv(tmp_path / "siak.csv", [SIAK_WORKER]), Region.objects.get(code=SIAK)
        )
    )
    assert Worker.objects.count() == 3


def test_bengkalis_operator_sees_only_bengkalis_workers(registry, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    page = client.get(reverse("registry:workers"))
    assert "Rusni" in page.text and "Bahtiar" in page.text
    assert "Pekerja Siak" not in page.text
    siak = Worker.objects.get(full_name="Pekerja Siak")
    assert client.get(reverse("registry:worker", args=[siak.pk])).status_code == 404
    by_nik = client.post(reverse("registry:workers"), {"q": "1408010101900001"})
    assert "Pekerja Siak" not in by_nik.text and "0 pekerja" in by_nik.text


def test_search_by_full_nik_uses_the_blind_index_and_is_logged(
    registry, bengkalis_operator, client
):
    client.force_login(bengkalis_operator)
    page = client.post(reverse("registry:workers"), {"q": "1403 0141 0185 0001"})
    assert page.status_code == 200 and "Rusni" in page.text and "Bahtiar" not in page.text
    log = PersonalDataAccess.objects.get(action="search_nik")
    assert log.user == bengkalis_operator
    assert log.object_id == str(Worker.objects.get(full_name="Rusni").pk)
    assert "no-store" in page["Cache-Control"]


def test_a_nik_never_travels_in_the_search_url(registry, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    workers = reverse("registry:workers")
    form = client.get(workers).text
    assert '<form method="post" class="filters"' in form
    # A NIK posted is answered on the spot: no redirect carries it into a URL.
    posted = client.post(workers, {"q": "1403014101850001", "district": ""})
    assert posted.status_code == 200 and "1403014101850001" not in posted.get("Location", "")
    assert "1403014101850001" not in "".join(posted.text.split('name="q"')[0])  # not in links
    # Anything else goes to its URL (names and filters may be bookmarked and paged).
    by_name = client.post(workers, {"q": "bahtiar", "district": "14.03.02"})
    assert (
        by_name.status_code == 302
        and by_name["Location"] == f"{workers}?q=bahtiar&district=14.03.02"
    )
    # A NIK typed into the address bar is not searched.
    before = PersonalDataAccess.objects.filter(action="search_nik").count()
    typed = client.get(workers, {"q": "1403014101850001"})
    assert typed.status_code == 200 and "kotak pencarian" in typed.text
    assert PersonalDataAccess.objects.filter(action="search_nik").count() == before


def test_name_search_and_filters(registry, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    assert "Bahtiar" in client.get(reverse("registry:workers"), {"q": "bahtiar"}).text
    by_district = client.get(reverse("registry:workers"), {"district": "14.03.02"})
    assert "Bahtiar" in by_district.text and "Rusni" not in by_district.text
    by_village = client.get(
        reverse("registry:workers"), {"district": "14.03.01", "village": "14.03.01.2022"}
    )
    assert "Rusni" in by_village.text and "Bahtiar" not in by_village.text
    assert 'value="14.03.01.2022"' in by_village.text  # Kelebuk offered once a district is chosen
    by_occupation = client.get(reverse("registry:workers"), {"occupation": "nelayan"})
    assert "Bahtiar" in by_occupation.text and "Rusni" not in by_occupation.text
    by_desil = client.get(reverse("registry:workers"), {"desil": 2})
    assert "Bahtiar" in by_desil.text and "Rusni" not in by_desil.text
    rusni = Worker.objects.get(full_name="Rusni")
    rusni.status, rusni.date_of_death = WorkerStatus.DECEASED, datetime.date(2025, 9, 1)
    rusni.save()
    by_status = client.get(reverse("registry:workers"), {"status": "deceased"})
    assert "Rusni" in by_status.text and "Bahtiar" not in by_status.text


def test_finance_officer_sees_masked_names_and_no_personal_fields(registry, make_user, client):
    finance = make_user("keu", RoleCode.FINANCE_OFFICER, BENGKALIS)
    client.force_login(finance)
    page = client.get(reverse("registry:workers"))
    assert "R**** " in page.text or "R****<" in page.text
    assert "Rusni<" not in page.text and ">Rusni" not in page.text
    rusni = Worker.objects.get(full_name="Rusni")
    detail = client.get(reverse("registry:worker", args=[rusni.pk]))
    assert detail.status_code == 200
    assert "1403**********0001" in detail.text
    assert "0812" not in detail.text and 'id="reveal"' not in detail.text
    revealed = client.post(reverse("registry:worker", args=[rusni.pk]), {"reason": "cek"})
    assert "1403014101850001" not in revealed.text
    assert not PersonalDataAccess.objects.filter(user=finance).exists()


def test_operator_reveals_a_nik_with_a_reason_and_the_read_is_logged(
    registry, bengkalis_operator, client
):
    client.force_login(bengkalis_operator)
    rusni = Worker.objects.get(full_name="Rusni")
    detail = client.get(reverse("registry:worker", args=[rusni.pk]))
    assert "1403**********0001" in detail.text and "1403014101850001" not in detail.text
    assert PersonalDataAccess.objects.filter(action="view_record", object_id=str(rusni.pk)).exists()
    revealed = client.post(
        reverse("registry:worker", args=[rusni.pk]), {"reason": "verifikasi klaim JKM"}
    )
    assert "1403014101850001" in revealed.text
    log = PersonalDataAccess.objects.get(action="view_nik")
    assert (log.user, log.reason, log.region_code) == (
        bengkalis_operator,
        "verifikasi klaim JKM",
        rusni.village_id,
    )
    without_reason = client.post(reverse("registry:worker", args=[rusni.pk]), {"reason": ""})
    assert "1403014101850001" not in without_reason.text


def test_worker_history_is_shown(registry, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    rusni = Worker.objects.get(full_name="Rusni")
    page = client.get(reverse("registry:worker", args=[rusni.pk]))
    assert 'id="history"' in page.text and "Impor batch" in page.text


@pytest.mark.django_db(transaction=True)  # the worker commits its own transactions
def test_upload_runs_in_the_database_backed_worker(
    registry, bengkalis_operator, client, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    # The worker recycles "old" connections between tasks; here it shares the test's connection,
    # which must stay open for the assertions that follow.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    client.force_login(bengkalis_operator)
    content = write_csv(
        tmp_path / "web.csv", [RUSNI, ["", "X", "", "", "Kelebuk", "", "", "", "", ""]]
    ).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("registry:imports"),
            {
                "file": SimpleUploadedFile("daftar desa.csv", content, "text/csv"),
                "region": BENGKALIS,
                "source": "Daftar desa",
            },
        )
    batch = ImportBatch.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_detail", args=[batch.pk])
    assert batch.status == "pending" and batch.created_by == bengkalis_operator
    queued = DBTaskResult.objects.get(task_path__endswith="import_workers")
    assert queued.args_kwargs["args"] == [batch.pk]
    call_command("db_worker", "--batch", "--no-startup-delay")
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    refreshes = DBTaskResult.objects.filter(task_path__endswith="refresh_reports")
    assert refreshes.exists() and {r.status for r in refreshes} == {"SUCCESSFUL"}
    assert RegionFact.objects.filter(region_code=BENGKALIS, dimension="total").exists()
    batch.refresh_from_db()
    assert (batch.status, batch.unchanged, batch.rejected) == ("done", 1, 1)
    status = client.get(reverse("registry:import_status", args=[batch.pk])).json()
    assert status["status"] == "done" and status["progress"]["done"] == 2
    page = client.get(reverse("registry:import_detail", args=[batch.pk]))
    assert "NIK kosong" in page.text and 'id="rejects-link"' in page.text
    download = client.get(reverse("registry:import_rejects", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert PersonalDataAccess.objects.filter(action="export", object_id=str(batch.pk)).exists()


def test_upload_form_refuses_other_file_types(registry, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    response = client.post(
        reverse("registry:imports"),
        {
            "file": SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff", "image/jpeg"),
            "region": BENGKALIS,
        },
    )
    assert response.status_code == 200 and "xlsx" in response.text
    assert not ImportBatch.objects.filter(file_name="foto.jpg").exists()


def test_operator_cannot_import_into_or_read_a_foreign_batch(
    registry, siak_operator, bengkalis_operator, client
):
    client.force_login(siak_operator)
    foreign = ImportBatch.objects.filter(region_id=BENGKALIS).first()
    for name in ("registry:import_detail", "registry:import_status", "registry:import_rejects"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    page = client.get(reverse("registry:imports"))
    assert 'value="14.03"' not in page.text and 'value="14.08"' in page.text
    response = client.post(
        reverse("registry:imports"),
        {"file": SimpleUploadedFile("x.csv", b"NIK;Nama;Desa\n", "text/csv"), "region": BENGKALIS},
    )
    assert (
        response.status_code == 200 and not ImportBatch.objects.filter(file_name="x.csv").exists()
    )


def test_auditor_cannot_upload(registry, make_user, client):
    client.force_login(make_user("aud", RoleCode.AUDITOR, BENGKALIS))
    assert client.get(reverse("registry:imports")).status_code == 403


def test_duplicate_review_merges_only_on_a_decision(registry, bengkalis_operator, client, tmp_path):
    twin = ["1403014101850099", "Rusni", "P", "01-01-1985", "Kelebuk", "Bengkalis", "", "", "", ""]
    services.run_import(
        services.create_batch(
            write_csv(tmp_path / "twin.csv", [twin]), Region.objects.get(code=BENGKALIS)
        )
    )
    candidate = DuplicateCandidate.objects.get()
    client.force_login(bengkalis_operator)
    assert "Rusni" in client.get(reverse("registry:duplicates")).text
    client.post(reverse("registry:duplicate_review", args=[candidate.pk]), {"verdict": "same"})
    candidate.refresh_from_db()
    newer = Worker.objects.get(pk=candidate.other_id)
    assert candidate.status == "same" and candidate.reviewed_by == bengkalis_operator
    assert (newer.status, newer.merged_into_id) == (WorkerStatus.MERGED, candidate.worker_id)
    assert newer.history.latest().history_user == bengkalis_operator


def test_progress_is_reported_through_the_cache(registry):
    batch = ImportBatch.objects.first()
    tasks._reporter(batch.pk)(10, 40)
    assert tasks.progress_of(batch.pk) == {"done": 10, "total": 40}
