"""Transparency: summary tables that add up, dashboards per role, exports, the public page's
suppression and the national league table."""

import datetime
import io
import re

import openpyxl
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client

from jaring.accounts.rules import RoleCode
from jaring.claims import services as claim_services
from jaring.regions.models import Region
from jaring.registry.models import Worker
from jaring.reports.models import NATIONAL, CoverageMonth, RegionFact, WorkforceEstimate
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS, SIAK
from tests.test_claims import PDF, build_coverage

D = datetime.date
MID_YEAR = D(2025, 6, 15)


def fact(code, dimension="total", key=""):
    return RegionFact.objects.get(region_code=code, dimension=dimension, key=key)


@pytest.fixture
def bengkalis(make_user, occupations, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    builder = make_user("pembangun", is_superuser=True)
    checker = make_user("pemeriksa", is_superuser=True)
    verifier = make_user("pemeriksa.berkas", is_superuser=True)  # a maker: not the approver
    build_coverage(builder, tmp_path)
    rusni = Worker.objects.get(full_name="Rusni")
    claim = claim_services.report_event(
        rusni,
        claim_services.EventReport("JKM", "death", D(2025, 6, 1), "family"),
        builder,
        today=D(2025, 6, 2),
    )
    claim_services.add_family_member(claim, builder, full_name="Zulkifli", relationship="spouse")
    for kind in claim_services.required_documents(claim):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF + kind.encode())
        document = claim_services.upload_document(claim, kind, upload, builder)
        claim_services.verify_document(document, verifier, today=D(2025, 6, 3))
    claim_services.submit(claim, builder)
    claim_services.approve(claim, checker)
    claim_services.record_sending(claim, builder, D(2025, 6, 4), "hand")
    claim_services.record_receipt(claim, checker, D(2025, 6, 4), "JKM-1")
    claim.refresh_from_db()
    amounts = {c["code"]: c["amount"] for c in claim.components}
    decision = claim_services.BpjsDecision("approved", D(2025, 6, 4), amounts=amounts)
    claim_services.record_decision(claim, checker, decision)
    transfer = claim_services.BankTransfer(42_000_000, D(2025, 6, 5), "BRK", "123456789", "Z", "T1")
    claim.refresh_from_db()
    heir = claim.family.get()
    claim_services.record_benefit_payment(claim.instalments.get(), heir, transfer, checker)
    refresh_regency(BENGKALIS, today=MID_YEAR)
    return {"builder": builder}


def words(page: str) -> str:
    """A page's text as read, markup gone and spaces folded (a label and its day are two
    elements)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_summaries_add_up_from_village_to_country(bengkalis):
    regency = fact(BENGKALIS)
    # Rusni died: two living workers remain registered, both protected in June 2025.
    assert (regency.registered, regency.covered) == (2, 2)
    assert (
        regency.protected_on == fact("14").protected_on == fact(NATIONAL).protected_on == MID_YEAR
    )
    districts = RegionFact.objects.filter(parent_code=BENGKALIS, dimension="total")
    villages = RegionFact.objects.filter(
        level=4, dimension="total", region_code__startswith="14.03."
    )
    assert sum(d.registered for d in districts) == sum(v.registered for v in villages) == 2
    # BPJS received the file on Wednesday 4 June and paid on Thursday 5 June: one working day
    # (the claim page's service-level clock), not the three days since the report on 2 June.
    assert (regency.claims_paid, regency.benefits_paid, regency.pay_days_total) == (
        1,
        42_000_000,
        1,
    )
    for code in ("14.03.01", "14", NATIONAL):
        assert (fact(code).claims_paid, fact(code).benefits_paid) == (1, 42_000_000)
    kelebuk = RegionFact.objects.get(level=4, claims_paid=1)
    assert Region.objects.get(code=kelebuk.region_code).name == "Kelebuk"
    assert (regency.allocated, regency.billed) == (3 * 12 * 16_800, 3 * 12 * 16_800)
    assert regency.paid == 3 * 8 * 16_800  # January to August paid
    assert fact(BENGKALIS, "sex", "L").registered == 2 and fact(BENGKALIS, "sex", "L").covered == 2
    by_occupation = RegionFact.objects.filter(region_code=BENGKALIS, dimension="occupation")
    assert sum(f.registered for f in by_occupation) == 2 and all(f.key for f in by_occupation)
    months = dict(CoverageMonth.objects.values_list("month", "covered"))
    # The trend counts who is protected at each month's end (the report day for this month):
    # Rusni, who died on 1 June, counts in May but not in June.
    assert months[D(2025, 1, 1)] == months[D(2025, 5, 1)] == 3 and months[D(2025, 6, 1)] == 2


def test_refreshing_again_changes_nothing(bengkalis):
    before = list(
        RegionFact.objects.order_by("region_code", "dimension", "key").values_list(
            "region_code", "dimension", "key", "registered", "covered", "claims_paid", "paid"
        )
    )
    refresh_regency(BENGKALIS, today=MID_YEAR)
    after = list(
        RegionFact.objects.order_by("region_code", "dimension", "key").values_list(
            "region_code", "dimension", "key", "registered", "covered", "claims_paid", "paid"
        )
    )
    assert before == after


def test_dashboard_shows_the_tables_numbers_and_exports_them(bengkalis, make_user, client):
    WorkforceEstimate.objects.create(
        region_id=BENGKALIS, year=2025, informal_workers=20, source="BPS Sakernas (uji)"
    )
    client.force_login(make_user("operator", RoleCode.OPERATOR, BENGKALIS))
    page = client.get(f"/laporan/{BENGKALIS}/", {"tahun": 2025})
    assert page.status_code == 200
    assert 'data-field="covered">2<' in page.text and "10,0%" in page.text  # 2 of 20
    assert "<svg" in page.text and 'data-code="14.03.01"' in page.text
    assert "Rusni" in page.text  # an operator may see who was paid
    assert "Pekerja terlindungi per 15 Juni 2025" in words(page.text)  # the day it is for
    workbook = client.get(f"/laporan/{BENGKALIS}/", {"panel": "districts", "format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.values)
    assert rows[0][:4] == ("Kode", "Wilayah", "Terdaftar", "Terlindungi")
    assert sum(r[2] for r in rows[1:]) == 2
    by_sex = client.get(f"/laporan/{BENGKALIS}/", {"panel": "sex", "format": "xlsx"})
    assert list(openpyxl.load_workbook(io.BytesIO(by_sex.content)).active.values)[1] == (
        "Laki-laki",
        2,
        2,
    )
    paid = client.get(f"/laporan/{BENGKALIS}/", {"panel": "claims", "format": "xlsx"})
    paid_rows = list(openpyxl.load_workbook(io.BytesIO(paid.content)).active.values)
    assert paid_rows[1][1] == "Rusni" and paid_rows[1][-1] == 42_000_000
    district = client.get("/laporan/14.03.01/")  # the kecamatan's own map shows its villages
    assert district.status_code == 200 and 'data-code="14.03.01.1001"' in district.text
    report = client.get(f"/laporan/{BENGKALIS}/bulanan.pdf")
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(report.content)).pages
    )
    assert "LAPORAN BULANAN" in text and "Rp42.000.000" in text


def test_roles_without_personal_data_see_masked_names(bengkalis, make_user, client):
    client.force_login(make_user("nasional", RoleCode.NATIONAL_VIEWER, None))
    page = client.get(f"/laporan/{BENGKALIS}/")
    assert page.status_code == 200 and "Rusni" not in page.text and "R****" in page.text
    client.force_login(make_user("siak", RoleCode.OPERATOR, SIAK))
    assert client.get(f"/laporan/{BENGKALIS}/").status_code == 404


def test_the_public_page_publishes_no_names_and_hides_small_cells(bengkalis, client):
    regency = client.get(f"/publik/{BENGKALIS}/")
    assert regency.status_code == 200 and "Rusni" not in regency.text
    assert "Pekerja terlindungi per 15 Juni 2025" in words(regency.text)
    # Three workers and one family paid: every figure is under 5, so none is published
    # (tests/test_public_disclosure.py attacks every page).
    assert "Rp42.000.000" not in regency.text and 'class="suppressed"' in regency.text
    district = client.get("/publik/14.03.01/")
    assert 'class="suppressed"' in district.text  # villages with 1–4 protected workers
    assert "Rusni" not in district.text and "1403" not in district.text
    country = client.get("/publik/")
    assert country.status_code == 200 and 'data-code="14"' in country.text


def siak_counted(**figures) -> RegionFact:
    """Siak counted beside Bengkalis: 10 registered, 9 covered."""
    return RegionFact.objects.create(
        region_code=SIAK,
        level=2,
        parent_code="14",
        registered=10,
        covered=9,
        refreshed_at=fact(BENGKALIS).refreshed_at,
        **figures,
    )


def test_the_league_ranks_kabupaten_by_coverage(bengkalis, make_user, client, tmp_path):
    siak_worker_region = Region.objects.get(code=SIAK)
    siak_counted(paid=9 * 16_800)
    assert siak_worker_region.parent_id == "14"
    WorkforceEstimate.objects.create(
        region_id=BENGKALIS, year=2025, informal_workers=20, source="BPS Sakernas (uji)"
    )  # Bengkalis: 2 of 20 = 10 %; Siak: 9 of 10 registered = 90 %
    client.force_login(make_user("riau", RoleCode.PROVINCIAL_ADMIN, "14"))
    page = client.get("/nasional/", {"provinsi": "14", "tahun": 2025})
    order = [code for code in (SIAK, BENGKALIS) if f'data-code="{code}"' in page.text]
    assert order == [SIAK, BENGKALIS]
    assert page.text.index(f'data-code="{SIAK}"') < page.text.index(f'data-code="{BENGKALIS}"')
    workbook = client.get("/nasional/", {"format": "xlsx", "tahun": 2025})
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.values)
    assert [r[1] for r in rows[1:]] == [SIAK, BENGKALIS]
    assert rows[1][6] == 16_800  # paid to BPJS per protected worker


def test_the_league_is_drawn_once_per_refresh_and_follows_every_refresh(
    bengkalis, make_user, client
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def covered_cell(page) -> str:
        row = page.text.split(f'data-code="{BENGKALIS}"', 1)[1].split("</tr>", 1)[0]
        return re.findall(r'<td class="num">([^<]*)</td>', row)[0]

    client.force_login(make_user("nasional", RoleCode.NATIONAL_VIEWER, None))
    with CaptureQueriesContext(connection) as drawn:
        first = client.get("/nasional/", {"tahun": 2025})
    with CaptureQueriesContext(connection) as cached:
        again = client.get("/nasional/", {"tahun": 2025})
    assert covered_cell(first) == covered_cell(again) == "2"
    assert len(cached) < len(drawn)  # the league's rows were not read again
    refresh_regency(BENGKALIS, today=D(2030, 1, 1))  # nobody is protected any more
    assert covered_cell(client.get("/nasional/", {"tahun": 2025})) == "0"
    public = Client().get("/nasional/")
    assert f'data-code="{BENGKALIS}"' in public.text and "<table" in public.text  # not escaped


def test_a_province_and_the_country_sum_the_estimates_of_every_kabupaten_they_count(
    bengkalis, django_assert_num_queries
):
    """The workforce of a province or of the country is the sum over the kabupaten/kota with
    figures under it, and none while one of them has no estimate (a partial sum would
    overstate the coverage); each province sums its own; a kecamatan takes its kabupaten's in
    proportion to the registered. The kabupaten counted are read in one query."""
    from jaring.reports.selectors import _rows

    refreshed = fact(BENGKALIS).refreshed_at
    siak_counted()
    RegionFact.objects.create(
        region_code="11", level=1, parent_code=NATIONAL, refreshed_at=refreshed
    )
    RegionFact.objects.create(
        region_code="11.01", level=2, parent_code="11", registered=4, refreshed_at=refreshed
    )

    def workforce(parent: str) -> dict[str, tuple | None]:
        facts = RegionFact.objects.filter(dimension="total").filter(
            Q(region_code=parent) | Q(parent_code=parent)
        )
        rows = _rows(facts, 2025)
        return {
            r.code: r.estimate and (r.estimate.informal_workers, r.estimate.derived) for r in rows
        }

    def estimate(code: str, workers: int) -> None:
        WorkforceEstimate.objects.create(
            region_id=code, year=2025, informal_workers=workers, source=code
        )

    estimate(BENGKALIS, 20)
    estimate("11.01", 5)
    # Siak has no estimate yet: Riau and the country have none; Aceh sums its one kabupaten.
    assert workforce(NATIONAL) == {NATIONAL: None, "11": (5, "sum"), "14": None}
    estimate(SIAK, 30)
    with django_assert_num_queries(4):  # the facts, their regions, the counted, the estimates
        assert workforce(NATIONAL) == {NATIONAL: (55, "sum"), "11": (5, "sum"), "14": (50, "sum")}
    estimate("14", 70)  # a province's own estimate comes first; the country still sums
    assert workforce(NATIONAL) == {NATIONAL: (55, "sum"), "11": (5, "sum"), "14": (70, None)}
    assert workforce("11") == {"11": (5, "sum"), "11.01": (5, None)}
    district = _rows(RegionFact.objects.filter(region_code="14.03.01", dimension="total"), 2025)
    assert district[0].estimate.derived == "share"
