"""What every browser journey shares: the real Debian Chromium, where screenshots go, a login,
and the accessibility check.

The `browser` and `page` fixtures live in conftest.py; a journey file marks itself
`pytestmark = pytest.mark.browser` and logs a role in with `login(browser, live_server, name)`.
Every page a journey leaves open is checked with axe-core when the test ends (conftest); call
`assert_accessible(page)` to check a page on the way.
"""

from pathlib import Path

from jaring.demo.seed import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def login(browser, live_server, username, password=DEMO_PASSWORD, **context_options):
    """A fresh browser context (its own cookies) logged in as `username`; returns its page."""
    context = browser.new_context(locale="id-ID", accept_downloads=True, **context_options)
    page = context.new_page()
    page.goto(live_server.url + "/akun/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("#roles")
    return page


# axe-core's impacts that fail a page; "moderate" and "minor" are reported by axe but tolerated.
BLOCKING_IMPACTS = {"serious", "critical"}


def accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.x A/AA rules
    and axe's best practices)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page; the message names each rule, what
    it asks for and the elements that break it."""
    if page.is_closed() or not is_html_page(page):
        return
    violations = accessibility_violations(page)
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


# Pages Jaring serves but does not write: django-ninja's bundled Swagger UI for developers
# (its own markup fails colour-contrast and nested-interactive; not a page officials use).
THIRD_PARTY_PAGES = ("/api/v1/docs",)


def is_html_page(page) -> bool:
    if any(path in page.url for path in THIRD_PARTY_PAGES):
        return False
    return page.url.startswith("http") and page.evaluate("document.contentType") == "text/html"
