"""Region integrity (issue #13): a region never changes a worker of another region.

A Bengkalis list naming a NIK registered in Siak leaves the Siak record untouched through every
surface (web upload, API, CLI), says so row by row without naming anything of Siak, and opens
one transfer request that Siak's admin accepts (the worker moves, its enrolment ends at the end
of the month, both access logs record it) or refuses. Same-person cases across kabupaten go to
both admins, never merged silently.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.api import services as api_services
from jaring.core.text import name_key, person_key
from jaring.enrolment.models import Enrolment
from jaring.finance.models import FundingSource
from jaring.regions.models import Region
from jaring.registry import services
from jaring.registry.models import (
    DuplicateCandidate,
    ImportBatch,
    ImportRowIssue,
    TransferRequest,
    Worker,
    WorkerStatus,
)
from tests.conftest import BENGKALIS, SIAK
from tests.test_registry_import import write_csv

SIAK_NIK = "1408010101900001"  # a man born 1 January 1990, first registered in Siak
SIAK_VILLAGE_NAME = "Mempura"  # never to appear in what Bengkalis is told


def village(regency: str) -> Region:
    return Region.objects.filter(code__startswith=regency + ".", level=4).order_by("code").first()


def row(nik, name, village_code, phone="", sex="L", birth="01-01-1990"):
    return [nik, name, sex, birth, village_code, "", "Petani", "", "1", phone]


@pytest.fixture
def regions(make_user, occupations, tmp_path, settings):
    """Siak holds Ahmad Ma'ruf; Bengkalis's operator is about to name his NIK."""
    settings.MEDIA_ROOT = tmp_path / "media"
    siak_village, bengkalis_village = village(SIAK), village(BENGKALIS)
    siak_file = write_csv(
        tmp_path / "siak.csv", [row(SIAK_NIK, "Ahmad Ma'ruf", siak_village.code, "0812 1111 2222")]
    )
    run_file(siak_file, SIAK)
    return {
        "worker": Worker.objects.get(),
        "siak_village": siak_village,
        "bengkalis_village": bengkalis_village,
        "operator": make_user("op.bengkalis", RoleCode.OPERATOR, BENGKALIS),
        "siak_admin": make_user("admin.siak", RoleCode.REGENCY_ADMIN, SIAK),
        "bengkalis_admin": make_user("admin.bengkalis", RoleCode.REGENCY_ADMIN, BENGKALIS),
    }


def run_file(path, region_code, user=None) -> ImportBatch:
    region = Region.objects.get(code=region_code)
    return services.run_import(services.create_batch(path, region, "DTKS", user=user))


def cross_file(tmp_path, regions, name="claims.csv"):
    """Bengkalis's list: its own new worker, and the Siak NIK under another name and village."""
    here = regions["bengkalis_village"].code
    return write_csv(
        tmp_path / name,
        [
            row("1403010101900002", "Warga Bengkalis", here),
            row(SIAK_NIK, "Nama Lain", here, "0813 9999 0000"),
        ],
    )


def snapshot(worker: Worker) -> tuple:
    worker = Worker.objects.get(pk=worker.pk)
    return (worker.full_name, worker.village_id, worker.phone, worker.status, worker.last_batch_id)


def import_by_web(client, regions, path) -> ImportBatch:
    client.force_login(regions["operator"])
    upload = SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")
    response = client.post(
        reverse("registry:imports"), {"file": upload, "region": BENGKALIS, "source": "DTKS"}
    )
    assert response.status_code == 302
    return services.run_import(ImportBatch.objects.latest("pk"))  # what the task worker runs


def import_by_api(client, regions, path) -> ImportBatch:
    _row, token = api_services.issue_token(regions["operator"], "integrasi")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    upload = SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")
    response = api.post("/api/v1/imports/", {"file": upload, "region": BENGKALIS})
    assert response.status_code == 202, response.content
    batch = services.run_import(ImportBatch.objects.get(pk=response.json()["id"]))
    assert api.get(f"/api/v1/imports/{batch.pk}").json()["registered_elsewhere"] == 1
    return batch


def import_by_cli(client, regions, path) -> ImportBatch:
    call_command("import_workers", str(path), "--region", BENGKALIS, "--json")
    return ImportBatch.objects.latest("pk")


@pytest.mark.parametrize("surface", [import_by_web, import_by_api, import_by_cli])
def test_an_import_never_changes_a_worker_of_another_region(surface, regions, client, tmp_path):
    siak_worker = regions["worker"]
    before = snapshot(siak_worker)
    path = cross_file(tmp_path, regions)
    for _run in range(2):  # the same list twice: still one request
        batch = surface(client, regions, path)
        assert (batch.status, batch.accepted + batch.unchanged, batch.registered_elsewhere) == (
            "done",
            1,
            1,
        )
        issue = ImportRowIssue.objects.get(batch=batch, outcome="registered_elsewhere")
        assert issue.row_number == 3 and issue.codes == ["registered_elsewhere"]
        assert issue.raw["Nama Lengkap"] == "Nama Lain"  # the row as it came, for the workbook
        assert "wilayah lain" in issue.message
        for secret in ("Ahmad", "Siak", SIAK_VILLAGE_NAME, regions["siak_village"].name):
            assert secret not in issue.message
        assert services.rejects_workbook(batch).exists()
    assert snapshot(siak_worker) == before
    request = TransferRequest.objects.get()
    assert (request.status, request.worker_id, request.from_regency, request.to_regency) == (
        "open",
        siak_worker.pk,
        SIAK,
        BENGKALIS,
    )
    assert request.to_village_id == regions["bengkalis_village"].code
    assert request.phone == "081399990000"
    assert request.history.count() == 1


def test_each_chunk_marks_its_own_rows_registered_elsewhere(regions, tmp_path):
    """A list read in chunks of one row: a NIK of Siak in the first chunk and one in the last
    are each refused once, with their own row, and each opens one request."""
    other_siak_nik = "1408010202910003"
    budi = row(other_siak_nik, "Budi", village(SIAK).code, birth="02-02-1991")
    run_file(write_csv(tmp_path / "siak2.csv", [budi]), SIAK)
    here = regions["bengkalis_village"].code
    path = write_csv(
        tmp_path / "chunks.csv",
        [
            row(SIAK_NIK, "Nama Lain", here),
            row("1403010101900002", "Warga Bengkalis", here),
            row("1403010303920004", "Warga Kedua", here, birth="03-03-1992"),
            row(other_siak_nik, "Budi Lain", here, birth="02-02-1991"),
        ],
    )
    batch = services.create_batch(path, Region.objects.get(code=BENGKALIS), "DTKS")
    batch = services.run_import(batch, chunk_rows=1)
    assert (batch.accepted, batch.registered_elsewhere) == (2, 2)
    refused = ImportRowIssue.objects.filter(batch=batch, outcome="registered_elsewhere")
    assert sorted(refused.values_list("row_number", flat=True)) == [2, 5]
    assert TransferRequest.objects.filter(batch=batch).count() == 2
    assert Worker.objects.filter(regency_code=SIAK).count() == 2


def test_the_transfer_page_shows_the_request_to_both_sides(regions, client, tmp_path):
    run_file(cross_file(tmp_path, regions), BENGKALIS, regions["operator"])
    request = TransferRequest.objects.get()
    for user, may_decide in (
        (regions["siak_admin"], True),
        (regions["operator"], False),
        (regions["bengkalis_admin"], False),
    ):
        client.force_login(user)
        page = client.get(reverse("registry:transfers"))
        assert page.status_code == 200 and 'id="transfers"' in page.text
        assert "A**** M*****" in page.text and "Ahmad" not in page.text
        decide = reverse("registry:transfer_decide", args=[request.pk])
        assert (decide in page.text) is may_decide


def _enrol(worker: Worker) -> Enrolment:
    source = FundingSource.objects.create(region_id=SIAK, kind="apbd_kab", name="APBD Siak")
    this_month = timezone.localdate().replace(day=1)
    return Enrolment.objects.create(
        worker=worker,
        source=source,
        status="active",
        start_month=this_month.replace(year=this_month.year - 1),
        end_month=this_month.replace(year=this_month.year + 1),
        declared_income=1_000_000,
        kpj_number="1" * 11,
    )


def test_siaks_admin_accepts_and_the_worker_moves(regions, client, tmp_path):
    run_file(cross_file(tmp_path, regions), BENGKALIS, regions["operator"])
    worker, request = regions["worker"], TransferRequest.objects.get()
    enrolment = _enrol(worker)
    with pytest.raises(PermissionDenied):  # the asking region does not decide
        services.decide_transfer(request, regions["bengkalis_admin"], accept=True)
    client.force_login(regions["siak_admin"])
    response = client.post(
        reverse("registry:transfer_decide", args=[request.pk]),
        {"decision": "accept", "reason": "pindah domisili"},
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.village_id, worker.regency_code) == (
        regions["bengkalis_village"].code,
        BENGKALIS,
    )
    assert worker.full_name == "Ahmad Ma'ruf" and worker.phone == "081399990000"
    assert worker.status == WorkerStatus.ACTIVE
    assert "Pindah wilayah" in worker.history.latest().history_change_reason
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.end_reason) == ("ended", "moved")
    assert enrolment.end_month == timezone.localdate().replace(day=1)
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.reason) == (
        "accepted",
        regions["siak_admin"],
        "pindah domisili",
    )
    logged = PersonalDataAccess.objects.filter(action="transfer", object_id=str(worker.pk))
    assert {row.region_code[:5] for row in logged} == {SIAK, BENGKALIS}
    again = client.post(
        reverse("registry:transfer_decide", args=[request.pk]), {"decision": "refuse"}
    )
    # The worker is Bengkalis's now: Siak's admin no longer decides anything about it.
    assert again.status_code == 403 and TransferRequest.objects.get().status == "accepted"


def test_a_refusal_changes_nothing(regions, tmp_path):
    run_file(cross_file(tmp_path, regions), BENGKALIS, regions["operator"])
    worker, request = regions["worker"], TransferRequest.objects.get()
    enrolment = _enrol(worker)
    before = snapshot(worker)
    services.decide_transfer(request, regions["siak_admin"], accept=False, reason="masih di Siak")
    assert snapshot(worker) == before
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert TransferRequest.objects.get().status == "refused"
    assert not PersonalDataAccess.objects.filter(action="transfer").exists()
    # Refused, the next list may ask again: a new open request.
    run_file(cross_file(tmp_path, regions, "again.csv"), BENGKALIS, regions["operator"])
    assert TransferRequest.objects.filter(status="open").count() == 1


def test_the_single_worker_form_refuses_a_nik_of_another_region(regions, client):
    client.force_login(regions["operator"])
    before = snapshot(regions["worker"])
    response = client.post(
        reverse("registry:worker_create"),
        {
            "nik": SIAK_NIK,
            "full_name": "Nama Lain",
            "sex": "L",
            "birth_date": "1990-01-01",
            "village": regions["bengkalis_village"].code,
            "occupation": "lainnya",
            "phone": "",
            "address": "Jl. Baru",
        },
    )
    assert response.status_code == 200 and "wilayah lain" in response.text
    assert "Ahmad" not in response.text and SIAK_VILLAGE_NAME not in response.text
    assert snapshot(regions["worker"]) == before and Worker.objects.count() == 1
    request = TransferRequest.objects.get()
    assert (request.status, request.address, request.requested_by) == (
        "open",
        "Jl. Baru",
        regions["operator"],
    )


def test_the_worker_api_refuses_a_nik_of_another_region(regions):
    _row, token = api_services.issue_token(regions["operator"], "integrasi")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = snapshot(regions["worker"])
    payload = {
        "nik": SIAK_NIK,
        "full_name": "Nama Lain",
        "sex": "L",
        "birth_date": "1990-01-01",
        "village": regions["bengkalis_village"].code,
    }
    for _attempt in range(2):
        refused = api.post("/api/v1/workers/", json.dumps(payload), content_type="application/json")
        assert refused.status_code == 409 and refused.json()["code"] == "registered_elsewhere"
        assert "wilayah lain" in refused.json()["details"][0]
    assert TransferRequest.objects.filter(status="open").count() == 1
    foreign = api.patch(
        f"/api/v1/workers/{regions['worker'].pk}",
        json.dumps({"phone": "081200000000"}),
        content_type="application/json",
    )
    assert foreign.status_code == 404
    assert snapshot(regions["worker"]) == before


def test_an_update_moving_a_worker_to_another_kabupaten_is_a_transfer(regions, make_user):
    siak_operator = make_user("op.siak", RoleCode.OPERATOR, SIAK)
    _row, token = api_services.issue_token(siak_operator, "integrasi")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    before = snapshot(regions["worker"])
    moved = api.patch(
        f"/api/v1/workers/{regions['worker'].pk}",
        json.dumps({"village": regions["bengkalis_village"].code}),
        content_type="application/json",
    )
    assert moved.status_code in {403, 409}
    assert snapshot(regions["worker"]) == before
    with pytest.raises(Exception) as refused:  # the service, for a user with rights in both
        services.update_worker(
            regions["worker"], {"village_id": regions["bengkalis_village"].code}, None
        )
    assert getattr(refused.value, "code", None) == "transfer_required"
    assert snapshot(regions["worker"]) == before
    assert TransferRequest.objects.get().to_regency == BENGKALIS


def test_the_same_person_across_kabupaten_goes_to_both_admins(regions, tmp_path):
    """'MA RUF' in Bengkalis, same birth date and sex as Siak's 'Ahmad Ma'ruf': a case, no merge."""
    here = regions["bengkalis_village"].code
    path = write_csv(tmp_path / "twin.csv", [row("1403010101900009", "AHMAD MA RUF", here)])
    batch = run_file(path, BENGKALIS, regions["operator"])
    assert batch.accepted == 1
    twin = Worker.objects.get(nik_hint="14030009")
    case = DuplicateCandidate.objects.get()
    assert (case.cross_region, case.status) == (True, "open")
    assert {case.worker_id, case.other_id} == {regions["worker"].pk, twin.pk}
    warning = ImportRowIssue.objects.get(batch=batch, codes=["possible_duplicate"])
    assert warning.message == "Kemungkinan data ganda; dikirim untuk ditinjau."
    assert Worker.objects.filter(status="active").count() == 2  # nothing merged

    with pytest.raises(PermissionDenied):  # an operator does not decide across regions
        services.review_duplicate(case, regions["operator"], same_person=True)
    services.review_duplicate(case, regions["bengkalis_admin"], same_person=True)
    case.refresh_from_db()
    assert case.status == "open" and case.decisions.count() == 1
    services.review_duplicate(case, regions["siak_admin"], same_person=True)
    case.refresh_from_db()
    assert case.status == "same" and case.decisions.count() == 2
    twin.refresh_from_db()
    assert (twin.status, twin.merged_into_id) == ("merged", regions["worker"].pk)


def test_one_side_saying_different_keeps_both(regions, tmp_path):
    here = regions["bengkalis_village"].code
    path = write_csv(tmp_path / "twin.csv", [row("1403010101900009", "Ahmad Maruf", here)])
    run_file(path, BENGKALIS, regions["operator"])
    case = DuplicateCandidate.objects.get()
    services.review_duplicate(case, regions["siak_admin"], same_person=True)
    services.review_duplicate(case, regions["bengkalis_admin"], same_person=False)
    case.refresh_from_db()
    assert case.status == "different"
    assert Worker.objects.filter(status="active").count() == 2


def test_a_different_sex_elsewhere_is_no_case(regions, tmp_path):
    here = regions["bengkalis_village"].code
    path = write_csv(
        tmp_path / "other.csv", [row("1403014101900009", "Ahmad Maruf", here, sex="P")]
    )
    run_file(path, BENGKALIS, regions["operator"])
    assert not DuplicateCandidate.objects.exists()


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
marks = st.sampled_from(["'", "’", "`", "´", "‘", "ʼ"])


@given(words, words, marks)
def test_a_mark_inside_a_word_joins_it(left, right, mark):
    """ "Ma'ruf", "Maruf" and "MA RUF" are one person's name; the mark never splits a word."""
    joined = left + right
    assert name_key(f"{left}{mark}{right}") == name_key(joined) == joined
    assert (
        person_key(f"{left.title()}{mark}{right}")
        == person_key(joined.upper())
        == person_key(f"{left.upper()} {right.upper()}")
        == joined
    )


def test_region_names_with_marks_still_match(riau_regions):
    assert name_key("Sawang Ba'u") == "sawang bau"
    assert Region.objects.get(name="Sawang Ba'u").name_key == "sawang bau"
