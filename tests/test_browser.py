"""The real Debian Chromium, driven by Playwright: log in, see Bengkalis, switch language."""

from pathlib import Path

import pytest

from jaring.demo.seed import DEMO_PASSWORD, setup_demo
from tests.browser_kit import ARTIFACTS, login

pytestmark = pytest.mark.browser


def test_operator_logs_in_sees_bengkalis_and_switches_language(riau_regions, live_server, page):
    setup_demo()
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server.url + "/akun/masuk/")
    assert page.locator("h1").inner_text() == "Masuk"
    page.fill("#id_username", "operator")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")

    page.wait_for_selector("#roles")
    topbar_colour = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
    assert topbar_colour == "rgb(10, 110, 79)", "the stylesheet did not load"
    assert "Selamat datang, Siti Aminah" in page.locator("h1").inner_text()
    region_cell = page.locator("#roles .region-name").first.inner_text()
    assert "Kabupaten Bengkalis" in region_cell and "Riau" in region_cell
    page.screenshot(path=str(ARTIFACTS / "home-id.png"), full_page=True)

    page.click("button[data-lang=en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Welcome, Siti Aminah"
    assert page.locator("h2").first.inner_text() == "Your roles and regions"
    page.screenshot(path=str(ARTIFACTS / "home-en.png"), full_page=True)

    page.click("#roles .region-name a")
    page.wait_for_selector("#children")
    assert page.locator("#children tbody tr").count() == 11
    assert page.locator("#children", has_text="Bantan").count() == 1


def test_operator_uploads_a_messy_list_and_downloads_the_rejects(
    riau_regions, occupations, live_server, page, settings, tmp_path
):
    from tests.test_registry_import import BAHTIAR, RUSNI, SAFRI, write_csv

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    setup_demo()
    broken = ["3.20101E+15", "Excel Rusak", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""]
    # Safri's village is written "Perapat Tunggal": read as Prapat Tunggal, with a warning.
    path = write_csv(tmp_path / "daftar.csv", [RUSNI, BAHTIAR, broken, SAFRI])
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.click("nav.mainnav a[href='/pekerja/impor/']")
    with page.expect_download() as template:
        page.click("#template-link")
    assert template.value.suggested_filename == "templat-impor-pekerja.xlsx"
    page.set_input_files("#id_file", str(path))
    page.fill("#id_source", "Daftar desa Kelebuk")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#batch-counts")
    counts = {
        cell.get_attribute("data-count"): cell.inner_text()
        for cell in page.locator("#batch-counts td").all()
    }
    assert (counts["rows"], counts["accepted"], counts["rejected"]) == ("4", "3", "1")
    assert counts["warnings"] == "1"
    assert "ilmiah" in page.locator("#issues tr[data-row='4']").inner_text()
    warning = page.locator("#issues tr.warning[data-row='5']")
    assert "Prapat Tunggal" in warning.inner_text() and "97%" in warning.inner_text()
    page.screenshot(path=str(ARTIFACTS / "import-done.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#rejects-link")
    assert download.value.suggested_filename.endswith(".xlsx")
    # Kept sealed on the server, handed out as the workbook it was.
    assert Path(download.value.path()).read_bytes().startswith(b"PK\x03\x04")
    warning.locator("a").click()
    page.wait_for_selector("h1:has-text('Safri Ismail')")
    assert "Prapat Tunggal" in page.locator("dl.facts").inner_text()
    page.click("nav.mainnav a[href='/pekerja/']")
    page.wait_for_selector("#workers")
    assert page.locator("#workers tbody tr").count() == 3
    page.screenshot(path=str(ARTIFACTS / "workers.png"), full_page=True)
    # Choosing a kecamatan fills the village filter with its villages (the server renders them).
    page.select_option("#id_district", "14.03.02")
    page.wait_for_selector("#id_village option[value='14.03.02.2002']", state="attached")
    assert page.locator("#id_village option[value='14.03.01.2022']").count() == 0
    assert page.locator("#workers tbody tr").count() == 1  # Bahtiar, of Bantan


def test_operator_finds_a_worker_by_nik_without_the_nik_in_the_address(
    riau_regions, occupations, live_server, page, tmp_path
):
    from jaring.regions.models import Region
    from jaring.registry import services
    from tests.test_registry_import import BAHTIAR, RUSNI, write_csv

    setup_demo()
    region = Region.objects.get(code="14.03")
    services.run_import(
        services.create_batch(write_csv(tmp_path / "d.csv", [RUSNI, BAHTIAR]), region)
    )
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.click("nav.mainnav a[href='/pekerja/']")
    page.wait_for_selector("#workers")
    page.fill("#id_q", RUSNI[0])
    page.click("#worker-filters button[type=submit]")
    page.wait_for_selector("#workers")
    assert page.locator("#workers tbody tr").count() == 1
    assert "Rusni" in page.locator("#workers").inner_text()
    assert RUSNI[0] not in page.url and page.url.endswith("/pekerja/")  # posted, not in the URL
    # A name is an ordinary filter: it goes to the address (pages, bookmarks).
    page.fill("#id_q", "bahtiar")
    page.click("#worker-filters button[type=submit]")
    page.wait_for_url("**/pekerja/?q=bahtiar")
    assert "Bahtiar" in page.locator("#workers").inner_text()


def test_finance_officer_sees_the_seed_budget_line(riau_regions, occupations, live_server, page):
    from jaring.accounts.models import User
    from jaring.demo.seed import import_demo_workers, seed_demo_money

    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    # Scaled down: 100 workers' year is Rp20.160.000, of which Rp19.500.000 is paid.
    seed_demo_money(
        users["keuangan"],
        users["operator"],
        users["bpjs.duri"],
        allocation=20_160_000,
        paid=19_500_000,
    )
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "keuangan")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.goto(live_server.url + "/anggaran/?tahun=2025")
    sentence = page.locator(".budget-sentence").inner_text()
    assert sentence == (
        "Dari pagu Rp20.160.000 dari APBD Kabupaten Bengkalis, Rp19.500.000 "
        "telah dibayarkan ke BPJS Ketenagakerjaan."
    )
    row = page.locator("#budget tbody tr").first
    assert row.locator("[data-field=paid]").inner_text() == "Rp19.500.000"
    assert "96,7%" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "budget.png"), full_page=True)


def test_finance_officer_renews_next_year_and_reads_continued_dropped_new(
    riau_regions, occupations, live_server, page
):
    """2025's cohort (100 participants, one died) renewed for 2026 with room for 110."""
    import datetime

    from jaring.accounts.models import User
    from jaring.demo.seed import import_demo_workers, seed_demo_money
    from jaring.enrolment.models import Enrolment
    from jaring.registry.models import Worker

    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(
        users["keuangan"], users["operator"], users["bpjs.duri"], allocation=20_160_000, paid=0
    )
    died = Enrolment.objects.order_by("pk").first().worker_id
    Worker.objects.filter(pk=died).update(
        status="deceased", date_of_death=datetime.date(2025, 9, 1)
    )
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "keuangan")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.goto(live_server.url + "/anggaran/?tahun=2026")
    form = page.locator("#allocation-form")
    form.locator("[name=source_name]").fill("APBD Kabupaten Bengkalis")
    form.locator("[name=kind]").select_option("apbd_kab")
    form.locator("[name=fiscal_year]").fill("2026")
    form.locator("[name=amount]").fill(str(110 * 12 * 16_800))
    form.locator("button[type=submit]").click()
    page.goto(live_server.url + "/anggaran/rencana/baru/")
    plan_form = page.locator("#plan-form")
    plan_form.locator("[name=source]").select_option(label="APBD Kabupaten Bengkalis")
    plan_form.locator("[name=fiscal_year]").fill("2026")
    plan_form.locator("[name=start_month]").fill("2026-01")
    plan_form.locator("button[type=submit]").click()
    page.wait_for_selector("#plan-parts")
    parts = page.locator("#plan-parts")
    assert parts.locator("[data-part=continued] td.num").first.inner_text() == "99"
    assert parts.locator("[data-part=new] td.num").first.inner_text() == "11"
    dropped = parts.locator("[data-part=dropped]").inner_text()
    assert "meninggal dunia 1" in dropped and "Tidak diperpanjang" in dropped
    assert "Diperpanjang (KPJ tetap)" in page.locator("#plan-selections").inner_text()
    page.screenshot(path=str(ARTIFACTS / "renewal-plan.png"), full_page=True)
    page.click("#commit-plan")
    page.wait_for_load_state()
    assert (
        Enrolment.objects.filter(start_month=datetime.date(2026, 1, 1), status="active").count()
        == 99
    )


def test_finance_officer_uploads_a_bpjs_statement_and_reads_the_differences(
    riau_regions, occupations, live_server, page, tmp_path
):
    """The branch's March 2025: one participant billed higher, one missing, one unknown KPJ and
    a row with a broken KPJ; the officer reads them and records what to do about one."""
    from jaring.accounts.models import User
    from jaring.demo.seed import import_demo_workers, seed_demo_money
    from jaring.enrolment.models import Enrolment
    from tests.test_registry_import import write_csv

    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(
        users["keuangan"], users["operator"], users["bpjs.duri"], allocation=20_160_000, paid=0
    )
    kpjs = list(Enrolment.objects.order_by("pk").values_list("kpj_number", flat=True))
    rows = [[kpj, "2025-03", "16.800", "AKTIF"] for kpj in kpjs]
    rows[0][2] = "20.000"  # billed higher by the branch
    del rows[1]  # billed by Jaring, not by the branch
    rows += [["99999999999", "2025-03", "16.800", "AKTIF"], ["12345", "2025-03", "16.800", "AKTIF"]]
    header = ["NO KPJ", "PERIODE", "IURAN", "STATUS"]
    path = write_csv(tmp_path / "tagihan-maret.csv", rows, header=header)
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "keuangan")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.goto(live_server.url + "/anggaran/?tahun=2025")
    page.click("#reconciliation-link")
    form = page.locator("#statement-form")
    form.locator("[name=source]").select_option(label="APBD Kabupaten Bengkalis")
    form.locator("[name=month]").fill("2025-03")
    form.locator("[name=file]").set_input_files(str(path))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#difference-summary")
    counts = {
        row.get_attribute("data-kind"): row.locator("[data-field=n]").inner_text()
        for row in page.locator("#difference-summary tbody tr").all()
    }
    assert counts == {
        "missing_here": "1",
        "missing_bpjs": "1",
        "amount": "1",
        "active_bpjs": "0",
        "ended_bpjs": "0",
    }
    differences = page.locator("#differences").inner_text()
    assert "KPJ tidak dikenal di Jaring" in differences
    assert "BPJS menagih lebih besar" in differences and "Rp20.000" in differences
    assert "Nomor KPJ harus 11 digit." in page.locator("#rejected-rows").inner_text()
    page.screenshot(path=str(ARTIFACTS / "reconciliation.png"), full_page=True)
    higher = page.locator("#differences tr[data-kind=amount]")
    higher.locator("[name=action]").select_option("ask_branch")
    higher.locator("[name=note]").fill("Minta cabang cek penghasilan")
    higher.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    decided = page.locator("#differences tr[data-kind=amount]").inner_text()
    assert "Tanyakan ke cabang" in decided and "Minta cabang cek penghasilan" in decided
    assert "keuangan" in decided


def test_a_death_goes_from_report_to_bpjs_and_the_handover(
    riau_regions, occupations, live_server, browser, settings, tmp_path
):
    """Two Pemda officers (the claims officer prepares, the supervisor checks the file) and the
    BPJS branch officer (documents against the originals, receipt, decision, payment)."""
    import io

    import pypdf

    from jaring.accounts.models import User
    from jaring.claims import services
    from jaring.claims.models import Claim
    from tests.test_claims import BAHTIAR, build_coverage

    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    build_coverage(User.objects.get(username="keuangan"), tmp_path)
    officer = login(browser, live_server, "klaim")
    officer.goto(live_server.url + "/klaim/lapor/")
    assert not officer.is_visible("#id_cause")  # accident fields only for JKK
    officer.select_option("#id_program", "JKK")
    assert officer.is_visible("#id_cause")
    officer.fill("#id_nik", BAHTIAR[0])
    officer.select_option("#id_program", "JKM")
    officer.select_option("#id_event", "death")
    officer.fill("#id_event_date", "2025-08-03")
    officer.select_option("#id_reported_by", "village")
    officer.fill("#id_reporter_name", "Kepala Desa Bantan Tua")
    officer.click("#report-form button[type=submit]")
    officer.wait_for_selector("#eligibility")
    assert "Terlindungi pada tanggal kejadian" in officer.inner_text("#eligibility")
    assert "Rp42.000.000" in officer.inner_text("#benefit")
    assert officer.inner_text("#family-stage").endswith("Dilaporkan")
    claim = Claim.objects.get()

    officer.click("text=Tambah anggota keluarga")
    officer.fill("#family-form #id_full_name", "Nurhayati")
    officer.fill("#family-form #id_nik", "12345")
    officer.select_option("#family-form #id_relationship", "spouse")
    officer.click("#family-form button[type=submit]")
    officer.wait_for_selector("#family-form .errorlist")  # refused: the error by its field
    assert officer.input_value("#family-form #id_full_name") == "Nurhayati"
    officer.fill("#family-form #id_nik", "")
    officer.click("#family-form button[type=submit]")
    officer.wait_for_selector("#family tbody tr >> text=Nurhayati")
    required = services.required_documents(claim)
    assert required[-1] == "marriage_book"  # the widow inherits
    for kind in required:
        officer.select_option("#document-form select", kind)
        officer.set_input_files(
            "#document-form input[type=file]",
            {
                "name": f"{kind}.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n% scan " + kind.encode(),
            },
        )
        officer.click("#document-form button[type=submit]")
        officer.wait_for_selector(".messages")

    # The BPJS officer checks the documents against the originals (not their uploader).
    bpjs = login(browser, live_server, "bpjs.duri")
    bpjs.goto(f"{live_server.url}/klaim/{claim.pk}/")
    while bpjs.locator("button.verify").count():
        bpjs.locator("button.verify").first.click()
        bpjs.wait_for_load_state()
    officer.reload()
    assert officer.locator("#problems").count() == 0
    officer.click("#submit-claim")
    officer.wait_for_selector("text=Menunggu pemeriksaan Pemda")
    assert officer.locator("#approve-claim").count() == 0  # the maker does not check
    assert "Berikutnya:" in officer.inner_text("#next-step")

    supervisor = login(browser, live_server, "supervisor")
    supervisor.goto(f"{live_server.url}/klaim/{claim.pk}/")
    supervisor.click("#approve-claim")
    supervisor.wait_for_selector("#sending-form")
    assert supervisor.inner_text("#claim-status") == "Sudah diperiksa, siap dikirim ke BPJS"

    officer.reload()
    with officer.expect_download() as download:
        officer.click("#cover-letter")
    letter = Path(download.value.path()).read_bytes()
    letter_text = " ".join(pypdf.PdfReader(io.BytesIO(letter)).pages[0].extract_text().split())
    assert "SURAT PENGANTAR" in letter_text and "Buku nikah" in letter_text
    # The claim was reported today: it is sent, received, decided and paid today (prefilled).
    officer.select_option("#sending-form #id_via", "hand")
    officer.click("#sending-form button[type=submit]")
    officer.wait_for_selector("#sent")
    assert officer.inner_text("#claim-status") == "Dikirim ke BPJS"
    assert officer.inner_text("#family-stage").endswith("Di BPJS")

    bpjs.reload()
    bpjs.fill("#receipt-form #id_bpjs_claim_number", "JKM/DURI/2025/0917")
    bpjs.click("#receipt-form button[type=submit]")
    bpjs.wait_for_selector("#bpjs-decision-form")
    assert bpjs.inner_text("#claim-status") == "Diterima BPJS"
    bpjs.select_option("#bpjs-decision-form #id_outcome", "approved")
    bpjs.click("#bpjs-decision-form button[type=submit]")
    bpjs.wait_for_selector("#payment-form")
    assert bpjs.inner_text("#claim-status") == "Disetujui BPJS, menunggu pembayaran"
    assert "Santunan tunai — Rp42.000.000" in bpjs.inner_text("#payment-form #id_instalment")
    bpjs.select_option("#payment-form #id_instalment", index=1)
    bpjs.select_option("#payment-form #id_recipient", index=1)
    bpjs.fill("#payment-form #id_amount", "42000000")
    bpjs.fill("#payment-form #id_bank", "Bank Riau Kepri Syariah")
    bpjs.fill("#payment-form #id_account_number", "1020 3040 5060")
    bpjs.fill("#payment-form #id_account_holder", "Nurhayati")
    bpjs.fill("#payment-form #id_reference", "BPJS-DURI/0919/001")
    bpjs.click("#payment-form button[type=submit]")
    bpjs.wait_for_selector("#payments")
    assert bpjs.inner_text("#claim-status") == "Dibayar BPJS"
    assert "••••5060" in bpjs.inner_text("#payments")
    assert "dibayar dalam 0 hari kerja (target 3)" in bpjs.inner_text("#sla")

    officer.reload()
    officer.select_option("#handover-form #id_recipient", index=1)
    officer.fill("#handover-form #id_held_on", "2025-09-22")
    officer.fill("#handover-form #id_place", "Wisma Daerah Sri Mahkota")
    officer.fill("#handover-form #id_city", "Bengkalis")
    officer.fill("#handover-form #id_handed_by_name", "Kasmarni")
    officer.fill("#handover-form #id_handed_by_title", "Bupati Bengkalis")
    officer.fill("#handover-form #id_bpjs_name", "Ahmad Fauzi")
    officer.fill("#handover-form #id_bpjs_title", "Kepala Kantor Cabang Duri")
    officer.fill("#handover-form #id_witness_name", "Bagus Santoso")
    officer.fill("#handover-form #id_witness_title", "Wakil Bupati Bengkalis")
    officer.click("#handover-form button[type=submit]")
    officer.wait_for_selector("#sign-handover")
    assert "Senin, 22 September 2025" in officer.inner_text("#handover")
    officer.click("#sign-handover")
    officer.wait_for_selector("text=Sudah ditandatangani")
    assert officer.locator("#handover-form").count() == 0  # frozen
    assert officer.inner_text("#family-stage").endswith("Sudah diserahkan")
    officer.screenshot(path=str(ARTIFACTS / "claim.png"), full_page=True)
    with officer.expect_download() as download:
        officer.click("#handover-pdf")
    content = Path(download.value.path()).read_bytes()
    text = " ".join(pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "Nurhayati" in text and "Rp42.000.000" in text and "empat puluh dua juta rupiah" in text
    assert "Yang menyerahkan, Bupati Bengkalis" in text
    assert "Pihak BPJS Ketenagakerjaan, Kepala Kantor Cabang Duri" in text
    assert "Mengetahui / saksi, Wakil Bupati Bengkalis" in text
    assert text.index("Ahmad Fauzi") > text.index("Pihak BPJS Ketenagakerjaan")

    officer.goto(live_server.url + "/klaim/")
    claim.refresh_from_db()
    summary = officer.inner_text("#claims-summary")
    assert f"{Claim.objects.filter(status='paid').count()} klaim dibayar" in summary
    assert "Rp42.000.000" in summary and claim.bpjs_total == 42_000_000


def test_dashboard_map_report_and_public_page_show_the_databases_numbers(
    riau_regions, occupations, live_server, browser, settings, tmp_path
):
    import io

    import pypdf

    from jaring.demo.seed import seed_demo_reports
    from jaring.reports.models import RegionFact
    from tests.test_claims_web import seed_small_demo

    settings.JARING_REPORT_DATE = "2025-09-22"
    users = seed_small_demo(settings, tmp_path)
    seed_demo_reports(users["operator"])
    regency = RegionFact.objects.get(region_code="14.03", dimension="total")
    thousands = f"{regency.covered:,}".replace(",", ".")

    operator = login(browser, live_server, "operator")
    operator.goto(live_server.url + "/laporan/14.03/")
    operator.wait_for_selector("#map svg path")
    assert operator.inner_text("#cards [data-field=covered]") == thousands
    assert operator.inner_text("#cards [data-field=claims_paid]") == "3"
    assert operator.locator("#map path").count() == 11  # the kecamatan of Bengkalis
    shown = operator.locator("#districts [data-field=covered]").all_inner_texts()
    assert sum(int(n.replace(".", "")) for n in shown) == regency.covered
    operator.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    with operator.expect_download() as download:
        operator.click("#monthly-pdf")
    pdf = pypdf.PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "LAPORAN BULANAN" in " ".join(p.extract_text() for p in pdf.pages)

    public = browser.new_context(locale="id-ID").new_page()
    public.goto(live_server.url + "/publik/14.03/")
    assert public.inner_text("#public-cards [data-field=covered]") == thousands
    # Three families paid: under 5, so their number and money are hidden (*).
    assert public.inner_text("#public-cards [data-field=benefits_paid]") == "*"
    text = public.inner_text("main")
    assert "Rusni" not in text and "Bahtiar" not in text
    public.screenshot(path=str(ARTIFACTS / "public.png"), full_page=True)
    public.goto(live_server.url + "/publik/14.03.01/")
    assert "*" in public.inner_text("#public-regions")
    public.close()


def test_the_api_docs_render_under_the_content_security_policy(riau_regions, live_server, browser):
    setup_demo()
    page = login(browser, live_server, "bpjs.duri")
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security" in message.text else None
        ),
    )
    page.goto(live_server.url + "/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/coverage" in paths
    assert blocked == []


def test_a_regency_admin_edits_a_plkk_and_reads_the_change_in_its_history(
    riau_regions, live_server, page, make_user
):
    from jaring.accounts.rules import RoleCode
    from jaring.reference.models import Plkk
    from tests.conftest import BENGKALIS, PASSWORD

    make_user("admin.bks", RoleCode.REGENCY_ADMIN, BENGKALIS, first_name="Nurhayati")
    Plkk.objects.create(
        region_id=BENGKALIS, name="Klinik Pratama Duri", kind="clinic", address="Jl. Hang Tuah"
    )
    Plkk.objects.create(
        region_id="14.08", name="RSUD Tengku Rafian", kind="hospital", address="Siak"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", "admin.bks")
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    page.click("nav.mainnav >> text=Data referensi")
    page.click("#reference-kinds >> text=PLKK")
    rows = page.locator("#reference-rows tbody").inner_text()
    assert "Klinik Pratama Duri" in rows and "RSUD Tengku Rafian" not in rows  # Siak's
    page.click("#reference-rows >> text=Ubah / riwayat")
    page.fill("#id_address", "Jl. Hang Tuah No. 12, Duri")
    page.fill("#id_reason", "Alamat pindah")
    page.click("#reference-edit button[type=submit]")
    page.wait_for_selector(".messages")
    newest = page.locator("#history tbody tr").first.inner_text()
    assert "Nurhayati" in newest and "Alamat pindah" in newest
    assert "Jl. Hang Tuah" in newest and "Jl. Hang Tuah No. 12, Duri" in newest
    assert page.locator("#history del").first.inner_text() == "Jl. Hang Tuah"
    page.screenshot(path=str(ARTIFACTS / "reference-history.png"), full_page=True)
