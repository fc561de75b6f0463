"""Journey: the BPJS officer uploads the branch's claim report and reads what it matched.

On the demo, the seed's three families were paid by BPJS; the branch's report repeats those
payments, names a claim Jaring does not know and has a row it cannot read. The officer opens the
claims list, follows the import link, uploads the file and reads, per row, "already recorded",
"no claim found" and "refused" with the reason."""

import csv

import pytest

from jaring.claims.claim_report import DEFAULT_REPORT_HEADERS
from jaring.claims.models import Claim, ClaimReport
from jaring.demo.seed import setup_demo
from tests.browser_kit import ARTIFACTS, login

pytestmark = pytest.mark.browser


def test_bpjs_officer_uploads_the_claim_report_and_reads_matched_and_unmatched(
    riau_regions, occupations, live_server, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    paid = list(Claim.objects.filter(status="paid").exclude(bpjs_claim_number="")[:2])
    assert paid, "the demo's paid claims"
    path = tmp_path / "laporan-klaim-duri.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEFAULT_REPORT_HEADERS)
        writer.writeheader()
        for claim in paid:
            payment = claim.instalments.get(kind="cash").payments.get()
            writer.writerow(
                {
                    "NO KLAIM": claim.bpjs_claim_number,
                    "STATUS": "Dibayar",
                    "TANGGAL KEPUTUSAN": claim.bpjs_decided_on.strftime("%d-%m-%Y"),
                    "TANGGAL BAYAR": payment.paid_on.strftime("%d-%m-%Y"),
                    "JUMLAH BAYAR": str(payment.amount),
                    "NO REFERENSI": payment.reference,
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

    assert page.inner_text("#count-unchanged") == str(len(paid))
    assert page.inner_text("#count-unmatched") == "1"
    assert page.inner_text("#count-invalid") == "1"
    rows = page.locator("#report-rows tbody tr")
    assert rows.count() == len(paid) + 2
    first = rows.nth(0).inner_text()
    assert paid[0].number in first and "Sudah tercatat" in first
    assert "Klaim tidak ditemukan" in page.inner_text("tr.outcome-unmatched")
    assert "Status tidak dikenal" in page.inner_text("tr.outcome-invalid")

    # The same file again: found, nothing applied twice.
    page.goto(live_server.url + "/klaim/laporan-bpjs/")
    page.set_input_files("#claim-report-form input[type=file]", str(path))
    page.click("#claim-report-form button[type=submit]")
    page.wait_for_selector("#report-rows")
    assert "sudah pernah diimpor" in page.inner_text(".messages")
    assert ClaimReport.objects.count() == 1
