"""A finance officer's year in the browser: plan the coverage (showing the plan saves nothing),
bill a month, pay it in two instalments typed as Indonesians write amounts, read paid / partly
paid, and download the invoice a BPKAD files (letterhead, signatory, grouped numbers)."""

import io
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone

from jaring.core.formatting import ribuan
from tests.browser_kit import ARTIFACTS, login

pytestmark = pytest.mark.browser


def test_finance_officer_plans_bills_and_pays(riau_regions, occupations, live_server, browser):
    from jaring.accounts.models import User
    from jaring.demo.seed import DEMO_REGENCY, import_demo_workers, seed_demo_money, setup_demo
    from jaring.enrolment.models import CoveragePlan
    from jaring.finance.models import Invoice
    from jaring.reference.models import Signatory

    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(  # 2025: 100 participants with a KPJ, billed, nothing paid
        users["keuangan"], users["operator"], users["bpjs.duri"], allocation=20_160_000, paid=0
    )
    Signatory.objects.create(  # the Pemda's settings: who signs its invoices
        region_id=DEMO_REGENCY,
        purpose=Signatory.Purpose.INVOICE,
        name="Drs. Rahmat Hidayat, M.Si.",
        position="Kepala Dinas Tenaga Kerja",
        nip="197203151998031004",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page = login(browser, live_server, "keuangan")

    # The 2026 allocation, typed with dots as it stands in the DPA.
    page.goto(live_server.url + "/anggaran/?tahun=2026")
    form = page.locator("#allocation-form")
    form.locator("[name=source_name]").fill("APBD Kabupaten Bengkalis")
    form.locator("[name=kind]").select_option("apbd_kab")
    form.locator("[name=fiscal_year]").fill("2026")
    form.locator("[name=amount]").fill("Rp20.160.000")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # "Tampilkan rencana" twice: the plan is shown, nothing is saved.
    page.goto(live_server.url + "/anggaran/rencana/baru/")
    plan_form = page.locator("#plan-form")
    plan_form.locator("[name=source]").select_option(label="APBD Kabupaten Bengkalis")
    plan_form.locator("[name=fiscal_year]").fill("2026")
    plan_form.locator("[name=start_month]").fill("2026-01")
    for _click in range(2):
        page.locator("#show-plan").click()
        page.wait_for_selector("#plan-preview")
    assert page.locator("#plan-status").inner_text() == "Pratinjau: belum disimpan"
    assert page.locator("#plan-selected").inner_text() == "100"
    rules = page.locator("#plan-rules").inner_text()
    assert "Tarif iuran JKK" in rules and "PP 44/2015" in rules and "@" not in rules
    assert not CoveragePlan.objects.filter(fiscal_year=2026).exists()
    page.screenshot(path=str(ARTIFACTS / "journey-finance-plan-preview.png"), full_page=True)
    page.locator("#commit-plan").click()
    page.wait_for_selector("#plan-facts")
    assert page.locator("#plan-status").inner_text() == "Ditetapkan"
    assert CoveragePlan.objects.filter(fiscal_year=2026).count() == 1

    # Bill January 2026 (the cohort continued with its KPJs).
    page.goto(live_server.url + "/anggaran/tagihan/")
    page.locator("#bill-form [name=month]").fill("2026-01")
    page.locator("#bill-form button[type=submit]").click()
    page.wait_for_load_state()
    invoice = Invoice.objects.get(month__year=2026, month__month=1)
    row = page.locator(f"#invoices tr:has(a:text('{invoice.number}'))")
    assert row.locator("[data-state]").inner_text() == "Belum dibayar"

    # Pay: the form starts today, for the whole amount owed; a first instalment typed with dots.
    page.click(f"text={invoice.number}")
    payment = page.locator("#payment-form")
    assert payment.locator("[name=paid_on]").input_value() == f"{timezone.localdate():%Y-%m-%d}"
    assert payment.locator("[name=amount]").input_value() == ribuan(invoice.total)
    first = invoice.total // 2
    payment.locator("[name=amount]").fill(ribuan(first))
    payment.locator("[name=reference]").fill("SP2D/0001/BPKAD/2026")
    payment.locator("button[type=submit]").click()
    page.wait_for_selector("#invoice-state[data-state=partly_paid]")
    assert page.locator("#invoice-state").inner_text() == "Dibayar sebagian"
    rest = invoice.total - first
    assert page.locator("#payment-form [name=amount]").input_value() == ribuan(rest)
    page.locator("#payment-form [name=amount]").fill(f"Rp{ribuan(rest)}")
    page.locator("#payment-form [name=reference]").fill("SP2D/0002/BPKAD/2026")
    page.locator("#payment-form button[type=submit]").click()
    page.wait_for_selector("#invoice-state[data-state=paid]")
    assert page.locator("#invoice-state").inner_text() == "Lunas"
    page.screenshot(path=str(ARTIFACTS / "journey-finance-invoice-paid.png"), full_page=True)

    page.goto(live_server.url + "/anggaran/tagihan/")
    states = page.locator("#invoices [data-state]").all_inner_texts()
    assert states.count("Lunas") == 1 and "Belum dibayar" in states  # 2025's months: unpaid
    page.screenshot(path=str(ARTIFACTS / "journey-finance-invoices.png"), full_page=True)

    # The invoice as the BPKAD files it.
    page.click(f"text={invoice.number}")
    with page.expect_download() as download:
        page.click("#invoice-pdf")
    pdf = pypdf.PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = " ".join(pdf.pages[0].extract_text().split())
    assert "PEMERINTAH KABUPATEN BENGKALIS" in text and "DINAS TENAGA KERJA" in text
    assert "Drs. Rahmat Hidayat, M.Si." in text and "NIP 197203151998031004" in text
    assert f"Rp{ribuan(invoice.total)}" in text and "Lunas" in text
    page.context.close()
