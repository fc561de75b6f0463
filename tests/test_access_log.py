"""The auditor's personal-data access log: one row per read, whose data it was, filters."""

import datetime

import pytest

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.regions.models import Region
from jaring.registry import services as registry
from tests.conftest import BENGKALIS

NIK = "1403015506900004"


def _worker(operator, nik=NIK, name="Siti Aminah", born=datetime.date(1990, 6, 15)):
    village = Region.objects.get(name="Kelebuk", code__startswith=BENGKALIS + ".")
    data = registry.WorkerInput(
        nik=nik,
        full_name=name,
        sex="P",
        birth_date=born,
        village_code="",
    )
    return registry.register_worker(data, village, operator)


@pytest.fixture
def world(make_user, occupations):
    operator = make_user("operator", RoleCode.OPERATOR, BENGKALIS, first_name="Siti")
    auditor = make_user("auditor", RoleCode.AUDITOR, BENGKALIS)
    return operator, auditor, _worker(operator)


def test_each_page_view_is_one_row_naming_the_worker_read(world, client):
    """One row per view (never several for one page), and every view kept: an append-only log
    keeps a reload too."""
    operator, _auditor, worker = world
    other = _worker(operator, "1403014101850099", "Rusni", datetime.date(1985, 1, 1))
    client.force_login(operator)
    for _ in range(3):  # a reload, the language switch's redirect, the back button
        assert client.get(f"/pekerja/{worker.pk}/").status_code == 200
    client.get(f"/pekerja/{other.pk}/")
    reads = PersonalDataAccess.objects.filter(action="view_record", object_type="worker")
    assert sorted(reads.values_list("object_id", flat=True)) == sorted(
        [str(worker.pk)] * 3 + [str(other.pk)]
    )


def test_the_auditor_sees_whose_data_was_read_masked_with_a_link_and_the_address(world, client):
    operator, auditor, worker = world
    client.force_login(operator)
    client.get(f"/pekerja/{worker.pk}/", REMOTE_ADDR="10.1.2.3")
    client.force_login(auditor)
    page = client.get("/akun/log-akses/")
    row = page.text.split('<td class="person">')[1].split("</td>")[0]
    assert f'href="/pekerja/{worker.pk}/"' in row
    assert "Siti Aminah" not in page.text.replace("Siti Aminah (", "")  # masked for the auditor
    assert "S*** A*****" in row or "Siti" not in row
    assert "10.1.2.3" in page.text


def test_the_auditor_finds_reads_of_a_person_by_nik_without_the_nik_in_the_address(
    world, client, make_user
):
    operator, auditor, worker = world
    other = _worker(operator, "1403014101850099", "Rusni", datetime.date(1985, 1, 1))
    client.force_login(operator)
    client.get(f"/pekerja/{worker.pk}/")
    client.get(f"/pekerja/{other.pk}/")
    client.force_login(auditor)
    found = client.post("/akun/log-akses/", {"nik": NIK})
    assert found.status_code == 302 and NIK not in found.url
    assert found.url.endswith(f"?worker={worker.pk}")
    page = client.get(found.url)
    assert f"/pekerja/{worker.pk}/" in page.text and f"/pekerja/{other.pk}/" not in page.text
    unknown = client.post("/akun/log-akses/", {"nik": "1403019999990001"})
    assert unknown.status_code == 200 and "Tidak ada pekerja dengan NIK ini" in unknown.text
    # The error sits next to its field and is tied to it for a screen reader.
    assert 'aria-invalid="true"' in unknown.text
    assert 'aria-describedby="id_nik_error"' in unknown.text and 'id="id_nik_error"' in unknown.text
    by_user = client.get("/akun/log-akses/", {"username": "siti"})  # first name, any case
    assert by_user.text.count('<td class="person">') == 2
    assert (
        client.get("/akun/log-akses/", {"username": "budi"}).text.count('<td class="person">') == 0
    )


def test_a_nik_search_stays_in_the_auditors_regions_and_is_itself_logged(
    world, client, make_user
):
    _operator, auditor, worker = world
    siak_auditor = make_user("auditor.siak", RoleCode.AUDITOR, "14.08")
    client.force_login(siak_auditor)
    elsewhere = client.post("/akun/log-akses/", {"nik": NIK})
    # A Bengkalis NIK is not even confirmed to exist for Siak's auditor.
    assert elsewhere.status_code == 200 and "Tidak ada pekerja dengan NIK ini" in elsewhere.text
    client.force_login(auditor)
    client.post("/akun/log-akses/", {"nik": NIK})
    searches = PersonalDataAccess.objects.filter(action="search_nik", object_type="worker")
    assert sorted(searches.values_list("user__username", "object_id")) == [
        ("auditor", str(worker.pk)),
        ("auditor.siak", ""),
    ]
