"""A claims officer records a school year's scholarship application with its certificate, then
BPJS's payment of it, on the claim page (the real Debian Chromium)."""

import datetime

import pytest

from tests import test_claims
from tests.browser_kit import ARTIFACTS, login
from tests.conftest import PASSWORD
from tests.test_scholarship_years import paid_claim

pytestmark = pytest.mark.browser
people = test_claims.people
D = datetime.date


def test_claims_officer_records_a_school_year_and_bpjs_payment(
    people, live_server, browser, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim, (child,) = paid_claim(people, [("Putri", D(2016, 3, 1), "SD", 4)])
    officer = login(browser, live_server, "klaim", password=PASSWORD)
    officer.goto(f"{live_server.url}/klaim/{claim.pk}/")
    panel = officer.inner_text("#scholarship-years")
    assert "Putri" in panel and "SD 3 × Rp1.500.000" in panel  # three SD years left, not six
    assert "Belum ada tahun ajaran yang diajukan" in panel

    officer.click("text=Catat pengajuan satu tahun ajaran")
    officer.select_option("#scholarship-form #id_child", str(child.pk))
    officer.fill("#scholarship-form #id_school_year", "2025")
    officer.select_option("#scholarship-form #id_level", "SD")
    officer.fill("#scholarship-form #id_school_class", "4")
    officer.fill("#scholarship-form #id_applied_on", "2025-07-21")
    officer.set_input_files(
        "#scholarship-form input[type=file]",
        {"name": "suket.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% suket"},
    )
    officer.click("#scholarship-form button[type=submit]")
    officer.wait_for_selector("#scholarship-years >> text=menunggu BPJS")
    assert "2025/2026" in officer.inner_text("#scholarship-years")

    officer.click("text=Catat pembayaran BPJS untuk satu tahun ajaran")
    officer.select_option("#scholarship-payment-form #id_year", index=1)
    officer.fill("#scholarship-payment-form #id_amount", "1500000")
    officer.fill("#scholarship-payment-form #id_paid_on", "2025-08-04")
    officer.fill("#scholarship-payment-form #id_reference", "BEA-2025-0001")
    officer.click("#scholarship-payment-form button[type=submit]")
    officer.wait_for_selector("#scholarship-years >> text=BEA-2025-0001")
    assert "menunggu BPJS" not in officer.inner_text("#scholarship-years")
    ARTIFACTS.mkdir(exist_ok=True)
    officer.screenshot(path=str(ARTIFACTS / "scholarship-year.png"), full_page=True)
