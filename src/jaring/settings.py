"""Settings, read from the environment.

Production defaults are the safe ones: DEBUG off, secure cookies, explicit allowed hosts and a
secret key that must be given. The demo (``make demo``) turns DEBUG on and keeps its data in
``var/`` with an SQLite database.
"""

import base64
import datetime
import ipaddress
import os
import secrets
from importlib.metadata import version as package_version
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from jaring.core.observability import init_error_reporting, logging_config

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("JARING_VAR_DIR", Path.cwd() / "var")).resolve()


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def demo_key(name: str, make=lambda: secrets.token_urlsafe(50)) -> str:
    """A per-installation key kept in var/, so a DEBUG demo needs no configuration."""
    key_file = VAR_DIR / name
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(make())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def required_key(env_name: str, demo_file: str, make=lambda: secrets.token_urlsafe(50)) -> str:
    value = os.environ.get(env_name) or (demo_key(demo_file, make) if DEBUG else "")
    if not value:
        raise ImproperlyConfigured(f"{env_name} must be set when JARING_DEBUG is off.")
    return value


def _aes_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


DEBUG = env_flag("JARING_DEBUG")
SECRET_KEY = required_key("JARING_SECRET_KEY", "secret_key")
# NIK protection: AES-256-GCM encryption at rest and an HMAC blind index for exact look-ups.
# Both are 32 random bytes, base64url; losing them makes every stored NIK unreadable.
NIK_ENCRYPTION_KEY = required_key("JARING_NIK_ENCRYPTION_KEY", "nik_encryption_key", _aes_key)
NIK_INDEX_KEY = required_key("JARING_NIK_INDEX_KEY", "nik_index_key", _aes_key)
# Key rotation: ciphertexts carry the id of the key that sealed them. A new key gets a new id
# (1–255); the keys being rotated out stay readable as JARING_NIK_OLD_KEYS="1:<key>,2:<key>"
# until `jaring rotate_nik_keys` has moved every ciphertext (docs/DEPLOY.md "Key rotation").
NIK_KEY_ID = int(os.environ.get("JARING_NIK_KEY_ID", "1"))
if not 1 <= NIK_KEY_ID <= 255:
    raise ImproperlyConfigured("JARING_NIK_KEY_ID must be between 1 and 255.")
NIK_OLD_ENCRYPTION_KEYS = {
    int(item.split(":", 1)[0]): item.split(":", 1)[1] for item in env_list("JARING_NIK_OLD_KEYS")
}

# Federation (docs/SCALE.md): this instance's name at the national hub and the NATIONAL index
# key every federated instance shares (HMAC of enrolled NIKs, so the hub can see one person paid
# for by two instances). Both empty: the instance is not federated.
INSTANCE_NAME = os.environ.get("JARING_INSTANCE_NAME", "")
NATIONAL_INDEX_KEY = os.environ.get("JARING_NATIONAL_INDEX_KEY", "")

ALLOWED_HOSTS = env_list("JARING_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("JARING_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    # Jaring's apps, lowest layer first: an app imports only apps above it in this list
    # (tests/test_architecture.py); a lower app announces changes through core.events.
    "jaring.core",
    "jaring.accounts",
    "jaring.regions",
    "jaring.programs",
    "jaring.reference",
    "jaring.registry",
    "jaring.enrolment",
    "jaring.finance",
    "jaring.claims",
    "jaring.reports",
    "jaring.federation",
    "ninja",  # serves its Swagger UI files locally (otherwise it links a CDN)
    "jaring.api",
    "jaring.ops",
    "jaring.demo",
    "axes",
    "django_tasks_db",
]

TASKS = {
    "default": {
        "BACKEND": os.environ.get("JARING_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

MIDDLEWARE = [
    "jaring.core.observability.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "jaring.core.middleware.RefuseNulBytesMiddleware",
    "jaring.core.middleware.NoStorePersonalDataMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jaring.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Login throttling (django-axes): five wrong passwords for one user name from one address lock
# that pair for 15 minutes; the attempt log is in the admin.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("JARING_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

# Content Security Policy: only our own files run; no inline scripts, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "jaring.urls"
WSGI_APPLICATION = "jaring.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jaring.accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jaring.sqlite3'}"),
        conn_max_age=int(os.environ.get("JARING_DB_CONN_MAX_AGE", "60")),
        # A reused connection the server dropped (restart, failover, a killed backend) is
        # tested before a request or a worker round uses it, and replaced, instead of a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import writes; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Django opens psycopg connections with prepared statements off (``prepare_threshold``
    # None, for poolers in transaction mode, which Jaring's deployment has not: docs/DEPLOY.md),
    # and psycopg then ignores ``prepare=True``: the coverage look-up was parsed and planned on
    # every request (≈ 2 ms of the database's time, measured). On, with a threshold psycopg never
    # reaches by itself: only a statement run with ``prepare=True`` is prepared (Django's own
    # cursors bind on the client and never prepare).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
# A streaming read replica (a hot standby of the default database): the dashboards read their
# summary tables there (jaring.core.db_router), never anything else, never a write. Same options
# as the default; a short connect timeout so an unreachable standby costs a page little before
# the router falls back to the primary. A test run mirrors it on the test database.
if REPLICA_URL := os.environ.get("JARING_REPLICA_URL", ""):
    _replica = dj_database_url.parse(
        REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True
    )
    _timeout = {"connect_timeout": 2} if _replica["ENGINE"].endswith("postgresql") else {}
    DATABASES["replica"] = {
        **DATABASES["default"],
        **_replica,
        "OPTIONS": _timeout | DATABASES["default"].get("OPTIONS", {}) | _replica.get("OPTIONS", {}),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["jaring.core.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# PBKDF2 at OWASP's iteration count, not Django's 1,5 million: see accounts/hashers.py.
PASSWORD_HASHERS = ["jaring.accounts.hashers.Pbkdf2Owasp"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# One style per kind of date (a day, a moment) and Indonesian digit grouping: core/formats.
FORMAT_MODULE_PATH = ["jaring.core.formats"]
TIME_ZONE = os.environ.get("JARING_TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("JARING_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("JARING_MEDIA_ROOT", VAR_DIR / "media"))
# Production serves collected, hashed files; the demo and the tests serve straight from the
# package (no collectstatic step), still through WhiteNoise.
STATIC_MANIFEST = env_flag("JARING_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG

# Import progress, job leases, the worker heartbeat, key-rotation checkpoints and API throttles
# are shared between web and worker: a file cache by default, Redis (JARING_REDIS_URL) when
# there is one. Two instances may share one Redis (a province hosting its kabupaten): every key
# carries the instance's prefix, by default its database's name, so one instance never reads
# another's lease or heartbeat.
CACHE_KEY_PREFIX = os.environ.get("JARING_CACHE_PREFIX") or (
    f"jaring:{Path(str(DATABASES['default']['NAME'])).name}"
)
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["JARING_REDIS_URL"],
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
        if os.environ.get("JARING_REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    )
}
# The day the dashboards count "protected now" on; empty means today. The demo pins it to the
# seed's day (its money and claims are 2025's).
JARING_REPORT_DATE = os.environ.get("JARING_REPORT_DATE", "")

# API throttling per authenticated user (django-ninja; counted in the cache above). Empty
# switches it off, e.g. behind a gateway that already limits clients.
JARING_API_RATE = os.environ.get("JARING_API_RATE", "50/s")
# Seconds a web process remembers a checked API token (its user and roles): the bound on how
# long a revocation made in another process, a deactivated user or a changed role takes to
# apply to a token already in use. 0: every request checks the database.
JARING_API_TOKEN_CACHE_SECONDS = float(os.environ.get("JARING_API_TOKEN_CACHE_SECONDS", "5"))

# How long billing waits to attach a new month's invoice lines as a partition (PostgreSQL
# syntax, e.g. "5s"). Attaching locks the DEFAULT partition exclusively; a long report reading
# it would make the attach wait, and every reader behind the attach with it. Past this wait the
# lines go into the table the ordinary way (its DEFAULT partition; `jaring partitions` moves
# them into their month's partition later).
JARING_PARTITION_LOCK_TIMEOUT = os.environ.get("JARING_PARTITION_LOCK_TIMEOUT", "5s")

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Sessions end with the browser and after an idle hour: shared office computers are common.
SESSION_COOKIE_AGE = int(os.environ.get("JARING_SESSION_SECONDS", "3600"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SECURE_TLS = env_flag("JARING_TLS", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_SSL_REDIRECT = env_flag("JARING_SSL_REDIRECT", default=False)
# Behind nginx (the production install): trust its X-Forwarded-Proto, so Django knows the
# request came over HTTPS (secure cookies, CSRF origin checks). Only ever behind a proxy that
# overwrites the header, as deploy/nginx/jaring.conf does.
if env_flag("JARING_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if SECURE_TLS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Logs: one JSON object per line on stderr (journald keeps them under systemd), each with the
# request id; anything that looks like a NIK is masked. JARING_LOG_FORMAT=text for humans.
JARING_ACCESS_LOG = env_flag("JARING_ACCESS_LOG", default=not DEBUG)
LOGGING = logging_config(
    json_logs=os.environ.get("JARING_LOG_FORMAT", "text" if DEBUG else "json") == "json",
    level=os.environ.get("JARING_LOG_LEVEL", "INFO"),
)

# Retention of personal data kept as files or raw rows (sealed at rest, core.sealed): an import's
# kept list, rejects workbook and raw rejected rows, a replied BPJS submission workbook are deleted
# by `jaring purge_personal_files` this many days after the import finished / the reply came.
JARING_PERSONAL_DATA_RETENTION_DAYS = int(
    os.environ.get("JARING_PERSONAL_DATA_RETENTION_DAYS", "90")
)

# Operations (jaring.ops): readiness thresholds, metrics, error reporting.
# /readyz fails when no worker has reported for this long, or a task has waited this long.
JARING_WORKER_STALE_SECONDS = int(os.environ.get("JARING_WORKER_STALE_SECONDS", "60"))
JARING_QUEUE_MAX_AGE = int(os.environ.get("JARING_QUEUE_MAX_AGE", "900"))
# Long jobs (core.jobs): a running import or task renews a lease this long; one whose lease has
# expired was killed and is marked failed. The worker stops any task after its time limit.
JARING_JOB_LEASE_SECONDS = float(os.environ.get("JARING_JOB_LEASE_SECONDS", "60"))
JARING_TASK_TIME_LIMIT = float(os.environ.get("JARING_TASK_TIME_LIMIT", "1800"))
# /metrics answers only these networks (the caller's address as nginx saw it, X-Real-IP, when
# the request came from a trusted proxy); elsewhere it is a 404.
JARING_METRICS_ALLOW = [
    ipaddress.ip_network(net, strict=False)
    for net in env_list("JARING_METRICS_ALLOW", "127.0.0.1/32,::1/128")
]
JARING_TRUSTED_PROXIES = set(env_list("JARING_TRUSTED_PROXIES", "127.0.0.1,::1"))
# Parent of the per-unit PROMETHEUS_MULTIPROC_DIR folders (production); empty: one process.
JARING_METRICS_DIR = os.environ.get("JARING_METRICS_DIR", "")
# Backups: where `jaring backup` writes, and the age public keys it encrypts to.
JARING_BACKUP_DIR = Path(os.environ.get("JARING_BACKUP_DIR", VAR_DIR / "backups"))
JARING_BACKUP_RECIPIENTS = os.environ.get("JARING_BACKUP_RECIPIENTS", "")
# Rotation: the newest backup of each of the last 7 days, 4 weeks and 12 months.
JARING_BACKUP_KEEP = os.environ.get("JARING_BACKUP_KEEP", "7d,4w,12m")

# Error reports to Sentry or a self-hosted GlitchTip, only when a DSN is given; no personal data.
JARING_SENTRY_DSN = os.environ.get("JARING_SENTRY_DSN", "")
init_error_reporting(
    JARING_SENTRY_DSN,
    environment=os.environ.get("JARING_ENVIRONMENT", "production"),
    release=f"jaring@{package_version('jaring')}",
    traces=float(os.environ.get("JARING_SENTRY_TRACES", "0")),
)
