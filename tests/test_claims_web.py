"""The claim screens: reporting by NIK, what each role sees, downloads that are logged, and the
demo's seed claims."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaring.accounts.models import PersonalDataAccess, User
from jaring.accounts.rules import RoleCode
from jaring.claims import services
from jaring.claims.models import Claim, ClaimStatus, DeathList
from jaring.demo.seed import (
    import_demo_workers,
    seed_demo_claims,
    seed_demo_money,
    seed_demo_reports,
    setup_demo,
)
from jaring.enrolment.models import Enrolment
from jaring.registry.models import Worker
from jaring.reports.models import RegionFact, WorkforceEstimate
from tests.conftest import BENGKALIS
from tests.test_claims import PDF, RUSNI, build_coverage, nik_of

D = datetime.date


@pytest.fixture
def covered(make_user, occupations, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_coverage(make_user("pembangun", is_superuser=True), tmp_path)
    return {
        "officer": make_user("klaim", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "finance": make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS),
        "supervisor": make_user("supervisor", RoleCode.CLAIMS_SUPERVISOR, BENGKALIS),
    }


RUSNI_DIED = {
    "nik": nik_of(RUSNI),
    "program": "JKM",
    "event": "death",
    "event_date": "2025-08-10",
    "reported_by": "village",
}


def test_an_officer_reports_a_death_by_nik_and_reads_the_reasons(covered, client):
    client.force_login(covered["officer"])
    response = client.post(
        reverse("claims:report"), RUSNI_DIED | {"reporter_name": "Kepala Desa Kelebuk"}
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "claims:detail", args=[claim.pk]
    )
    page = client.get(response["Location"]).text
    assert "Terlindungi pada tanggal kejadian; iuran sudah dibayar." in page
    assert "Rp42.000.000" in page and "empat puluh dua juta rupiah" in page
    assert "Rusni" in page and "Kepala Desa Kelebuk" in page
    assert PersonalDataAccess.objects.filter(
        user=covered["officer"], action="search_nik", object_id=str(claim.worker_id)
    ).exists()
    assert PersonalDataAccess.objects.filter(object_type="claim", object_id=str(claim.pk)).exists()


def test_a_nik_outside_the_region_or_unknown_opens_nothing(covered, client, make_user):
    client.force_login(make_user("klaim.siak", RoleCode.CLAIMS_OFFICER, "14.08"))
    foreign = client.post(reverse("claims:report"), RUSNI_DIED)
    assert foreign.status_code == 200 and "Tidak ada pekerja dengan NIK itu" in foreign.text
    client.force_login(covered["officer"])
    unknown = client.post(reverse("claims:report"), RUSNI_DIED | {"nik": "1403015001900003"})
    assert unknown.status_code == 200 and "Tidak ada pekerja dengan NIK itu" in unknown.text
    assert not Claim.objects.exists()


def test_roles_without_personal_data_see_masked_names_and_no_files(covered, client):
    officer = covered["officer"]
    claim = services.report_event(
        Worker.objects.get(full_name="Rusni"),
        services.EventReport("JKM", "death", D(2025, 8, 10), "family"),
        officer,
        today=D(2026, 1, 5),
    )
    services.add_family_member(claim, officer, full_name="Zulkifli", relationship="spouse")
    document = services.upload_document(
        claim, "kpj_card", SimpleUploadedFile("kpj.pdf", PDF), officer
    )
    client.force_login(covered["finance"])
    page = client.get(reverse("claims:detail", args=[claim.pk])).text
    assert "Rusni" not in page and "Zulkifli" not in page and "R****" in page
    assert client.get(reverse("claims:document", args=[document.pk])).status_code == 404
    assert (
        client.post(reverse("claims:decide", args=[claim.pk]), {"action": "submit"}).status_code
        == 403
    )
    client.force_login(officer)
    download = client.get(reverse("claims:document", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert PersonalDataAccess.objects.filter(
        user=officer, action="export", object_type="claim_document", object_id=str(document.pk)
    ).exists()


def test_a_bad_upload_through_the_screen_says_why(covered, client):
    officer = covered["officer"]
    claim = services.report_event(
        Worker.objects.get(full_name="Rusni"),
        services.EventReport("JKM", "death", D(2025, 8, 10), "family"),
        officer,
        today=D(2026, 1, 5),
    )
    client.force_login(officer)
    response = client.post(
        reverse("claims:document_upload", args=[claim.pk]),
        {"kind": "kpj_card", "file": SimpleUploadedFile("virus.pdf", b"#!/bin/sh\nrm -rf /")},
        follow=True,
    )
    assert "Berkas harus PDF, JPG atau PNG" in response.text
    assert not claim.documents.exists()


def seed_small_demo(settings, tmp_path) -> dict:
    """The demo's story on 200 synthetic workers, 150 of them covered (eleven months paid)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(
        users["keuangan"],
        users["operator"],
        users["bpjs.duri"],
        allocation=150 * 12 * 16_800,
        paid=150 * 11 * 16_800,
    )
    seed_demo_claims(users["klaim"], users["supervisor"], users["operator"])
    return users


def test_the_demo_pays_the_seed_claims_and_leaves_potential_ones(
    riau_regions, occupations, settings, tmp_path
):
    users = seed_small_demo(settings, tmp_path)
    paid = Claim.objects.filter(status=ClaimStatus.PAID).order_by("worker__full_name")
    assert [c.worker.full_name for c in paid] == ["Bahtiar", "Rusni", "Safri Ismail"]
    assert {(c.benefit_total, c.handover.held_on, c.handover.place) for c in paid} == {
        (42_000_000, D(2025, 9, 22), "Wisma Daerah Sri Mahkota")
    }
    assert all(
        c.decided_by == users["supervisor"] and c.submitted_by == users["klaim"] for c in paid
    )
    # BPJS received, decided and paid before the handover, which is signed and frozen.
    assert all(
        c.bpjs_received_on < c.paid_on < c.handover.held_on
        and c.bpjs_total == c.benefit_total
        and c.handover.is_signed
        and c.handover.snapshot["worker_name"] == c.worker.full_name
        for c in paid
    )
    found = DeathList.objects.get()
    assert (
        found.rows,
        found.matched_covered,
        found.claims_opened,
        found.not_covered,
        found.unknown,
    ) == (8, 5, 5, 2, 1)
    assert Claim.objects.filter(status=ClaimStatus.POTENTIAL).count() == 5
    seed_demo_claims(users["klaim"], users["supervisor"], users["operator"])  # runs once
    assert Claim.objects.count() == 8
    settings.JARING_REPORT_DATE = "2025-09-22"
    seed_demo_reports(users["operator"])
    regency = RegionFact.objects.get(region_code="14.03", dimension="total")
    assert (regency.claims_paid, regency.benefits_paid) == (3, 126_000_000)
    assert (
        regency.covered
        == Enrolment.objects.filter(status="active", worker__status="active").count()
    )
    estimate = WorkforceEstimate.objects.get(region_id="14.03")
    assert estimate.informal_workers > 100_000 and "BPS" in estimate.source
