"""Cek kepesertaan: a citizen learns whether they are protected today and until when — by POST,
both NIK and birth date matching, rate-limited per address, logged without the NIK, and the same
work whether or not the NIK is registered."""

import datetime
import logging
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jaring.core.crypto import nik_index
from jaring.finance.selectors import citizen_protection
from jaring.reports.citizen import CHECKS_PER_HOUR
from tests.conftest import BENGKALIS
from tests.test_protection import base, build  # noqa: F401 - fixture

D = datetime.date
NIK = "1403014101850001"  # RUSNI's
UNKNOWN = "1403020202900002"
# Protected from January 2021, three months billed and paid on time: protected on 15 March 2021
# until the end of March (before July 2022 no unpaid month is tolerated).
PAID_QUARTER = (
    [{"status": "active", "start": 0, "end": 11, "kpj": True, "billed": 3}],
    [("full", 0)] * 50,
    None,
    (2, 15),
)


@pytest.fixture
def citizen(base, settings):  # noqa: F811
    settings.JARING_REPORT_DATE = "2021-03-15"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()  # each test starts with no check counted
    worker, day = build(base, PAID_QUARTER)
    assert day == D(2021, 3, 15)
    return worker


def check(client, nik, birth_date, address="10.0.0.1"):
    return client.post(
        reverse("reports:coverage_check"),
        {"nik": nik, "birth_date": birth_date.isoformat()},
        HTTP_X_REAL_IP=address,
    )


def answer_box(response) -> str:
    return re.search(r'<div class="answer".*?</div>', response.text, re.S).group(0)


def test_a_protected_citizen_learns_until_when_and_nothing_else(citizen, client):
    response = check(client, f"{NIK[:4]} {NIK[4:]}", citizen.birth_date)
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    answer = response.context["answer"]
    assert answer.protected and answer.until == D(2021, 3, 31)
    box = answer_box(response)
    assert 'data-answer="protected"' in box and "31 Maret 2021" in box
    for secret in (NIK, "Rusni", "Bengkalis", "Bantan", "KPJ", "00000000001"):
        assert secret not in response.text  # no name, no region, no NIK echoed back


def test_not_registered_wrong_birth_date_and_not_protected_read_and_work_the_same(
    citizen, client, settings
):
    answers = {
        "unknown NIK": check(client, UNKNOWN, citizen.birth_date),
        "wrong birth date": check(client, NIK, citizen.birth_date + datetime.timedelta(days=1)),
    }
    settings.JARING_REPORT_DATE = "2021-06-15"  # months unpaid since April: not protected
    answers["not protected"] = check(client, NIK, citizen.birth_date)
    boxes = {name: answer_box(r) for name, r in answers.items()}
    assert all('data-answer="not_found"' in box for box in boxes.values())
    assert boxes["unknown NIK"] == boxes["wrong birth date"]

    def statements(nik, birth_date, day):
        with CaptureQueriesContext(connection) as queries:
            assert not citizen_protection(nik, birth_date, day).protected
        # The statement's shape, its values left out: the same work for every case.
        return [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]

    paths = [
        statements(UNKNOWN, citizen.birth_date, D(2021, 3, 15)),
        statements(NIK, D(1990, 1, 1), D(2021, 3, 15)),
        statements(NIK, citizen.birth_date, D(2021, 6, 15)),
    ]
    assert len(paths[0]) == 1 and paths[0] == paths[1] == paths[2]


def test_the_nik_goes_by_post_only(citizen, client):
    page = client.get(reverse("reports:coverage_check"), {"nik": NIK, "birth_date": "1985-01-01"})
    assert page.status_code == 200 and page.context["answer"] is None
    assert 'method="post" class="stacked" id="coverage-form"' in page.text
    assert client.put(reverse("reports:coverage_check")).status_code == 405


def test_checks_are_limited_per_address_and_logged_without_the_nik(citizen, client, caplog):
    with caplog.at_level(logging.INFO, logger="jaring.citizen"):
        for _ in range(CHECKS_PER_HOUR):
            assert check(client, NIK, citizen.birth_date).status_code == 200
        limited = check(client, NIK, citizen.birth_date)
        assert limited.status_code == 429 and 'data-answer="limited"' in limited.text
        assert limited.context["answer"] is None  # not even looked up
        assert check(client, NIK, citizen.birth_date, address="10.0.0.2").status_code == 200
    log = "\n".join(record.getMessage() for record in caplog.records)
    assert NIK not in log and NIK[4:] not in log
    assert f"nik_index={nik_index(NIK)}" in log and "outcome=protected" in log
    assert "outcome=limited" in log and "address=10.0.0.2" in log


def test_the_landing_and_public_pages_link_the_check(citizen, client):
    from jaring.reports.services import refresh_regency

    refresh_regency(BENGKALIS)
    link = reverse("reports:coverage_check")
    assert link in client.get("/").text
    assert link in client.get(reverse("reports:public")).text
