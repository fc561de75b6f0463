"""Issues #14 (6) and #15: the BPJS branch's claim report / benefit payment report imported.

Each row is matched to a claim (BPJS claim number, else KPJ + event date) and applied through
the same services as the BPJS officer's screen; a row that cannot be applied says why and
changes nothing; the same file again changes nothing; the branch's own headers are data."""

import csv
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from jaring.accounts.models import OrgUnit
from jaring.claims import services
from jaring.claims.claim_report import DEFAULT_REPORT_HEADERS
from jaring.claims.models import BenefitPayment, Claim, ClaimReport, ClaimStatus
from jaring.core import sealed
from jaring.core.spreadsheets import FileRefused
from jaring.enrolment.models import BranchFormat
from jaring.regions.models import Region
from tests import test_claims
from tests.conftest import BENGKALIS
from tests.test_claims import BAHTIAR, RUSNI, SAFRI, SENT_ON, D, death, prepare

people = test_claims.people  # the claims tests' users and covered workers


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def sent(people, row, day) -> Claim:
    officer = people["officer"]
    claim = prepare(death(row, day, officer), officer, people["clerk"])
    services.submit(claim, officer)
    services.approve(claim, people["supervisor"], "Berkas lengkap")
    services.record_sending(claim, officer, SENT_ON, "hand")
    claim.refresh_from_db()
    return claim


def write_report(path, rows, headers=DEFAULT_REPORT_HEADERS):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        for row in rows:
            writer.writerow({h: row.get(h, "") for h in headers})
    return path


def paid_row(claim, number):
    amounts = {c["code"]: c["amount"] for c in claim.components}
    return {
        "NO KLAIM": number,
        "NO KPJ": claim.enrolment.kpj_number,
        "TANGGAL KEJADIAN": claim.event_date.strftime("%d-%m-%Y"),
        "TANGGAL TERIMA": "20-01-2026",
        "STATUS": "Dibayar",
        "TANGGAL KEPUTUSAN": "21-01-2026",
        "SANTUNAN SEKALIGUS": f"{amounts.get('lump_sum', 0):,}".replace(",", "."),
        "SANTUNAN BERKALA": str(amounts.get("periodic", 0)),
        "BIAYA PEMAKAMAN": str(amounts.get("funeral", 0)),
        "TANGGAL BAYAR": "23-01-2026",
        "JUMLAH BAYAR": str(sum(amounts.values())),
        "NO REFERENSI": f"TRF-{number}",
        "BANK": "BRK Syariah",
        "NO REKENING": "0123 4567 8901",
        "NAMA REKENING": "Istri",
    }


@pytest.fixture
def crafted(people, media, tmp_path):
    """Three claims at the branch and a report with a row of every kind."""
    paid = sent(people, RUSNI, D(2025, 8, 10))  # will be received, approved and paid
    half = sent(people, BAHTIAR, D(2025, 6, 1))  # its row is refused halfway: nothing applies
    by_kpj = sent(people, SAFRI, D(2025, 7, 1))  # found by KPJ + event date
    rows = [
        paid_row(paid, "JKM-001"),
        {"NO KLAIM": "JKM-404", "STATUS": "Diterima", "TANGGAL TERIMA": "20-01-2026"},
        {"NO KLAIM": "JKM-002", "STATUS": "entah", "NO KPJ": "123"},
        # Received and approved, but without the decision date: the receipt is rolled back too.
        {
            "NO KLAIM": "JKM-003",
            "NO KPJ": half.enrolment.kpj_number,
            "TANGGAL KEJADIAN": half.event_date.isoformat(),
            "TANGGAL TERIMA": "20-01-2026",
            "STATUS": "Disetujui",
        },
        {
            "NO KLAIM": "JKM-004",
            "NO KPJ": by_kpj.enrolment.kpj_number,
            "TANGGAL KEJADIAN": by_kpj.event_date.strftime("%d/%m/%Y"),
            "TANGGAL TERIMA": "21-01-2026",
            "STATUS": "Dalam proses",
        },
        {"NO KPJ": "99999999999", "TANGGAL KEJADIAN": "01-07-2025", "STATUS": "Ditolak"},
    ]
    path = write_report(tmp_path / "laporan-klaim-januari.csv", rows)
    return {"paid": paid, "half": half, "by_kpj": by_kpj, "path": path, "rows": rows}


def region():
    return Region.objects.get(code=BENGKALIS)


def test_each_row_is_applied_or_says_why(people, crafted):
    result = services.import_claim_report(crafted["path"], region(), people["bpjs"])
    report = result.report
    assert result.created
    assert (report.rows, report.applied, report.unchanged, report.unmatched, report.invalid) == (
        6,
        2,
        0,
        2,
        2,
    )
    lines = {line.row_number: line for line in report.lines.all()}
    assert lines[2].outcome == "applied" and lines[2].steps == "receipt decision payment"
    assert lines[3].outcome == "unmatched" and "JKM-404" in lines[3].reason
    assert lines[4].outcome == "invalid" and "entah" in lines[4].reason
    assert lines[5].outcome == "invalid" and "tanggal keputusan" in lines[5].reason.lower()
    assert lines[6].outcome == "applied" and lines[6].steps == "receipt"
    assert lines[7].outcome == "unmatched" and "*******9999" in lines[7].reason  # KPJ masked
    assert "99999999999" not in lines[7].reason

    paid = Claim.objects.get(pk=crafted["paid"].pk)
    assert paid.status == ClaimStatus.PAID and paid.bpjs_claim_number == "JKM-001"
    assert paid.bpjs_received_by == people["bpjs"] and paid.amount_difference == 0
    payment = BenefitPayment.objects.get(reference="TRF-JKM-001")
    assert payment.recorded_by == people["bpjs"] and payment.recipient.full_name == "Istri"
    half = Claim.objects.get(pk=crafted["half"].pk)
    assert (half.status, half.bpjs_claim_number, half.bpjs_received_on) == ("sent", "", None)
    by_kpj = Claim.objects.get(pk=crafted["by_kpj"].pk)
    assert (by_kpj.status, by_kpj.bpjs_claim_number) == ("at_bpjs", "JKM-004")
    # The file is kept sealed, like every other upload of personal data.
    kept = Path(report.file_path)
    assert sealed.key_id_of(kept) is not None and b"JKM-001" not in kept.read_bytes()
    assert b"".join(sealed.unseal(kept)) == crafted["path"].read_bytes()


def test_the_same_file_again_changes_nothing(people, crafted):
    first = services.import_claim_report(crafted["path"], region(), people["bpjs"]).report
    again = services.import_claim_report(crafted["path"], region(), people["bpjs"])
    assert not again.created and again.report.pk == first.pk
    assert ClaimReport.objects.count() == 1 and BenefitPayment.objects.count() == 1


def test_a_later_report_repeating_rows_finds_them_recorded(people, crafted, tmp_path):
    services.import_claim_report(crafted["path"], region(), people["bpjs"])
    history = Claim.history.count()
    later = [crafted["rows"][0], crafted["rows"][4]]  # the paid claim and the received one
    path = write_report(tmp_path / "laporan-klaim-februari.csv", later)
    report = services.import_claim_report(path, region(), people["bpjs"]).report
    assert [line.outcome for line in report.lines.all()] == ["unchanged", "unchanged"]
    assert Claim.history.count() == history and BenefitPayment.objects.count() == 1


def test_a_report_contradicting_a_recorded_decision_is_refused_for_that_row(
    people, crafted, tmp_path
):
    services.import_claim_report(crafted["path"], region(), people["bpjs"])
    refused = dict(crafted["rows"][0], STATUS="Ditolak", KETERANGAN="Bukan ahli waris yang sah")
    path = write_report(tmp_path / "koreksi.csv", [refused])
    line = services.import_claim_report(path, region(), people["bpjs"]).report.lines.get()
    assert line.outcome == "invalid" and "Dibayar BPJS" in line.reason
    assert Claim.objects.get(pk=crafted["paid"].pk).status == ClaimStatus.PAID


def test_the_branch_layout_names_its_own_headers(people, media, tmp_path):
    claim = sent(people, RUSNI, D(2025, 8, 10))
    office = OrgUnit.objects.create(name="BPJS Duri", kind="bpjs", region=region())
    BranchFormat.objects.create(
        office=office,
        columns=[["NIK", "nik"]],
        claim_report_columns=[["NOMOR BERKAS BPJS", "bpjs_number"], ["TGL LENGKAP", "received_on"]],
    )
    headers = ["NOMOR BERKAS BPJS", "NO KPJ", "TANGGAL KEJADIAN", "TGL LENGKAP", "STATUS"]
    row = {
        "NOMOR BERKAS BPJS": "DURI/2026/0001",
        "NO KPJ": claim.enrolment.kpj_number,
        "TANGGAL KEJADIAN": "10-08-2025",
        "TGL LENGKAP": "20-01-2026",
        "STATUS": "Verifikasi",
    }
    path = write_report(tmp_path / "duri.csv", [row], headers)
    report = services.import_claim_report(path, region(), people["bpjs"]).report
    assert report.applied == 1
    claim.refresh_from_db()
    assert (claim.bpjs_claim_number, claim.bpjs_received_on) == ("DURI/2026/0001", D(2026, 1, 20))


def test_a_file_without_claim_columns_is_refused_whole(people, media, tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text("NAMA,STATUS\nRusni,Dibayar\n", encoding="utf-8")
    with pytest.raises(FileRefused):
        services.import_claim_report(path, region(), people["bpjs"])
    assert not ClaimReport.objects.exists()


def test_only_the_bpjs_officer_imports(people, crafted):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_claim_report(crafted["path"], region(), people["officer"])


def test_the_command_imports_a_report(people, crafted, capsys):
    call_command(
        "claims",
        "import-report",
        str(crafted["path"]),
        "--region",
        BENGKALIS,
        "--user",
        people["bpjs"].username,
        "--json",
    )
    summary = json.loads(capsys.readouterr().out)
    assert (summary["applied"], summary["unmatched"], summary["invalid"]) == (2, 2, 2)


def test_the_page_uploads_and_shows_each_row(people, crafted, client):
    client.force_login(people["bpjs"])
    with crafted["path"].open("rb") as handle:
        answer = client.post(
            reverse("claims:claim_reports"), {"region": BENGKALIS, "file": handle}, follow=True
        )
    page = answer.content.decode()
    assert answer.status_code == 200 and 'id="report-rows"' in page
    assert "JKM-404" in page and crafted["paid"].number in page
    client.logout()
    client.force_login(people["officer"])
    assert client.get(reverse("claims:claim_reports")).status_code == 403


def test_a_row_for_a_file_still_at_the_pemda_is_refused(people, media, tmp_path):
    claim = death(RUSNI, D(2025, 8, 10), people["officer"])  # reported, not sent
    row = {
        "NO KLAIM": "JKM-900",
        "NO KPJ": claim.enrolment.kpj_number,
        "TANGGAL KEJADIAN": "10-08-2025",
        "TANGGAL TERIMA": "20-01-2026",
        "STATUS": "Diterima",
    }
    path = write_report(tmp_path / "dini.csv", [row])
    line = services.import_claim_report(path, region(), people["bpjs"]).report.lines.get()
    assert line.outcome == "invalid" and "belum tercatat dikirim" in line.reason
    claim.refresh_from_db()
    assert (claim.status, claim.bpjs_claim_number) == ("reported", "")
