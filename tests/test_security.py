"""The security model beyond scoping: second factor, login lock, CSP, the auditors' log."""

import io
import re
from pathlib import Path

import openpyxl
import pyotp
import pytest
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess, User
from jaring.accounts.rules import RoleCode
from jaring.accounts.services import log_personal_access
from tests.conftest import BENGKALIS, PASSWORD, SIAK

TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "jaring" / "templates"


def test_a_finance_officer_switches_on_a_second_factor_and_needs_it_to_log_in(make_user, client):
    officer = make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS)
    client.force_login(officer)
    page = client.get("/akun/dua-langkah/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    assert "<svg" in page.text  # the QR code, drawn without any script
    assert "Kode salah" in client.post("/akun/dua-langkah/", {"code": "000000"}).text
    used = pyotp.TOTP(secret).now()
    switched = client.post("/akun/dua-langkah/", {"code": used}, follow=True)
    assert "second-factor-on" in switched.text
    officer.refresh_from_db()
    assert officer.totp_enabled_at and secret.encode() not in bytes(officer.totp_cipher)

    client.logout()
    step_one = client.post("/akun/masuk/", {"username": "keuangan", "password": PASSWORD})
    assert step_one.status_code == 302 and step_one["Location"] == "/akun/masuk/kode/"
    assert "_auth_user_id" not in client.session
    replayed = client.post("/akun/masuk/kode/", {"code": used})  # the code that switched it on
    assert replayed.status_code == 200 and "_auth_user_id" not in client.session
    following = pyotp.TOTP(secret).at(timezone.now().timestamp() + 30)
    logged_in = client.post("/akun/masuk/kode/", {"code": following})
    assert logged_in.status_code == 302 and client.session["_auth_user_id"] == str(officer.pk)


def _with_second_factor(make_user):
    from jaring.accounts import totp

    officer = make_user("keuangan", RoleCode.FINANCE_OFFICER, BENGKALIS)
    secret = totp.new_secret()
    assert totp.enable(officer, secret, pyotp.TOTP(secret).at(timezone.now().timestamp() - 30))
    return officer, secret


def test_wrong_codes_count_towards_the_login_lockout(make_user, client, settings):
    from axes.models import AccessAttempt

    officer, secret = _with_second_factor(make_user)
    client.post("/akun/masuk/", {"username": "keuangan", "password": PASSWORD})
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        answer = client.post("/akun/masuk/kode/", {"code": "123456"})
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            assert answer.status_code == 200 and "Kode salah" in answer.text
    assert answer.status_code == 429 and 'id="locked"' in answer.text
    assert AccessAttempt.objects.get(username="keuangan").failures_since_start == 5
    assert client.get("/akun/masuk/kode/")["Location"] == "/akun/masuk/"  # the pending login ended
    # A new login does not give five more guesses: the password and the right code are refused.
    again = client.post("/akun/masuk/", {"username": "keuangan", "password": PASSWORD})
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert "jaring_pending_login" not in client.session
    client.post("/akun/masuk/kode/", {"code": pyotp.TOTP(secret).now()})
    assert "_auth_user_id" not in client.session


def test_a_right_code_after_wrong_ones_logs_in_and_clears_the_count(make_user, client):
    from axes.models import AccessAttempt

    officer, secret = _with_second_factor(make_user)
    client.post("/akun/masuk/", {"username": "keuangan", "password": PASSWORD})
    client.post("/akun/masuk/kode/", {"code": "123456"})
    assert AccessAttempt.objects.get(username="keuangan").failures_since_start == 1
    logged_in = client.post("/akun/masuk/kode/", {"code": pyotp.TOTP(secret).now()})
    assert logged_in.status_code == 302 and client.session["_auth_user_id"] == str(officer.pk)
    assert not AccessAttempt.objects.filter(username="keuangan").exists()


def test_switching_the_second_factor_off_needs_the_password_and_a_code(make_user, client):
    officer, secret = _with_second_factor(make_user)
    client.force_login(officer)
    page = client.get("/akun/dua-langkah/")
    assert 'id="disable-form"' in page.text and 'name="password"' in page.text
    code = pyotp.TOTP(secret).now()
    assert client.post("/akun/dua-langkah/", {"action": "disable"}).status_code == 200
    refused = client.post("/akun/dua-langkah/", {"password": "salah-sekali-123", "code": code})
    assert "Kata sandi atau kode salah" in refused.text
    refused = client.post("/akun/dua-langkah/", {"password": PASSWORD, "code": "000000"})
    assert "Kata sandi atau kode salah" in refused.text
    officer.refresh_from_db()
    assert officer.totp_enabled_at is not None
    off = client.post("/akun/dua-langkah/", {"password": PASSWORD, "code": code}, follow=True)
    officer.refresh_from_db()
    assert officer.totp_enabled_at is None and officer.totp_cipher is None
    assert 'id="enable-form"' in off.text


def test_guessing_codes_to_switch_the_second_factor_off_locks_too(make_user, client, settings):
    officer, secret = _with_second_factor(make_user)
    client.force_login(officer)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        answer = client.post("/akun/dua-langkah/", {"password": PASSWORD, "code": "000000"})
    assert answer.status_code == 429
    right = client.post(
        "/akun/dua-langkah/", {"password": PASSWORD, "code": pyotp.TOTP(secret).now()}
    )
    assert right.status_code == 429
    officer.refresh_from_db()
    assert officer.totp_enabled_at is not None


def test_only_money_and_admin_roles_are_offered_the_second_factor(make_user, client):
    client.force_login(make_user("operator", RoleCode.OPERATOR, BENGKALIS))
    assert client.get("/akun/dua-langkah/").status_code == 403


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get("/akun/masuk/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=", text):
            offenders.append(template.name)
    assert offenders == []


@pytest.fixture
def logged(make_user):
    operator = make_user("operator", RoleCode.OPERATOR, BENGKALIS)
    outsider = make_user("operator.siak", RoleCode.OPERATOR, SIAK)
    log_personal_access(operator, "view_record", "worker", 1, "14.03.01.2001", "cek klaim")
    log_personal_access(operator, "view_list", "worker_list")  # no single region
    log_personal_access(outsider, "export", "invoice", 2, "14.08.01.2001")
    return operator


def test_auditors_browse_and_export_their_regions_log(logged, make_user, client):
    client.force_login(make_user("auditor", RoleCode.AUDITOR, BENGKALIS))
    page = client.get("/akun/log-akses/")
    assert page.status_code == 200 and "cek klaim" in page.text and "invoice" not in page.text
    export = client.get("/akun/log-akses/", {"format": "xlsx", "action": "view_record"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Waktu", "Pengguna", "Tindakan") and len(rows) == 2
    assert rows[1][1] == "operator" and rows[1][6] == "cek klaim"
    assert PersonalDataAccess.objects.count() == 3
    client.force_login(User.objects.get(username="operator"))
    assert client.get("/akun/log-akses/").status_code == 403


def test_a_user_creates_sees_once_and_revokes_an_api_token(make_user, client):
    from jaring.api.models import ApiToken

    officer = make_user("bpjs", RoleCode.BPJS_OFFICER, BENGKALIS)
    client.force_login(officer)
    created = client.post("/akun/token-api/", {"name": "Sistem cabang Duri", "days": 30})
    token = re.search(r"<code>(jrg_[A-Za-z0-9_-]+)</code>", created.text).group(1)
    assert token not in client.get("/akun/token-api/").text  # shown once only
    row = ApiToken.objects.get(user=officer)
    assert row.name == "Sistem cabang Duri" and row.is_usable
    client.post("/akun/token-api/", {"revoke": row.pk})
    row.refresh_from_db()
    assert row.revoked_at is not None
    other = make_user("lain", RoleCode.BPJS_OFFICER, BENGKALIS)
    client.force_login(other)
    assert client.post("/akun/token-api/", {"revoke": row.pk}).status_code == 403
