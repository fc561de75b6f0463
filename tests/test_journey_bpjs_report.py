"""Journey: the BPJS officer uploads the branch's claim report and reads what it matched.

One family was already paid by BPJS and one file was just carried to the branch; the branch's
report repeats the payment, brings the receipt of the other file, names a claim Jaring does not
know and has a row it cannot read. The officer opens the claims list, follows the import link,
uploads the file and reads, per row, "applied", "already recorded", "no claim found" and
"refused" with the reason."""

import csv

import pytest

from jaring.accounts.models import User
from jaring.claims import services
from jaring.claims.claim_report import DEFAULT_REPORT_HEADERS
from jaring.claims.models import ClaimReport
from jaring.demo.seed import setup_demo
from tests.browser_kit import ARTIFACTS, login
from tests.test_claims import (
    BAHTIAR,
    RUSNI,
    SENT_ON,
    D,
    bpjs_approves,
    build_coverage,
    death,
    prepare,
    to_bpjs,
    transfer,
)

pytestmark = pytest.mark.browser


def test_bpjs_officer_uploads_the_claim_report_and_reads_matched_and_unmatched(
    riau_regions, occupations, live_server, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    officer, supervisor, bpjs = users["klaim"], users["supervisor"], users["bpjs.duri"]
    build_coverage(users["keuangan"], tmp_path)
    # One family already paid by BPJS (its row repeats the payment), one file just carried to
    # the branch (its row brings BPJS's receipt).
    paid = to_bpjs(
        prepare(death(RUSNI, D(2025, 8, 10), officer), officer, bpjs), officer, supervisor, bpjs
    )
    paid = bpjs_approves(paid, bpjs)
    heir = paid.family.get(is_heir=True)
    payment = services.record_benefit_payment(
        paid.instalments.get(), heir, transfer(paid.bpjs_total, "TRF-DURI-1"), bpjs
    )
    sent = prepare(death(BAHTIAR, D(2025, 6, 1), officer), officer, bpjs)
    services.submit(sent, officer)
    services.approve(sent, supervisor, "Berkas lengkap")
    services.record_sending(sent, officer, SENT_ON, "hand")
    path = tmp_path / "laporan-klaim-duri.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEFAULT_REPORT_HEADERS)
        writer.writeheader()
        writer.writerow(
            {
                "NO KLAIM": paid.bpjs_claim_number,
                "STATUS": "Dibayar",
                "TANGGAL KEPUTUSAN": paid.bpjs_decided_on.strftime("%d-%m-%Y"),
                "TANGGAL BAYAR": payment.paid_on.strftime("%d-%m-%Y"),
                "JUMLAH BAYAR": str(payment.amount),
                "NO REFERENSI": payment.reference,
            }
        )
        writer.writerow(
            {
                "NO KLAIM": "JKM/DURI/0002",
                "NO KPJ": sent.enrolment.kpj_number,
                "TANGGAL KEJADIAN": "01-06-2025",
                "TANGGAL TERIMA": "21-01-2026",
                "STATUS": "Dalam proses",
            }
        )
        writer.writerow({"NO KLAIM": "JKM/DURI/TIDAK-ADA", "STATUS": "Diterima"})
        writer.writerow({"NO KLAIM": "JKM/DURI/RUSAK", "STATUS": "sedang dipikirkan"})

    page = login(browser, live_server, "bpjs.duri")
    page.goto(live_server.url + "/klaim/")
    page.click("#claim-reports-link")
    page.wait_for_selector("#claim-report-form")
    page.set_input_files("#claim-report-form input[type=file]", str(path))
    page.click("#claim-report-form button[type=submit]")
    page.wait_for_selector("#report-rows")
    page.screenshot(path=str(ARTIFACTS / "journey-bpjs-report.png"), full_page=True)

    assert page.inner_text("#count-applied") == "1"
    assert page.inner_text("#count-unchanged") == "1"
    assert page.inner_text("#count-unmatched") == "1"
    assert page.inner_text("#count-invalid") == "1"
    assert "Sudah tercatat" in page.inner_text("tr.outcome-unchanged")
    assert paid.number in page.inner_text("tr.outcome-unchanged")
    assert sent.number in page.inner_text("tr.outcome-applied")
    assert "Klaim tidak ditemukan" in page.inner_text("tr.outcome-unmatched")
    assert "Status tidak dikenal" in page.inner_text("tr.outcome-invalid")
    sent.refresh_from_db()
    assert (sent.status, sent.bpjs_claim_number) == ("at_bpjs", "JKM/DURI/0002")
    page.click(f"tr.outcome-applied >> text={sent.number}")  # on to the claim it changed
    page.wait_for_selector("#history")
    assert "Diterima BPJS JKM/DURI/0002" in page.inner_text("#history")

    # The same file again: found, nothing applied twice.
    page.goto(live_server.url + "/klaim/laporan-bpjs/")
    page.set_input_files("#claim-report-form input[type=file]", str(path))
    page.click("#claim-report-form button[type=submit]")
    page.wait_for_selector("#report-rows")
    assert "sudah pernah diimpor" in page.inner_text(".messages")
    assert ClaimReport.objects.count() == 1
