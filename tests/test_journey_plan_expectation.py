"""A finance officer plans next year and reads what the budget buys: the deaths the mortality
table expects among the participants and the benefits they would bring to families."""

import pytest

from jaring.programs.rulebook import default_rulebook
from tests.browser_kit import ARTIFACTS, login

pytestmark = pytest.mark.browser


def test_finance_officer_reads_the_expected_deaths_and_benefits_of_a_plan(
    riau_regions, occupations, live_server, browser
):
    from jaring.accounts.models import User
    from jaring.demo.seed import import_demo_workers, seed_demo_money, setup_demo
    from jaring.enrolment.models import CoveragePlan
    from jaring.programs import rules as program_rules

    setup_demo()
    users = {u.username: u for u in User.objects.all()}
    import_demo_workers(users["operator"], workers=200)
    seed_demo_money(
        users["keuangan"], users["operator"], users["bpjs.duri"], allocation=20_160_000, paid=0
    )
    plan = CoveragePlan.objects.get()
    cohort = [
        (2025 - s.worker.birth_date.year, s.worker.sex, 1)
        for s in plan.selections.select_related("worker")
    ]
    expected = program_rules.expected_in_cohort(
        default_rulebook(), cohort, 12, plan.start_month, plan.cost
    )
    page = login(browser, live_server, "keuangan")
    page.goto(f"{live_server.url}/anggaran/rencana/{plan.pk}/")
    table = page.locator("#plan-expected")
    assert table.locator("[data-field=deaths] td.num").inner_text() == str(round(expected.deaths))
    benefits = f"Rp{expected.benefits:,}".replace(",", ".")
    assert table.locator("[data-field=benefits] td.num").inner_text() == benefits
    assert "Rp42.000.000" in table.locator("[data-field=benefits]").inner_text()
    per_rupiah = f"{expected.benefits_per_rupiah:.2f}".replace(".", ",")
    assert table.locator("[data-field=per-rupiah] td.num").inner_text() == per_rupiah
    assert "Tabel Mortalita Indonesia IV" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "plan-expectation.png"), full_page=True)
