"""Issue #13, finding 3: no anonymous figure reveals a count of 1–4 families or workers.

Every public page reachable from /publik/ is crawled for the real Bengkalis data (three covered
workers, one paid claim, refreshed by the real service) and a crafted Siak whose villages hold
0, 1, 2, 3, 4, 5 and 7 protected workers and paid claims (plus a kecamatan of five villages of one
worker each, one with a single small village, one with one small village beside a large one),
and a crafted Kampar.
Every published number is parsed and attacked: read directly, by differencing a table's total
against its cells, and across pages (a region's total against its cell on its parent's page).
"""

import re
from collections import defaultdict

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jaring.regions.models import Region
from jaring.reports import disclosure
from jaring.reports.models import RegionFact
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS, SIAK
from tests.test_reports import MID_YEAR, bengkalis  # noqa: F401 (the real data's fixture)

BENEFIT = 42_000_000
# Per kecamatan of Siak: (covered, families paid) per village.
CRAFTED = {
    "14.08.01": [(0, 7), (1, 5), (2, 4), (3, 3), (4, 2), (5, 1), (7, 0)],
    "14.08.02": [(1, 0), (1, 0), (1, 0), (1, 0), (1, 6)],  # five ones: only a sum is safe
    "14.08.03": [(3, 0)],  # a kecamatan that is one small village
    "14.08.04": [(40, 5), (2, 5)],  # one small cell beside a large one
    "14.08.05": [(500, 0)],
    "14.01.01": [(100, 20)],  # Kampar: the next smallest kabupaten of Riau, hidden with Bengkalis
}
MEASURES = ("covered", "families")


def _fact(code, level, parent, covered, families, now):
    return RegionFact(
        region_code=code,
        level=level,
        parent_code=parent,
        registered=covered,
        covered=covered,
        claims_paid=families,
        benefits_paid=families * BENEFIT,
        protected_on=MID_YEAR,
        refreshed_at=now,
    )


def _craft_siak() -> None:
    """Summary rows for Siak and Kampar as the refresh would write them (parents are sums)."""
    now, facts, regencies = timezone.now(), [], defaultdict(lambda: [0, 0])
    for district, villages in CRAFTED.items():
        codes = Region.objects.filter(parent_id=district).order_by("code")
        codes = list(codes.values_list("code", flat=True)[: len(villages)])
        assert len(codes) == len(villages)
        for code, (covered, families) in zip(codes, villages, strict=True):
            facts.append(_fact(code, 4, district, covered, families, now))
        covered, families = (sum(v[i] for v in villages) for i in (0, 1))
        facts.append(_fact(district, 3, district[:5], covered, families, now))
        regencies[district[:5]][0] += covered
        regencies[district[:5]][1] += families
    facts += [_fact(code, 2, "14", *sums, now) for code, sums in regencies.items()]
    RegionFact.objects.bulk_create(facts)


@pytest.fixture
def published(bengkalis, client):  # noqa: F811
    _craft_siak()
    refresh_regency(BENGKALIS, today=MID_YEAR)  # re-sums Riau and Indonesia over both
    return _crawl(client)


# --- Reading the pages ---------------------------------------------------------------------

HIDDEN = "*"
CARD = re.compile(r'<strong data-field="(covered|claims_paid|benefits_paid)">(.*?)</strong>', re.S)
ROW = re.compile(r'<tr data-code="([\d.]+)">(.*?)</tr>', re.S)
CELL = re.compile(r'<td class="num" data-field="(covered|families|benefits)">(.*?)</td>', re.S)
LINK = re.compile(r'href="(/publik/[\d.]+/)"')
FIELD = {"claims_paid": "families", "benefits_paid": "benefits"}


def _number(html: str) -> int | str:
    text = re.sub(r"<[^>]+>", "", html).strip()
    if text in {HIDDEN, "&lt;5", "—"}:  # any marker counts as hidden (older pages had these)
        return HIDDEN
    digits = text.removeprefix("Rp").replace(".", "")
    assert digits.isdigit(), f"unparsed public figure {text!r}"
    return int(digits)


def _page(html: str) -> dict:
    total = {FIELD.get(f, f): _number(v) for f, v in CARD.findall(html)}
    cells = {
        code: {field: _number(v) for field, v in CELL.findall(row)}
        for code, row in ROW.findall(html)
    }
    return {"total": total, "cells": cells}


def _crawl(client) -> dict[str, dict]:
    """Every public page reachable from the national one, by the links the pages show."""
    pages, queue = {}, ["/publik/"]
    while queue:
        url = queue.pop()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = _page(response.text)
        queue += LINK.findall(response.text)
    return pages


def _code(url: str) -> str:
    return url.strip("/").split("/")[-1] if url != "/publik/" else "ID"


# --- The attacks ---------------------------------------------------------------------------


def test_every_page_of_both_regions_is_crawled(published):
    codes = {_code(url) for url in published}
    assert {"ID", "14", BENGKALIS, SIAK, *CRAFTED} <= codes
    assert not any(code.count(".") == 3 for code in codes)  # no village page


def test_village_pages_are_refused(published, client):
    village = RegionFact.objects.filter(level=4).values_list("region_code", flat=True)
    for code in village:
        assert client.get(f"/publik/{code}/").status_code == 404


def test_no_published_count_is_between_one_and_four(published):
    for url, page in published.items():
        for where, figures in [("total", page["total"]), *page["cells"].items()]:
            for measure in MEASURES:
                value = figures[measure]
                assert value == HIDDEN or not disclosure.is_small(value), (url, where, measure)
            if figures["families"] == HIDDEN:  # the money would tell the number of families
                assert figures["benefits"] == HIDDEN, (url, where)


def test_no_hidden_cell_can_be_worked_out_from_its_table(published):
    for url, page in published.items():
        for measure in (*MEASURES, "benefits"):
            total = page["total"][measure]
            cells = [figures[measure] for figures in page["cells"].values()]
            hidden = cells.count(HIDDEN)
            if total == HIDDEN:
                # Not recoverable from below either: some non-zero child is hidden too.
                assert hidden or not cells, (url, measure)
                continue
            rest = total - sum(c for c in cells if c != HIDDEN)
            if measure == "benefits":
                rest //= BENEFIT  # a number of families
            assert hidden != 1 or not disclosure.is_small(rest), (url, measure, rest)
            assert hidden == 0 or rest >= disclosure.SMALL_CELL, (url, measure, rest)
            assert hidden == 0 or rest > hidden, (url, measure)  # not all ones


def test_a_region_shows_the_same_figure_on_every_page(published):
    seen = defaultdict(set)
    for url, page in published.items():
        seen[_code(url)].add(tuple(page["total"][m] for m in (*MEASURES, "benefits")))
        for code, figures in page["cells"].items():
            seen[code].add(tuple(figures[m] for m in (*MEASURES, "benefits")))
    assert {code: shown for code, shown in seen.items() if len(shown) > 1} == {}


def test_the_crafted_tables_hide_what_the_rule_says(published):
    district = published["/publik/14.08.01/"]
    villages = list(district["cells"].values())
    assert [v["covered"] for v in villages] == [0, *[HIDDEN] * 4, 5, 7], district
    assert district["total"]["covered"] == 22
    assert published["/publik/14.08.02/"]["total"]["covered"] == HIDDEN  # five ones
    assert published[f"/publik/{SIAK}/"]["cells"]["14.08.04"]["covered"] == 42
    assert published["/publik/14.08.04/"]["total"]["covered"] == 42
    assert published["/publik/14.08.04/"]["cells"].keys()
    assert all(v["covered"] == HIDDEN for v in published["/publik/14.08.04/"]["cells"].values())
    riau = published["/publik/14/"]["cells"]
    assert riau[BENGKALIS]["covered"] == riau["14.01"]["covered"] == HIDDEN  # 3, then 100
    assert riau[SIAK]["covered"] == 572
    assert published[f"/publik/{BENGKALIS}/"]["total"]["families"] == HIDDEN  # one claim


# --- The rule itself, for any table ----------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=9))
def test_a_protected_table_never_gives_away_a_small_cell(values):
    cells = {f"c{i}": v for i, v in enumerate(values)}
    hidden = disclosure.protect_table(cells)
    if hidden is None:  # nothing protects it: its total is hidden instead
        return
    assert all(code in hidden for code, v in cells.items() if disclosure.is_small(v))
    assert all(cells[code] for code in hidden)  # zeros are published
    rest = sum(cells[code] for code in hidden)
    assert not hidden or (len(hidden) >= 2 and rest >= disclosure.SMALL_CELL and rest > len(hidden))


# --- The public national page ---------------------------------------------------------------


def test_the_public_national_page_publishes_what_the_public_pages_publish(published, client):
    """Anonymous /nasional/: kabupaten/kota rows only, each cell as its public page shows it
    (one suppression for the whole tree), so no small count is readable or derivable there."""
    national = _page(client.get("/nasional/").text)
    assert national["cells"], "no kabupaten listed"
    assert all(code.count(".") == 1 for code in national["cells"])  # kabupaten/kota only
    for code, figures in national["cells"].items():
        for measure in MEASURES:
            value = figures[measure]
            assert value == HIDDEN or not disclosure.is_small(value), (code, measure)
        if figures["families"] == HIDDEN:
            assert figures["benefits"] == HIDDEN, code
        assert figures == published[f"/publik/{code}/"]["total"], code
        assert figures == published[f"/publik/{code[:2]}/"]["cells"][code], code


def test_the_public_national_page_names_nobody(published, client):
    page = client.get("/nasional/").text
    assert "Rusni" not in page and not re.search(r"\b\d{16}\b", page)
    assert not re.search(r'data-code="\d+\.\d+\.\d+', page)  # no kecamatan or village row
