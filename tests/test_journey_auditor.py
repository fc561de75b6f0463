"""The auditor (Inspektorat) finds who read a named worker's data, in the real browser."""

import pytest

from jaring.accounts.models import User
from jaring.demo.seed import import_demo_workers, setup_demo
from jaring.registry.models import Worker
from tests.browser_kit import ARTIFACTS, assert_accessible, login

pytestmark = pytest.mark.browser

RUSNI_NIK = "1403014101850001"  # the seed case's first worker (jaring.demo.seed.SEED_WORKERS)


def test_the_auditor_finds_who_read_a_named_worker(
    riau_regions, occupations, live_server, browser, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    setup_demo()
    import_demo_workers(User.objects.get(username="operator"), workers=20)
    rusni = Worker.objects.get(full_name="Rusni")
    bahtiar = Worker.objects.get(full_name="Bahtiar")

    operator = login(browser, live_server, "operator")
    operator.goto(f"{live_server.url}/pekerja/{rusni.pk}/")
    operator.reload()  # the same read again: another row (an append-only log keeps it)
    operator.goto(f"{live_server.url}/pekerja/{bahtiar.pk}/")
    operator.context.close()

    auditor = login(browser, live_server, "auditor", viewport={"width": 390, "height": 844})
    auditor.click(".menu-toggle")
    assert auditor.get_attribute(".menu-toggle", "aria-expanded") == "true"
    auditor.click("nav.mainnav >> text=Log akses")
    auditor.fill("#id_nik", RUSNI_NIK)
    auditor.click("#person-search button[type=submit]")
    auditor.wait_for_selector("#log-clear")
    assert RUSNI_NIK not in auditor.url  # the NIK went by POST
    rows = auditor.locator("#access-log tbody tr")
    # Rusni's page read twice by the operator, and the auditor's own NIK search (a read too).
    assert rows.count() == 3
    reads = rows.filter(has_text="Siti Aminah")
    assert reads.count() == 2
    row = reads.first
    assert "Siti Aminah" in row.inner_text()  # who read it
    assert "127.0.0.1" in row.inner_text()  # from where
    person = row.locator("td.person a")
    assert person.inner_text() != "Rusni"  # masked for the auditor
    assert person.get_attribute("href") == f"/pekerja/{rusni.pk}/"
    assert auditor.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert_accessible(auditor)
    ARTIFACTS.mkdir(exist_ok=True)
    auditor.screenshot(path=str(ARTIFACTS / "auditor-access-log-phone.png"), full_page=True)
