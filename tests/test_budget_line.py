"""The budget line, one meaning: allocated, committed, billed, credited, paid, remaining to
commit and remaining to pay are defined once (finance.selectors.BUDGET_MEASURES) and shown the
same way — same name, same explanation, same figure — on the budget page, the plan page and the
Excel; the budget page opens on the latest allocated year; billing a month nobody can be billed
for is refused with the reason (web and CLI); a quota may name the kecamatan."""

import datetime
import html
import io
import re

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from jaring.core.formatting import rupiah
from jaring.enrolment import services as enrolment_services
from jaring.enrolment.models import CoveragePlan, Enrolment
from jaring.finance import planning
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.finance.models import FundingSource, Invoice
from jaring.regions.models import Level, Region
from jaring.registry.models import Worker
from tests.conftest import BENGKALIS
from tests.test_enrolment_finance import apbd, enrol_and_activate, finance_officer, plan, registry

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date


def cells(page: str, table_id: str, source: FundingSource) -> dict[str, str]:
    """``data-field`` → text of one source's row in the table ``table_id``."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    row = re.search(rf'<tr data-source="{source.pk}">.*?</tr>', table, re.S).group(0)
    return dict(re.findall(r'<td class="num" data-field="(\w+)">([^<]*)</td>', row))


def headers(page: str, table_id: str) -> dict[str, tuple[str, str]]:
    """``data-field`` → (tooltip, name) of the table's headers."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    found = re.findall(r'<th data-field="(\w+)"><abbr title="([^"]*)">([^<]*)</abbr></th>', table)
    return {field: (html.unescape(title), html.unescape(name)) for field, title, name in found}


@pytest.fixture
def money(apbd, finance_officer, tmp_path):  # noqa: F811
    """100 participants April–December 2025, April and May billed, April paid, one death."""
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    for month in (D(2025, 4, 1), D(2025, 5, 1)):
        finance_services.bill_month(region, month, finance_officer)
    april = Invoice.objects.get(month=D(2025, 4, 1))
    finance_services.record_payment(april, april.total, D(2025, 4, 15), "SP2D-1", finance_officer)
    died = Enrolment.objects.order_by("pk").first()
    enrolment_services.end_enrolment(died, "death", D(2025, 4, 20), None)  # May is credited
    return apbd


def test_one_meaning_of_each_figure_on_every_page_and_export(money, finance_officer, client):  # noqa: F811
    [line] = finance_selectors.budget_lines(finance_officer, 2025)
    assert line.credited == 16_800  # May of the participant who died in April
    # The death freed May–December of the commitment: 8 months back to commit.
    assert line.remaining_to_commit == line.allocation - line.committed == 100_000 + 8 * 16_800
    assert line.remaining_to_pay == line.billed - line.credited - line.paid == 99 * 16_800
    expected = {m.field: rupiah(value) for m, value in line.figures()}
    with translation.override("id"):
        explained = {
            m.field: (str(m.explanation), str(m.label)) for m in finance_selectors.BUDGET_MEASURES
        }
    assert len(expected) == 7 and "sisa pagu" in explained["remaining_to_commit"][0]
    client.force_login(finance_officer)
    budget = client.get(reverse("finance:budget"), {"tahun": 2025}).text
    plan_page = client.get(reverse("finance:plan", args=[CoveragePlan.objects.get().pk])).text
    for page, table in ((budget, "budget"), (plan_page, "plan-budget")):
        shown = cells(page, table, money)
        assert {field: shown[field] for field in expected} == expected, table
        assert headers(page, table) == explained, table
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("finance:budget"), {"tahun": 2025, "format": "xlsx"}).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1:8] == tuple(name for _title, name in explained.values())
    assert rows[1][1:8] == tuple(getattr(line, field) for field in expected)
    assert sheet.cell(1, 7).comment.text == explained["remaining_to_commit"][0]


def test_the_budget_page_opens_on_the_latest_allocated_year(registry, finance_officer, client):  # noqa: F811
    source = FundingSource.objects.create(region_id=BENGKALIS, kind="apbd_kab", name="APBD")
    for year in (2024, 2027, 2025):
        finance_services.allocate(source, year, 1_000_000 * (year - 2020), finance_officer)
    client.force_login(finance_officer)
    page = client.get(reverse("finance:budget")).text
    assert "2027" in re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert cells(page, "budget", source)["allocation"] == rupiah(7_000_000)


def test_billing_without_an_allocation_or_a_plan_is_refused_with_the_reason(
    registry,
    finance_officer,
    client,  # noqa: F811
):
    source = FundingSource.objects.create(region_id=BENGKALIS, kind="apbd_kab", name="APBD Kab")
    region = Region.objects.get(code=BENGKALIS)
    with pytest.raises(ValidationError) as refused:
        finance_services.bill_month(region, D(2025, 4, 1), finance_officer)
    assert refused.value.error_list[0].code == "allocation_missing"
    with pytest.raises(CommandError, match="belum memiliki pagu untuk tahun 2025"):
        call_command("bill", "--region", BENGKALIS, "--month", "2025-04")
    finance_services.allocate(source, 2025, 1_000_000, finance_officer)
    client.force_login(finance_officer)
    response = client.post(reverse("finance:invoices"), {"month": "2025-04"}, follow=True)
    assert "tidak memiliki peserta untuk ditagih pada 04/2025" in response.text
    assert not Invoice.objects.exists()  # no empty invoice


def test_a_quota_may_name_the_kecamatan(apbd, finance_officer):  # noqa: F811
    code = Worker.objects.values_list("district_code", flat=True).order_by("district_code")[0]
    district = Region.objects.get(code=code, level=Level.DISTRICT)
    draft = plan(apbd, finance_officer, quotas={f"  {district.name.upper()} ": 3})
    assert draft.quotas == {code: 3}
    assert draft.selections.filter(district_code=code).count() == 3
    with pytest.raises(ValidationError) as refused:
        plan(apbd, finance_officer, quotas={"Kecamatan Yang Tidak Ada": 3})
    assert refused.value.error_list[0].code == "quota_district_unknown"
    assert planning.resolve_quotas(Region.objects.get(code=BENGKALIS), {code: 5}) == {code: 5}


def test_an_inactive_source_still_bills_its_committed_participants(money, finance_officer):  # noqa: F811
    """Inactive means "offered to no new plan": participants already enrolled stay billed, so
    they neither go unpaid nor lapse."""
    FundingSource.objects.filter(pk=money.pk).update(active=False)
    region = Region.objects.get(code=BENGKALIS)
    finance_services.bill_month(region, D(2025, 6, 1), finance_officer)
    june = Invoice.objects.get(source=money, month=D(2025, 6, 1))
    assert june.lines.values("enrolment").distinct().count() == 99  # 100 less the death
