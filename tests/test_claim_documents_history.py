"""Issue #15, claim UX: one scanned file serves several document types; the history groups
repeated events; the berita acara shows the heir as UU 27/2022 (PDP) allows — the name and a
masked NIK, never the full NIK."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jaring.claims import selectors, services
from jaring.claims.selectors import group_repeats
from tests import test_claims
from tests.test_claims import (
    PDF,
    RUSNI,
    D,
    bpjs_approves,
    death,
    handover_facts,
    handover_pdf,
    pdf_text,
    to_bpjs,
    transfer,
    upload,
)

people = test_claims.people  # the claims tests' users and covered workers


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _one_scan(claim, user, kind, also, name="ktp-kk.pdf"):
    scan = SimpleUploadedFile(name, PDF + b"ktp dan kk pada satu halaman")
    return services.upload_document(claim, kind, scan, user, also=also)


def test_one_scan_counts_for_each_type_it_serves(people, media):
    officer, clerk = people["officer"], people["clerk"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    services.add_family_member(claim, officer, full_name="Istri", relationship="spouse")
    required = services.required_documents(claim)
    assert {"ktp_deceased", "family_card"} <= set(required)
    scan = _one_scan(claim, officer, "ktp_deceased", ["family_card", "ktp_deceased"])
    assert scan.kinds == ["ktp_deceased", "family_card"]  # the main one is not repeated
    rows = {item.kind: item.documents for item in selectors.checklist(claim)}
    assert rows["ktp_deceased"] == [scan] and rows["family_card"] == [scan]

    with pytest.raises(ValidationError, match="oleh petugas lain"):
        services.verify_document(scan, officer)  # its uploader never checks it
    for kind in set(required) - {"ktp_deceased", "family_card"}:
        services.verify_document(upload(claim, kind, officer), clerk, today=D(2025, 9, 15))
    claim.refresh_from_db()
    assert claim.documents_complete_on is None  # the scan is not checked yet
    services.verify_document(scan, clerk, today=D(2025, 9, 16))
    claim.refresh_from_db()
    assert claim.documents_complete_on == D(2025, 9, 16)  # one check covers both types


def test_an_unknown_extra_type_is_refused(people, media):
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])
    with pytest.raises(ValidationError):
        _one_scan(claim, people["officer"], "ktp_deceased", ["passport"])
    assert not claim.documents.exists()


def test_the_upload_form_takes_the_other_types(people, media, client):
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])
    client.force_login(people["officer"])
    client.post(
        reverse("claims:document_upload", args=[claim.pk]),
        {
            "kind": "ktp_deceased",
            "also": ["family_card"],
            "file": SimpleUploadedFile("scan.pdf", PDF + b"scan"),
        },
    )
    assert claim.documents.get().kinds == ["ktp_deceased", "family_card"]


def test_repeated_events_are_grouped_newest_first():
    rows = ["a", "a", "a", "b", "a"]
    groups = group_repeats(rows, key=lambda row: row)
    assert [(g.latest, g.count) for g in groups] == [("a", 3), ("b", 1), ("a", 1)]
    assert sum(g.count for g in groups) == len(rows)  # nothing hidden, only folded


def test_the_claim_page_folds_repeated_uploads(people, media, client):
    officer = people["officer"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    for kind in ("kpj_card", "death_certificate", "family_card"):
        upload(claim, kind, officer)
    groups = selectors.history_of(claim)
    assert (groups[0].count, groups[0].latest.history_change_reason) == (3, "Dokumen diunggah")
    client.force_login(officer)
    page = client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "3 × Dokumen diunggah" in page and "<details>" in page


def test_the_berita_acara_shows_the_heirs_name_and_a_masked_nik(people, media):
    officer, supervisor, bpjs = people["officer"], people["supervisor"], people["bpjs"]
    claim = death(RUSNI, D(2025, 8, 10), officer)
    services.add_family_member(
        claim,
        officer,
        full_name="Istri Rusni",
        relationship="spouse",
        nik="1403014101850009",
        birth_date=D(1985, 1, 1),
    )
    for kind in services.required_documents(claim):
        services.verify_document(upload(claim, kind, officer), people["clerk"], D(2025, 9, 15))
    claim.refresh_from_db()
    claim = bpjs_approves(to_bpjs(claim, officer, supervisor, bpjs), bpjs)
    heir = claim.family.get(is_heir=True)
    services.record_benefit_payment(claim.instalments.get(), heir, transfer(42_000_000), bpjs)
    claim.refresh_from_db()
    services.record_handover(claim, heir, handover_facts(), officer)
    services.sign_handover(claim, officer)
    text = pdf_text(handover_pdf(claim))
    assert "Istri Rusni" in text and "1403**********0009" in text
    assert "1403014101850009" not in text
    claim.handover.refresh_from_db()
    assert claim.handover.snapshot["recipient_nik"] == "1403**********0009"  # frozen masked
