"""Issue #16: a journalist, not logged in, finds the public figures from the landing page, reads
the map's legend and the monthly trend, opens the national comparison, and finds no village
figure and nothing personal. Screenshots go to test-artifacts/."""

import re

import pytest

from tests.browser_kit import ARTIFACTS

pytestmark = pytest.mark.browser

SEED_NAMES = ("Rusni", "Bahtiar", "Safri Ismail", "Nurhayati", "Rosmawati")
NIK_LIKE = re.compile(r"\b\d{16}\b")


@pytest.fixture
def demo(riau_regions, occupations, settings, tmp_path):
    from jaring.demo.seed import seed_demo_reports
    from tests.test_claims_web import seed_small_demo

    settings.JARING_REPORT_DATE = "2025-09-22"
    users = seed_small_demo(settings, tmp_path)
    seed_demo_reports(users["operator"])
    return users


def _nothing_personal(text: str) -> None:
    assert not any(name in text for name in SEED_NAMES)
    assert not NIK_LIKE.search(text)


def test_a_journalist_reads_the_public_and_national_pages(demo, live_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(live_server.url + "/")
    page.click("#public-links a[href='/publik/']")
    page.wait_for_selector("#public-cards")
    assert page.locator("#public-regions tr[data-code='14']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "journalist-indonesia.png"), full_page=True)

    # Down to the kabupaten: the map in colour with its key, the trend with its values.
    page.click("#public-regions a[href='/publik/14/']")
    page.click("#public-regions a[href='/publik/14.03/']")
    page.wait_for_selector("#map svg path")
    legend = page.inner_text("#legend")
    assert "0–20%" in legend and "80–100%" in legend and "*" in legend
    assert "pekerja informal" in page.inner_text("#legend-title")
    grey = page.locator("#map path[fill='#e5e7eb']").count()
    assert grey < page.locator("#map path").count()  # the public map is not grey
    values = page.locator("#trend text[fill='#1d2733']").all_text_contents()
    assert values and all(re.fullmatch(r"[\d.]+|\*", v) for v in values)
    assert page.locator("#trend line").count() >= 7  # axes and gridlines
    explained = page.inner_text("#explain-programmes")
    assert "JKK" in explained and "JKM" in explained and "kecelakaan" in explained.lower()
    # An indicator's definition is one hover (title) or one screen-reader description away.
    label = page.locator("#public-cards .indicator").first
    described = label.get_attribute("aria-describedby")
    assert label.get_attribute("title") and page.locator(f"#{described}").inner_text()
    _nothing_personal(page.inner_text("main"))
    page.screenshot(path=str(ARTIFACTS / "journalist-bengkalis.png"), full_page=True)

    # A kecamatan: its villages are listed, none has a page of its own.
    page.click("#public-regions a[href='/publik/14.03.01/']")
    page.wait_for_selector("#public-regions")
    assert page.locator("#public-regions a").count() == 0
    assert page.goto(live_server.url + "/publik/14.03.01.2001/").status == 404

    # The national comparison, open without an account: kabupaten totals only.
    page.goto(live_server.url + "/")
    page.click("#public-links a[href='/nasional/']")
    page.wait_for_selector("#league")
    codes = page.locator("#league tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert "14.03" in codes and all(code.count(".") == 1 for code in codes)
    text = page.inner_text("main")
    _nothing_personal(text)
    assert "Masuk" not in page.title()  # not sent to the login page
    page.screenshot(path=str(ARTIFACTS / "journalist-national.png"), full_page=True)
    context.close()
