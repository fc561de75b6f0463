"""/api/v1/: tokens, the error shape, masking, the coverage look-up and the claim flow."""

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.api import services as api_services
from jaring.api.models import ApiToken
from jaring.claims.models import Claim
from jaring.enrolment.models import Enrolment
from jaring.finance import services as finance_services
from jaring.finance.models import Invoice
from jaring.registry.models import Worker
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS, SIAK
from tests.test_claims import BAHTIAR, RUSNI, build_coverage, nik_of

D = datetime.date


@pytest.fixture
def world(make_user, occupations, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    builder = make_user("pembangun", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):  # the writers' refreshes are queued
        source = build_coverage(builder, tmp_path, paid_months=12)
        # Coverage today: stretch the seed enrolments over this year, billed and paid to now.
        today = timezone.localdate()
        Enrolment.objects.update(end_month=today.replace(month=12, day=1))
        finance_services.allocate(source, today.year, 3 * 12 * 16_800, builder)  # billable
        for month in range(1, today.month + 1):
            finance_services.bill_month(source.region, D(today.year, month, 1), builder)
        for invoice in Invoice.objects.filter(source=source, payments=None):
            finance_services.record_payment(invoice, invoice.total, invoice.month, "SP2D", builder)
    return {
        "bpjs": make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS),
        "operator": make_user("operator", RoleCode.OPERATOR, BENGKALIS),
        "finance": make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS),
        "officer": make_user("klaim", RoleCode.CLAIMS_OFFICER, BENGKALIS),
        "siak": make_user("bpjs.siak", RoleCode.BPJS_OFFICER, SIAK),
    }


def bearer(user, name="integrasi"):
    _row, token = api_services.issue_token(user, name)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def look_up(api, nik: str):
    """The coverage look-up: the NIK in a POST body, never in the URL."""
    return api.post("/api/v1/coverage", json.dumps({"nik": nik}), content_type="application/json")


def test_the_schema_and_the_docs_load(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "post" in paths["/api/v1/coverage"] and "/api/v1/claims/{claim_id}/transitions" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger-ui-bundle.js" in docs.content


def test_a_token_is_hashed_revocable_and_expires(world):
    row, token = api_services.issue_token(world["bpjs"], "Aplikasi cabang")
    assert token.startswith("jrg_") and token not in row.token_digest
    assert not ApiToken.objects.filter(token_digest=token).exists()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert look_up(api, nik_of(RUSNI)).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    api_services.forget_token()  # a checked token is remembered a few seconds (see below)
    expired = look_up(api, nik_of(RUSNI))
    assert expired.status_code == 401 and expired.json()["code"] == "not_authenticated"
    ApiToken.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    api_services.revoke_token(row)
    assert look_up(api, nik_of(RUSNI)).status_code == 401
    tampered = Client(HTTP_AUTHORIZATION=f"Bearer {token[:-1]}x")
    assert tampered.get("/api/v1/regions/").status_code == 401


def test_tokens_are_created_from_a_session_only(world, client):
    client.force_login(world["bpjs"])
    created = client.post(
        "/api/v1/tokens/",
        json.dumps({"name": "SIPP cabang", "days": 30}),
        content_type="application/json",
    )
    assert created.status_code == 201
    token = created.json()["token"]
    with_token = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    again = with_token.post(
        "/api/v1/tokens/", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert again.status_code == 401  # a leaked token cannot mint more tokens
    listed = with_token.get("/api/v1/tokens/").json()
    assert [t["name"] for t in listed] == ["SIPP cabang"] and "token" not in listed[0]
    assert with_token.delete(f"/api/v1/tokens/{listed[0]['id']}").status_code == 204
    assert with_token.get("/api/v1/tokens/").status_code == 401


def test_coverage_by_nik_answers_for_the_officers_region_only(world):
    api = bearer(world["bpjs"])
    covered = look_up(api, nik_of(RUSNI)).json()
    today = timezone.localdate()
    assert covered == {
        "nik": "1403**********0001",
        "covered": True,
        "programs": ["JKK", "JKM"],
        "covered_until": f"{today.year}-12-31",
        "kpj": "0001",
    }
    # A worker who died before today is not protected, whatever the enrolment says.
    Worker.objects.filter(full_name="Bahtiar").update(
        status="deceased", date_of_death=today - datetime.timedelta(days=1)
    )
    assert look_up(api, nik_of(BAHTIAR)).json() == {
        "nik": "1403**********0002",
        "covered": False,
        "programs": [],
        "covered_until": None,
        "kpj": "",
    }
    foreign = look_up(bearer(world["siak"]), nik_of(RUSNI))
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    assert look_up(api, "123").status_code == 404
    looked_up = PersonalDataAccess.objects.filter(user=world["bpjs"], object_type="coverage")
    assert looked_up.count() == 2  # every look-up of a well-formed NIK is logged
    assert PersonalDataAccess.objects.filter(user=world["siak"], object_id="").exists()
    assert api.get(f"/api/v1/coverage/{nik_of(RUSNI)}").status_code == 404  # never in a URL
    in_url = api.get("/api/v1/workers/", {"q": nik_of(RUSNI)})
    assert in_url.status_code == 400 and in_url.json()["code"] == "nik_in_url"
    found = api.post(
        "/api/v1/workers/search",
        json.dumps({"nik": nik_of(RUSNI)}),
        content_type="application/json",
    )
    assert [w["name"] for w in found.json()["items"]] == ["Rusni"]
    assert "no-store" in look_up(api, nik_of(RUSNI))["Cache-Control"]


def test_errors_have_one_shape_in_the_asked_language(world):
    api = bearer(world["operator"])
    payload = {
        "nik": "1403014101850001",
        "full_name": "",
        "sex": "X",
        "birth_date": "kemarin",
        "village": "14.03.01.2007",
    }
    invalid = api.post("/api/v1/workers/", json.dumps(payload), content_type="application/json")
    body = invalid.json()
    assert invalid.status_code == 422 and set(body) == {"code", "message", "details"}
    assert body["code"] == "validation_error" and body["message"].startswith("Permintaan")
    fields = {tuple(d["loc"])[-1] for d in body["details"]}
    assert {"sex", "birth_date", "full_name"} <= fields
    english = api.get("/api/v1/claims/999999", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").json()
    assert english == {
        "code": "not_found",
        "message": "Not found, or outside your region.",
        "details": None,
    }
    forbidden = bearer(world["finance"]).post(
        "/api/v1/workers/",
        json.dumps(payload | {"full_name": "A", "sex": "P", "birth_date": "1985-01-01"}),
        content_type="application/json",
    )
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"


def test_workers_are_created_checked_and_masked_by_role(world):
    api = bearer(world["operator"])
    new = {
        "nik": "1403014507900004",
        "full_name": "Siti Rahmah",
        "sex": "P",
        "birth_date": "1990-07-05",
        "village": "14.03.01.2007",
        "occupation": "nelayan",
    }
    created = api.post("/api/v1/workers/", json.dumps(new), content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Siti Rahmah" and created.json()["nik"] == "1403**********0004"
    duplicate = api.post("/api/v1/workers/", json.dumps(new), content_type="application/json")
    assert duplicate.status_code == 409 and duplicate.json()["details"] == [
        "NIK ini sudah terdaftar."
    ]
    assert duplicate.json()["code"] == "nik_registered"  # the service's code, not the class's
    english = api.post(
        "/api/v1/workers/",
        json.dumps(new),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert english["code"] == "nik_registered"
    assert english["message"] == "This NIK is already registered."
    wrong_sex = api.post(
        "/api/v1/workers/",
        json.dumps(new | {"nik": "1403014507900005", "sex": "L"}),
        content_type="application/json",
    )
    assert wrong_sex.status_code == 409 and "Jenis kelamin" in wrong_sex.json()["details"][0]
    worker_id = created.json()["id"]
    patched = api.patch(
        f"/api/v1/workers/{worker_id}",
        json.dumps({"desil": 2, "reason": "musdes"}),
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert Worker.objects.get(pk=worker_id).desil == 2
    masked = bearer(world["finance"]).get("/api/v1/workers/?page=1").json()
    assert masked["count"] == 4
    assert {w["name"] for w in masked["items"]} >= {"S*** R*****"}
    assert all(w["birth_date"] is None for w in masked["items"])


def test_a_claim_goes_through_the_api_with_two_people(world, make_user):
    officer = bearer(world["officer"])
    worker = Worker.objects.get(full_name="Rusni")
    report = {
        "worker_id": worker.pk,
        "program": "JKM",
        "event": "death",
        "event_date": "2025-08-10",
        "reported_by": "family",
    }
    created = officer.post("/api/v1/claims/", json.dumps(report), content_type="application/json")
    assert created.status_code == 201
    claim = created.json()
    assert (claim["eligible"], claim["benefit_total"], claim["reason_code"]) == (
        True,
        42_000_000,
        "covered",
    )
    heir = officer.post(
        f"/api/v1/claims/{claim['id']}/family",
        json.dumps({"full_name": "Zulkifli", "relationship": "spouse"}),
        content_type="application/json",
    )
    assert heir.status_code == 201 and heir.json()["is_heir"] is True
    early = officer.post(
        f"/api/v1/claims/{claim['id']}/transitions",
        json.dumps({"action": "submit"}),
        content_type="application/json",
    )
    assert early.status_code == 409 and any("Dokumen" in d for d in early.json()["details"])
    approve = bearer(world["finance"]).post(
        f"/api/v1/claims/{claim['id']}/transitions",
        json.dumps({"action": "approve"}),
        content_type="application/json",
    )
    assert approve.status_code == 403
    assert Claim.objects.get(pk=claim["id"]).status == "reported"


def test_rules_and_the_summary(world, run_queued_tasks):
    api = bearer(world["finance"])
    case = {"kind": "contribution", "month": "2025-01", "declared_income": 1_000_000}
    result = api.post("/api/v1/rules/evaluate", json.dumps(case), content_type="application/json")
    assert result.status_code == 200 and result.json()["total"] == 16_800
    run_queued_tasks()  # the refresh every writer queued: counted already, no recount by hand
    fresh = {
        "workers": 3,
        "covered": 3,
        "covered_on": timezone.localdate().isoformat(),  # the refresh counts as of today
        "claims_reported": 0,
        "claims_paid": 0,
        "benefits_paid": 0,
    }
    assert api.get("/api/v1/reports/summary").json() == fresh
    refresh_regency(BENGKALIS)
    assert api.get("/api/v1/reports/summary").json() == fresh


def test_a_value_the_database_cannot_store_is_the_clients_error(world):
    api = bearer(world["operator"])
    assert api.get("/api/v1/workers/", {"district": "14.03\x0001"}).status_code == 400
    assert api.get("/publik/14.03%00/").status_code == 400
    body = {
        "nik": "1403014507900004",
        "full_name": "Siti\u0000",
        "sex": "P",
        "birth_date": "1990-07-05",
        "village": "14.03.01.2007",
    }
    created = api.post("/api/v1/workers/", json.dumps(body), content_type="application/json")
    if connection.vendor == "postgresql":  # PostgreSQL cannot hold a NUL byte in text
        # the same client error as a NUL byte in the path or the query (middleware)
        assert created.status_code == 400 and created.json()["code"] == "text_contains_nul"
    else:  # SQLite can
        assert created.status_code == 201


LOGGED = ("user_id", "action", "object_type", "object_id", "region_code", "reason", "detail")


def _last_log() -> int:
    last = PersonalDataAccess.objects.order_by("pk").last()
    return last.pk if last else 0


def _logged_after(pk: int) -> list[tuple]:
    rows = PersonalDataAccess.objects.filter(pk__gt=pk).order_by("pk")
    return [tuple(getattr(row, field) for field in LOGGED) for row in rows]


@pytest.mark.parametrize("read", ["record", "list", "nik_search"])
def test_the_same_read_logs_the_same_event_on_the_screen_and_in_the_api(world, client, read):
    operator = world["operator"]
    rusni = Worker.objects.get(full_name="Rusni")
    web_url, api_url = {
        "record": (reverse("registry:worker", args=[rusni.pk]), f"/api/v1/workers/{rusni.pk}"),
        "list": (reverse("registry:workers"), "/api/v1/workers/"),
        "nik_search": (reverse("registry:workers"), "/api/v1/workers/search"),
    }[read]
    client.force_login(operator)
    start = _last_log()
    if read == "nik_search":  # both post the NIK (never in a URL)
        assert client.post(web_url, {"q": nik_of(RUSNI)}).status_code == 200
    else:
        assert client.get(web_url).status_code == 200
    web, middle = _logged_after(start), _last_log()
    api = bearer(operator)
    answer = (
        api.post(api_url, json.dumps({"nik": nik_of(RUSNI)}), content_type="application/json")
        if read == "nik_search"
        else api.get(api_url)
    )
    assert answer.status_code == 200
    assert len(web) == 1 and _logged_after(middle) == web


# --- The coverage look-up in front of Django (jaring.api.coverage.CoverageFront) ----------------


@pytest.fixture
def wsgi(settings):
    """Requests through jaring.wsgi (the front, then Django), like gunicorn makes them; like
    Django's test client, the handlers keep the test's database connection open."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.ALLOWED_HOSTS = ["testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(app, token=None, body=None, **environ):
    """POST /api/v1/coverage to a WSGI application: (status, headers, JSON body)."""
    import io

    content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    request = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/coverage",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "10.1.2.3",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(content)),
        "wsgi.input": io.BytesIO(content),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if token:
        request["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    request.update(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    result = app(request, start_response)
    content = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    is_json = started["headers"].get("Content-Type", "").startswith("application/json")
    return started["status"], started["headers"], json.loads(content) if is_json else content


def test_the_front_answers_as_django_does(world, wsgi):
    from jaring.wsgi import application, django_application

    _row, token = api_services.issue_token(world["bpjs"], "cabang")
    _row, foreign = api_services.issue_token(world["siak"], "cabang")
    rusni = Worker.objects.get(full_name="Rusni")
    logged = PersonalDataAccess.objects.filter(object_type="coverage")
    cases = [
        (token, {"nik": nik_of(RUSNI)}, {}, 200),
        (token, {"nik": nik_of(RUSNI), "extra": 1}, {"HTTP_ACCEPT_LANGUAGE": "en"}, 200),
        (foreign, {"nik": nik_of(RUSNI)}, {}, 404),  # outside the token's regions
        (foreign, {"nik": nik_of(RUSNI)}, {"HTTP_ACCEPT_LANGUAGE": "en-US"}, 404),
        (token, {"nik": "123"}, {}, 404),  # malformed: not logged
    ]
    for token_used, body, extra, status in cases:
        before = logged.count()
        front = call(application, token_used, body, **extra)
        assert logged.count() == before + (0 if body["nik"] == "123" else 1)
        behind = call(django_application, token_used, body, **extra)
        assert front[0] == behind[0] == status and front[2] == behind[2]
        ignored = {"X-Request-ID", "Content-Length", "Vary"}
        assert {k: v for k, v in front[1].items() if k not in ignored} == {
            k: v for k, v in behind[1].items() if k not in ignored
        }
        assert len(front[1]["X-Request-ID"]) == 32
    row = logged.filter(user=world["bpjs"]).latest("pk")
    assert (row.action, row.object_id, row.region_code, str(row.ip_address)) == (
        "search_nik",
        str(rusni.pk),
        rusni.village_id,
        "10.1.2.3",
    )
    assert logged.filter(user=world["siak"], object_id="", region_code="").count() == 4
    # What the front does not answer reaches Django, which answers as it always did.
    for missing in (None, token[:-1] + "x"):  # no token, a wrong one: Django's own refusal
        refused = call(application, missing, {"nik": nik_of(RUSNI)})
        assert refused[0] in (401, 403) and refused[:1] == call(django_application, missing, {})[:1]
    assert call(application, token, b"{not json")[2]["code"] == "http_error"  # ninja's 400
    assert call(application, token, {"nik": 1403})[0] == 422
    assert call(application, token, {"nik": nik_of(RUSNI)}, HTTP_HOST="evil.example")[0] == 400
    finance = api_services.issue_token(world["finance"], "x")[1]
    other_role = call(application, finance, {"nik": "1"})
    assert (
        other_role[0] in (403, 404)
        and other_role[:3:2] == call(django_application, finance, {"nik": "1"})[:3:2]
    )


def test_the_front_records_the_metrics_django_records(world, wsgi):
    """Prometheus sees a look-up the front answered as one Django answered: same series, same
    counts (the dashboards and alerts count requests by method, status and view)."""
    from prometheus_client import REGISTRY

    from jaring.wsgi import application, django_application

    _row, token = api_services.issue_token(world["bpjs"], "cabang")

    def samples() -> dict:
        return {
            (metric.name, sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for metric in REGISTRY.collect()
            if metric.name.startswith("django_http_")
            for sample in metric.samples
            if not sample.name.endswith(("_created", "_sum")) and "le" not in sample.labels
        }

    def counted(app, nik) -> dict:
        before = samples()
        status = call(app, token, {"nik": nik})[0]
        after = samples()
        changed = {key: after[key] - before.get(key, 0) for key in after}
        return status, {key: delta for key, delta in changed.items() if delta}

    for nik in (nik_of(RUSNI), "1403010101900099"):  # found (200), not in scope (404)
        front_status, front = counted(application, nik)
        django_status, behind = counted(django_application, nik)
        assert front_status == django_status
        assert front == behind
        assert any(
            key[1] == "django_http_responses_total_by_status_view_method_total"
            and ("status", str(front_status)) in key[2]
            for key in front
        )


def test_the_front_keeps_the_throttle(world, wsgi, monkeypatch):
    from django.core.cache import cache

    from jaring.api.api import api
    from jaring.wsgi import application

    cache.clear()
    [throttle] = api.throttle  # JARING_API_RATE (on in tests): two a minute for this test
    monkeypatch.setattr(throttle, "num_requests", 2)
    monkeypatch.setattr(throttle, "duration", 60)
    _row, token = api_services.issue_token(world["bpjs"], "cabang")
    answers = [call(application, token, {"nik": nik_of(RUSNI)}) for _ in range(3)]
    assert [status for status, _h, _b in answers] == [200, 200, 429]
    assert answers[2][2]["code"] == "throttled"
    # The same count on Django's path (a session or an API client of another operation).
    assert bearer_of(token).get("/api/v1/tokens/").status_code == 429
    cache.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements prepared on the server")
def test_the_look_up_is_prepared_once_per_connection_and_reused(world, wsgi):
    """Django opens connections with psycopg's prepared statements off, which made
    ``prepare=True`` a no-op: the look-up was parsed and planned on every request."""
    from jaring.wsgi import application

    _row, token = api_services.issue_token(world["bpjs"], "cabang")
    niks = [nik_of(RUSNI), nik_of(BAHTIAR), "1403000000000000"]  # found, found, not found
    assert [call(application, token, {"nik": nik})[0] for nik in niks] == [200, 200, 404]
    assert prepared_look_ups() == [3]  # one statement on the server, executed three times
    assert PersonalDataAccess.objects.filter(object_type="coverage").count() == 3


def prepared_look_ups() -> list[int]:
    """How often each coverage look-up prepared on this connection was executed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ['%INSERT INTO "accounts_personaldataaccess"%'],
        )
        return [executed for (executed,) in cursor.fetchall()]


def bearer_of(token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_checked_token_is_remembered_a_few_seconds_only(world, settings, monkeypatch):
    settings.JARING_API_TOKEN_CACHE_SECONDS = 5
    row, token = api_services.issue_token(world["bpjs"], "cabang")
    api = bearer_of(token)
    assert look_up(api, nik_of(RUSNI)).status_code == 200
    # Revoked by another process: this one still remembers the token, for 5 seconds at most.
    ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    assert look_up(api, nik_of(RUSNI)).status_code == 200
    later = api_services.time.monotonic() + 5.1
    monkeypatch.setattr(api_services.time, "monotonic", lambda: later)
    assert look_up(api, nik_of(RUSNI)).status_code == 401
    # Revoked here: forgotten at once. Expiry is checked at every use.
    row, token = api_services.issue_token(world["bpjs"], "cabang")
    api = bearer_of(token)
    assert look_up(api, nik_of(RUSNI)).status_code == 200
    api_services.revoke_token(row)
    assert look_up(api, nik_of(RUSNI)).status_code == 401
    settings.JARING_API_TOKEN_CACHE_SECONDS = 0  # no memory: every request asks the database
    row, token = api_services.issue_token(world["bpjs"], "cabang")
    api = bearer_of(token)
    assert look_up(api, nik_of(RUSNI)).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    assert look_up(api, nik_of(RUSNI)).status_code == 401
