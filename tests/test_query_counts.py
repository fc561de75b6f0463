"""No N+1: a list page asks the database as many times for 30 rows as for 3."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jaring.accounts.rules import RoleCode
from tests.conftest import BENGKALIS
from tests.test_access_log import _worker

PAGES = {  # page → the role that reads it
    "/pekerja/": "operator",
    "/akun/log-akses/": "auditor",
}


def _queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_workers(operator, client, start: int, stop: int) -> None:
    """Workers, each read once by the operator (so the access log grows with them)."""
    client.force_login(operator)
    for number in range(start, stop):
        worker = _worker(
            operator,
            f"14030155069{number + 1:05d}",
            f"Pekerja {number}",
            datetime.date(1990, 6, 15),
        )
        client.get(f"/pekerja/{worker.pk}/")


def test_list_pages_ask_as_many_queries_for_30_rows_as_for_3(make_user, occupations, client):
    users = {
        "operator": make_user("operator", RoleCode.OPERATOR, BENGKALIS),
        "auditor": make_user("auditor", RoleCode.AUDITOR, BENGKALIS),
    }
    _add_workers(users["operator"], client, 0, 3)
    few = {url: _queries(client, users[role], url) for url, role in PAGES.items()}
    _add_workers(users["operator"], client, 3, 30)
    many = {url: _queries(client, users[role], url) for url, role in PAGES.items()}
    assert many == few
