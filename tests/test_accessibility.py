"""Every page a person reaches, as each demo role and as a visitor, passes axe-core (no serious
or critical violation) and fits a 390 px phone without scrolling the page sideways.

The crawler starts at every page of the access matrix that needs no object, follows the links it
finds, and opens each route (tests/test_access_matrix.py's names) once per role, so object pages
(a worker, a claim, an invoice…) are reached the way a person reaches them.
"""

import datetime
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from jaring.accounts.models import OrgUnit, User
from jaring.claims.models import ClaimReport
from jaring.demo.seed import (
    DEMO_REGENCY,
    DEMO_USERS,
    import_demo_workers,
    seed_demo_claims,
    seed_demo_money,
    seed_demo_reports,
    setup_demo,
)
from jaring.enrolment.models import BranchFormat
from jaring.finance.models import FundingSource
from jaring.finance.reconciliation import services as reconciliation
from jaring.reference.models import Plkk, Signatory
from jaring.regions.models import Region
from tests.browser_kit import accessibility_violations, login
from tests.test_access_matrix import ROUTES
from tests.test_registry_import import write_csv

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Not pages: machine endpoints, POST-only actions, and files handed out (PDF, xlsx, json, CSV).
NOT_PAGES = {
    "healthz",
    "readyz",
    "metrics",
    "logout",
    "set_language",
    "login_code",
    "registry:import_template",
    "registry:import_status",
    "registry:import_rejects",
    "enrolment:submission_download",
    "reports:monthly_pdf",
    "claims:cover_letter_pdf",
    "claims:handover_pdf",
    "claims:document",
}
GET_PAGES = {name for name, route in ROUTES.items() if route.kind != "post"} - NOT_PAGES


def _start_urls() -> list[str]:
    """The matrix's pages that need no object, and the public ones."""
    urls = ["/"]
    for name in sorted(GET_PAGES):
        try:
            urls.append(reverse(name))
        except Exception:  # noqa: S112  # an object page: reached through the links instead
            continue
    return urls


def _route_name(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or "format=" in parts.query:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.view_name
    return name if name in GET_PAGES else None


def _check(page, problems: list[str], who: str) -> None:
    for violation in accessibility_violations(page):
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        problems.append(
            f"{who} {page.url}: {violation['id']} ({violation['impact']}) {violation['help']}"
            f" at {targets}"
        )
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > PHONE["width"]:
        wide = page.evaluate(  # what overflows: elements wider than their box, not scrolling
            """() => [...document.querySelectorAll('main *')]
                .filter(e => e.scrollWidth > e.clientWidth + 1
                             && getComputedStyle(e).overflowX === 'visible')
                .slice(-3).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
        )
        problems.append(f"{who} {page.url}: {width} px wide at 390 px ({wide})")
    page.set_viewport_size(DESKTOP)


def _crawl(page, origin: str, who: str, problems: list[str]) -> set[str]:
    """Open each reachable route once; returns the route names seen."""
    seen: set[str] = set()
    queue = [origin + path for path in _start_urls()]
    while queue:
        url = queue.pop(0)
        name = _route_name(url, origin)
        if name is None or name in seen:
            continue
        response = page.goto(url)
        if response is None or response.status != 200:
            continue  # not this role's page (403/404/redirect to the login)
        if _route_name(page.url, origin) != name:
            continue  # redirected elsewhere: that page is crawled on its own
        seen.add(name)
        _check(page, problems, who)
        links = page.eval_on_selector_all(
            "main a[href], nav a[href]",  # SVG links (the map's) have no string .href
            "as => as.map(a => new URL(a.getAttribute('href'), location.href).href)",
        )
        queue.extend(link for link in links if _route_name(link, origin) not in seen)
    return seen


@pytest.fixture
def demo(riau_regions, occupations, settings, tmp_path):
    """The demo's users, a small registry, its money, claims and summaries."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    setup_demo()
    users = {user.username: user for user in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(
        users["keuangan"],
        users["operator"],
        users["bpjs.duri"],
        allocation=20_160_000,
        paid=19_500_000,
    )
    seed_demo_claims(users["klaim"], users["supervisor"], users["operator"])
    seed_demo_reports(users["operator"])
    _reference_rows_the_demo_lacks(users["keuangan"], tmp_path)
    return users


def _reference_rows_the_demo_lacks(finance_officer, tmp_path) -> None:
    """A signatory, a PLKK, a BPJS branch format and a BPJS statement: the pages of these."""
    region = Region.objects.get(code=DEMO_REGENCY)
    Signatory.objects.create(
        region=region, purpose="invoice", name="Kepala", position="Kepala Dinas"
    )
    Plkk.objects.create(region=region, name="RSUD Bengkalis", kind="hospital", address="Jl.")
    BranchFormat.objects.create(
        office=OrgUnit.objects.get(kind="bpjs"), columns=[["NIK", "nik"], ["NAMA", "full_name"]]
    )
    statement = write_csv(tmp_path / "bpjs.csv", [["1" * 11, "1"]], header=["KPJ", "IURAN"])
    source = FundingSource.objects.get(region=region)
    reconciliation.import_statement(source, datetime.date(2025, 1, 1), statement, finance_officer)
    ClaimReport.objects.create(region=region, file_name="laporan-klaim.xlsx", sha256="0" * 64)


def test_every_page_of_every_role_is_accessible_and_fits_a_phone(demo, live_server, browser):
    problems: list[str] = []
    reached: set[str] = set()
    visitor = browser.new_context(locale="id-ID", viewport=DESKTOP)
    reached |= _crawl(visitor.new_page(), live_server.url, "visitor", problems)
    visitor.close()
    for username, *_ in DEMO_USERS:
        page = login(browser, live_server, username, viewport=DESKTOP)
        reached |= _crawl(page, live_server.url, username, problems)
        page.context.close()
    assert not problems, "\n".join(problems)
    # Every page of the access matrix was opened by someone (else the crawl missed a link).
    assert GET_PAGES - reached == set()
