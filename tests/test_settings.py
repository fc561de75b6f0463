import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


def test_tests_run_on_the_database_ci_asked_for():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


PRODUCTION_KEYS = {
    "JARING_SECRET_KEY": "k" * 50,
    "JARING_NIK_ENCRYPTION_KEY": "dGVzdC1vbmx5LW5pay1lbmNyeXB0aW9uLWtleS0zMmI=",
    "JARING_NIK_INDEX_KEY": "dGVzdC1vbmx5LW5pay1ibGluZC1pbmRleC1rZXktMzI=",
}


def _settings_in_subprocess(env_overrides, expression):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", f"import jaring.settings as s; print({expression})"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _settings_in_subprocess({"JARING_VAR_DIR": str(tmp_path)}, "s.DEBUG")
    assert result.returncode != 0
    assert "JARING_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_nik_keys(tmp_path):
    keys = dict(PRODUCTION_KEYS)
    del keys["JARING_NIK_INDEX_KEY"]
    result = _settings_in_subprocess(keys | {"JARING_VAR_DIR": str(tmp_path)}, "s.DEBUG")
    assert result.returncode != 0
    assert "JARING_NIK_INDEX_KEY must be set" in result.stderr


def test_production_defaults_are_safe(tmp_path):
    result = _settings_in_subprocess(
        PRODUCTION_KEYS | {"JARING_VAR_DIR": str(tmp_path)},
        "(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.ALLOWED_HOSTS,"
        " s.SECURE_HSTS_SECONDS)",
    )
    assert result.stdout.strip() == "(False, True, True, [], 31536000)"


def test_demo_mode_generates_and_keeps_its_own_key(tmp_path):
    env = {"JARING_DEBUG": "1", "JARING_VAR_DIR": str(tmp_path)}
    first = _settings_in_subprocess(env, "s.SECRET_KEY")
    second = _settings_in_subprocess(env, "s.SECRET_KEY")
    assert first.returncode == 0 and first.stdout == second.stdout and len(first.stdout) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_indonesian_is_the_default_language():
    assert settings.LANGUAGE_CODE == "id"
    assert [code for code, _ in settings.LANGUAGES] == ["id", "en"]


def test_console_script_wraps_management_commands():
    result = subprocess.run(
        [sys.executable, "-m", "jaring", "help", "load_regions"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and "Kemendagri" in result.stdout


def test_production_static_files_collect_with_hashed_names(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    env |= PRODUCTION_KEYS | {"JARING_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "jaring", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert '"jaring/jaring.css": "jaring/jaring.' in manifest


def test_every_interface_string_has_an_indonesian_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    import jaring

    po = Path(jaring.__file__).parent / "locale" / "id" / "LC_MESSAGES" / "django.po"
    catalog = read_po(po.open("rb"), locale="id")
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and (
            not any(message.string if isinstance(message.string, tuple) else [message.string])
            or "fuzzy" in message.flags
        )
    ]
    assert untranslated == []


def _cache_in_subprocess(database_url, code, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    env |= PRODUCTION_KEYS | {
        "JARING_VAR_DIR": str(tmp_path),
        "JARING_REDIS_URL": "redis://127.0.0.1:6379/15",
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "jaring.settings",
    }
    script = "import django; django.setup(); from django.core.cache import cache; " + code
    return subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_two_instances_sharing_one_redis_never_read_each_others_keys(tmp_path):
    bengkalis = "postgres://jaring@127.0.0.1:5432/jaring_bengkalis"
    siak = "postgres://jaring@127.0.0.1:5432/jaring_siak"
    _cache_in_subprocess(bengkalis, "cache.set('job-lease:import-7', 'bengkalis', 60)", tmp_path)
    try:
        seen_by_siak = _cache_in_subprocess(
            siak, "print(cache.get('job-lease:import-7'))", tmp_path
        )
        seen_by_bengkalis = _cache_in_subprocess(
            bengkalis, "print(cache.get('job-lease:import-7'))", tmp_path
        )
    finally:
        _cache_in_subprocess(bengkalis, "cache.delete('job-lease:import-7')", tmp_path)
    assert (seen_by_siak, seen_by_bengkalis) == ("None", "bengkalis")


SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql"}}


def test_an_sqlite_without_full_join_is_refused_at_start():
    from django.core.checks.registry import registry

    from jaring.core.checks import sqlite_errors, sqlite_is_recent_enough

    [error] = sqlite_errors(SQLITE, (3, 37, 2))
    assert error.id == "jaring.E001" and "3.37.2" in error.msg and "3.39" in error.msg
    assert sqlite_errors(SQLITE, (3, 39, 0)) == []
    assert sqlite_errors(POSTGRES, (3, 37, 2)) == []  # PostgreSQL: SQLite's version is moot
    # Registered, and this machine's SQLite passes it.
    assert sqlite_is_recent_enough in registry.get_checks()
    assert sqlite_is_recent_enough(None) == []
