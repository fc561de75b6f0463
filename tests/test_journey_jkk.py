"""Journey: the claims officer carries a work accident along its JKK path in the browser — the
stage I report, treatment at the kabupaten's PLKK, a period unable to work (STMB), BPJS's payment
of it and the return to work."""

import pytest

from jaring.demo.seed import setup_demo
from tests.browser_kit import ARTIFACTS, login

pytestmark = pytest.mark.browser


def _record(page, action: str, fields: dict[str, str], select: dict[str, int] | None = None):
    """Open the action's form on the JKK section, fill it and send it."""
    page.click(f"details:has(#jkk-{action}-form) > summary")
    for name, value in fields.items():
        page.fill(f"#id_{action}-{name}", value)
    for name, index in (select or {}).items():
        page.select_option(f"#id_{action}-{name}", index=index)
    page.click(f"#jkk-{action}-form button[type=submit]")
    page.wait_for_selector(".messages")


def test_a_claims_officer_carries_a_work_accident_along_its_path(
    riau_regions, occupations, live_server, browser, tmp_path
):
    from jaring.accounts.models import User
    from jaring.claims import services
    from jaring.reference.models import Plkk
    from jaring.regions.models import Region
    from tests.conftest import BENGKALIS
    from tests.test_claims import SAFRI, D, build_coverage, worker

    setup_demo()
    build_coverage(User.objects.get(username="keuangan"), tmp_path)
    Plkk.objects.create(
        region=Region.objects.get(code=BENGKALIS),
        name="RSUD Bengkalis",
        kind="hospital",
        address="Jl. Kelapapati Tengah",
    )
    claim = services.report_event(
        worker(SAFRI),
        services.EventReport(
            "JKK", "temporary_incapacity", D(2025, 7, 3), "family", incapacity_days=1
        ),
        User.objects.get(username="klaim"),
        today=D(2026, 1, 20),
    )

    officer = login(browser, live_server, "klaim")
    officer.goto(f"{live_server.url}/klaim/{claim.pk}/")
    assert "3 Juli 2030" in officer.inner_text("#jkk-deadline")  # 5 years after the accident
    assert not officer.locator("#jkk-tahap_2-form").count()  # stage II follows stage I

    _record(officer, "tahap_1", {"accident_at": "2025-07-03T08:00", "made_at": "2025-07-04T10:00"})
    stage_one = officer.inner_text("#jkk-reports tr[data-stage='1']")
    assert "03-07-2025 08:00" in stage_one and "terlambat" not in stage_one

    _record(
        officer,
        "perawatan",
        {"admitted_on": "2025-07-03", "discharged_on": "2025-07-10"},
        {"plkk": 0},
    )
    assert "RSUD Bengkalis" in officer.inner_text("#jkk-treatments")

    _record(officer, "stmb", {"starts_on": "2025-07-03", "ends_on": "2025-08-01"})
    assert officer.inner_text("#stmb-expected") == "Rp1.000.000"  # 30 days at the full wage

    _record(
        officer,
        "stmb_bayar",
        {"amount": "1000000", "paid_on": "2025-08-05", "reference": "STMB-0001"},
        {"period": 1},
    )
    assert officer.inner_text("#stmb-paid") == "Rp1.000.000"
    assert "STMB-0001" in officer.inner_text("#jkk-stmb")

    _record(officer, "kembali_kerja", {"returned_on": "2025-08-02"})
    assert "2 Agustus 2025" in officer.inner_text("#jkk-return")

    ARTIFACTS.mkdir(exist_ok=True)
    officer.screenshot(path=str(ARTIFACTS / "jkk-path.png"), full_page=True)
    officer.context.close()
