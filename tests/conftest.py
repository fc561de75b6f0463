import csv
import os
import shutil

import pytest
from django.core.management import call_command

from jaring.accounts.models import OrgUnit, User
from jaring.accounts.rules import RoleCode
from jaring.accounts.services import grant_role
from jaring.regions.models import Region
from jaring.regions.services import POPULATION_CSV, REGIONS_CSV, load_regions

BENGKALIS = "14.03"
SIAK = "14.08"
RIAU = "14"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Each test keeps its files (sealed uploads, workbooks, documents) in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database is rolled back between tests, and what
    was cached from one test's rows (the public suppression, a throttle count) must not answer
    the next."""
    from django.core.cache import cache

    cache.clear()


def write_region_subset(path, prefixes):
    """The reference CSV cut down to some provinces: the full load is tested on its own."""
    with REGIONS_CSV.open(newline="", encoding="utf-8") as source, path.open("w") as target:
        rows = csv.reader(source)
        writer = csv.writer(target)
        writer.writerow(next(rows))
        for row in rows:
            if row[0].split(".")[0] in prefixes:
                writer.writerow(row)
    return path


@pytest.fixture
def riau_regions(db, tmp_path):
    """Riau (14) and Aceh (11) loaded through the real loader."""
    load_regions(write_region_subset(tmp_path / "regions.csv", {"11", "14"}), POPULATION_CSV)
    return Region.objects.all()


@pytest.fixture
def make_user(riau_regions):
    def make(username, role: RoleCode | None = None, region_code: str | None = None, **extra):
        region = Region.objects.get(code=region_code) if region_code else None
        office, _ = OrgUnit.objects.get_or_create(
            name=f"Kantor {region_code or 'Pusat'}", region=region, defaults={"kind": "pemda"}
        )
        user = User.objects.create_user(username, password=PASSWORD, org_unit=office, **extra)
        if role is not None:
            grant_role(user, role, region)
        return user

    return make


@pytest.fixture
def bengkalis_operator(make_user):
    return make_user("op.bengkalis", RoleCode.OPERATOR, BENGKALIS)


@pytest.fixture
def siak_operator(make_user):
    return make_user("op.siak", RoleCode.OPERATOR, SIAK)


@pytest.fixture
def occupations(db):
    """The occupation categories (a data migration; flushed by transactional tests)."""
    from django.apps import apps

    from jaring.registry.migrations import _occupations_data

    _occupations_data.add_occupations(apps, None)


@pytest.fixture
def run_queued_tasks(monkeypatch):
    """Run what was queued (the summaries' refresh, imports) with the database task worker, as in
    production; every task must succeed."""
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    # The worker recycles "old" connections between tasks; here it shares the test's connection.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay")
        assert {task.status for task in DBTaskResult.objects.all()} <= {"SUCCESSFUL"}

    return run


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    from tests.browser_kit import CHROMIUM, CHROMIUM_ARGS

    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install it")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures make
    # here are plain synchronous test setup.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    from tests.browser_kit import assert_accessible

    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    yield page
    try:
        assert_accessible(page)  # where the journey ended
    finally:
        context.close()


@pytest.fixture(autouse=True)
def _accessible_pages_left_open(request):
    """Every browser test also checks, with axe-core, each page it leaves open (those of
    `login()`), then closes their contexts."""
    yield
    if "browser" not in request.fixturenames:
        return
    from tests.browser_kit import assert_accessible

    contexts = list(request.getfixturevalue("browser").contexts)
    try:
        for context in contexts:
            for page in context.pages:
                assert_accessible(page)
    finally:
        for context in contexts:
            context.close()
