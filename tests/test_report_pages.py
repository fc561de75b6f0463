"""Issue #16, dashboards and public pages: what a Bupati, a journalist and a citizen read.

The demo's story (seed workers, money, the three paid JKM claims, the workforce estimate) is
built through the real services; then every reports page, the landing page and the monthly PDF
are rendered and read as text: counts grouped the Indonesian way, one style per kind of date,
every indicator defined where it is named, the map coloured by the headline figure, the report
to BPJS payment measured in working days.
"""

import html
import io
import re

import pypdf
import pytest
from django import forms
from django.utils import translation

from jaring.claims.models import Claim
from jaring.reports import graphics
from jaring.reports.indicators import INDICATORS

REPORT_DAY = "2025-09-22"
PUBLIC_PAGES = ["/", "/publik/", "/publik/14/", "/publik/14.03/", "/publik/14.03.01/", "/nasional/"]
STAFF_PAGES = ["/laporan/", "/laporan/14.03/", "/laporan/14.03.01/", "/nasional/"]

# A count of four or more digits written without its dots (30257 for 30.257). A year (1900–2100)
# stands alone; codes, claim numbers, money and decimals are joined to letters, dots or slashes.
RAW_COUNT = re.compile(r"(?<![\w.,/:+()-])\d{4,}(?![\w.,/:%-])")
SHORT_MONTHS = "Jan|Feb|Mar|Apr|Mei|May|Jun|Jul|Agu|Aug|Sep|Okt|Oct|Nov|Des|Dec"
# Dates written in any style but the house ones (22 September 2025; 22-09-2025 10:30).
OTHER_DATE_STYLES = [
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),  # ISO
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"),  # 22/09/2025
    re.compile(r"\b\d{2}-\d{2}-\d{4}\b(?! \d{2}:\d{2})"),  # a day in the timestamp style
    re.compile(rf"\b\d{{1,2}} ({SHORT_MONTHS})\.? \d"),  # 22 Sep 2025
    re.compile(r"\d{4},? \d{1,2}\.\d{2}\b"),  # Django's "22 Sep 2025, 10.30"
]


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def raw_counts(text: str) -> list[str]:
    return [n for n in RAW_COUNT.findall(text) if not 1900 <= int(n) <= 2100]


def other_dates(text: str) -> list[str]:
    return [m.group(0) for pattern in OTHER_DATE_STYLES for m in pattern.finditer(text)]


@pytest.fixture
def demo(riau_regions, occupations, settings, tmp_path):
    from jaring.demo.seed import seed_demo_reports
    from tests.test_claims_web import seed_small_demo

    settings.JARING_REPORT_DATE = REPORT_DAY
    users = seed_small_demo(settings, tmp_path)
    seed_demo_reports(users["operator"])
    return users


def _pages(client, users) -> dict[str, str]:
    pages = {}
    for url in PUBLIC_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[f"anonymous {url}"] = response.content.decode()
    client.force_login(users["operator"])
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[f"operator {url}"] = response.content.decode()
    return pages


def test_every_report_page_groups_counts_and_writes_one_date_style(demo, client):
    pages = _pages(client, demo)
    # The dashboard carries counts of thousands: the workforce estimate of Bengkalis.
    assert re.search(r"\d{1,3}\.\d{3}", visible_text(pages["operator /laporan/14.03/"]))
    for name, page in pages.items():
        text = visible_text(page)
        assert raw_counts(text) == [], name
        assert other_dates(text) == [], name
        assert "Select an option" not in text, name


def test_the_monthly_pdf_groups_counts_defines_its_indicators_and_keeps_the_date_styles(
    demo, client
):
    client.force_login(demo["operator"])
    response = client.get("/laporan/14.03/bulanan.pdf")
    assert response.status_code == 200
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in pdf.pages)
    report = text[text.index("LAPORAN BULANAN") :]  # the letterhead's phone and postcode aside
    assert raw_counts(report) == []
    assert other_dates(report) == []
    flat = " ".join(report.split())
    with translation.override("id"):
        for indicator in INDICATORS.values():
            assert " ".join(str(indicator.definition).split())[:40] in flat, indicator.key
        assert str(graphics.legend()[0][0]) in flat  # the map's key
    assert "ganti dengan" not in flat  # no developer's note in the Bupati's report


def test_every_indicator_named_on_a_page_is_defined_on_it(demo, client):
    for name, page in _pages(client, demo).items():
        described = re.findall(r'aria-describedby="(def-[\w]+)"', page)
        for target in set(described):
            assert f'id="{target}"' in page, (name, target)
        for key in {d.removeprefix("def-") for d in described}:
            assert key in INDICATORS, (name, key)
            assert f'title="{html.escape(str(INDICATORS[key].definition))}"' in page or (
                f'title="{str(INDICATORS[key].definition)}"' in page
            ), (name, key)


def test_the_dashboard_measures_report_to_bpjs_payment_in_working_days(demo, client):
    paid = list(Claim.objects.filter(status="paid"))
    # The seed: BPJS received each file on Wednesday 17 September, paid on Friday 19th.
    assert {(c.bpjs_received_on.isoformat(), c.paid_on.isoformat()) for c in paid} == {
        ("2025-09-17", "2025-09-19")
    }
    client.force_login(demo["operator"])
    page = client.get("/laporan/14.03/").content.decode()
    cell = re.search(r'data-field="average_pay_days">([^<]*)<', page).group(1)
    assert cell == "2,0"  # not the 40-odd days since the deaths in August


def test_the_maps_are_coloured_by_the_share_of_the_workforce_with_a_legend(demo, client):
    colours = {fill for _, fill in graphics.CLASSES}
    for url in ("/publik/14/", "/publik/14.03/"):
        page = client.get(url).content.decode()
        fills = re.findall(r'<path d="[^"]*" fill="(#[0-9a-f]{6})"', page)
        assert fills and colours & set(fills), url  # not all grey
        assert 'id="legend"' in page and "informal" in visible_text(page)
    client.force_login(demo["operator"])
    page = client.get("/laporan/14.03/").content.decode()
    fills = re.findall(r'<path d="[^"]*" fill="(#[0-9a-f]{6})"', page)
    assert len(fills) == 11 and set(fills) <= colours  # every kecamatan has a share
    source = visible_text(re.search(r'id="estimate-source">.*?</p>', page, re.S).group(0))
    assert "Sakernas" in source and "ganti dengan" not in source


def test_the_trend_has_axes_and_values(demo, client):
    from jaring.reports.models import CoverageMonth

    months = list(CoverageMonth.objects.filter(regency_code="14.03").order_by("month"))
    client.force_login(demo["operator"])
    page = client.get("/laporan/14.03/").content.decode()
    trend = re.search(r'<div id="trend">(.*?)</div>', page, re.S).group(1)
    assert trend.count("<line") >= 2 + 5  # two axes, five gridlines
    written = re.findall(r'fill="#1d2733"[^>]*>([\d.]+)</text>', trend)
    assert written == [f"{m.covered:,}".replace(",", ".") for m in months]


def test_an_indonesian_form_has_no_english_empty_choice():
    field = forms.modelform_factory(Claim, fields=["program"])().fields["program"]
    with translation.override("id"):
        labels = [str(label) for _, label in field.choices]
    assert "- Select an option -" not in labels
    assert labels[0] == "- Pilih salah satu -"
