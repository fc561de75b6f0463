"""What every browser journey shares: the real Debian Chromium, where screenshots go, a login.

The `browser` and `page` fixtures live in conftest.py; a journey file marks itself
`pytestmark = pytest.mark.browser` and logs a role in with `login(browser, live_server, name)`.
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
