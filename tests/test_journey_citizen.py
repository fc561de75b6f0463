"""A citizen on a phone checks whether BPJS Ketenagakerjaan protects her: NIK and birth date,
the answer and until when; a wrong birth date reads like an unknown NIK; too many tries stop."""

import datetime

import pytest
from django.core.cache import cache

from jaring.reports.citizen import CHECKS_PER_HOUR
from tests.browser_kit import ARTIFACTS
from tests.test_coverage_check import NIK, PAID_QUARTER, UNKNOWN
from tests.test_protection import base, build  # noqa: F401 - fixture

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def ask(page, nik, birth_date):
    page.fill("#id_nik", nik)
    page.fill("#id_birth_date", birth_date.isoformat())
    page.click("#coverage-form button[type=submit]")
    page.wait_for_selector("#coverage-answer")
    return page.locator("#coverage-answer")


def test_a_citizen_checks_her_coverage_on_a_phone(base, live_server, browser, settings):  # noqa: F811
    settings.JARING_REPORT_DATE = "2021-03-15"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    worker, _day = build(base, PAID_QUARTER)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="id-ID", **PHONE)
    page = context.new_page()

    page.goto(live_server.url + "/")
    page.click("#coverage-check-link")
    page.wait_for_selector("#coverage-form")
    assert page.url.endswith("/cek-kepesertaan/")
    answer = ask(page, NIK, worker.birth_date)
    assert answer.get_attribute("data-answer") == "protected"
    assert "Terlindungi pada 15 Maret 2021" in answer.inner_text()
    assert "sampai 31 Maret 2021" in answer.inner_text()
    assert "Rusni" not in page.content() and NIK not in page.content()
    assert "nik=" not in page.url  # the NIK went in the body, not the address
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    page.screenshot(path=str(ARTIFACTS / "journey-citizen-protected.png"), full_page=True)

    wrong_birth_date = ask(page, NIK, worker.birth_date + datetime.timedelta(days=3))
    neutral = wrong_birth_date.inner_text()
    assert wrong_birth_date.get_attribute("data-answer") == "not_found"
    assert "Tidak ditemukan perlindungan" in neutral
    page.screenshot(path=str(ARTIFACTS / "journey-citizen-not-found.png"), full_page=True)
    assert ask(page, UNKNOWN, worker.birth_date).inner_text() == neutral

    for _try in range(CHECKS_PER_HOUR - 3):
        ask(page, UNKNOWN, worker.birth_date)
    limited = ask(page, NIK, worker.birth_date)
    assert limited.get_attribute("data-answer") == "limited"
    assert "Terlalu banyak pemeriksaan" in limited.inner_text()
    page.screenshot(path=str(ARTIFACTS / "journey-citizen-limited.png"), full_page=True)
    context.close()
