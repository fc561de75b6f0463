"""Request ids, structured logs without personal data, optional error reporting.

Every request gets an id (taken from nginx's ``X-Request-ID`` when it looks like one, otherwise
made here); it is echoed in the response header, attached to every log record written while the
request runs, and to error reports. Log records are JSON lines (python-json-logger) so journald,
Loki or any collector can index them; a filter masks anything that looks like a NIK (16 digits)
in the message and the arguments before a handler sees it — a NIK look-up travels in a POST
body, but a client may still put one in a URL, and it must not reach a log file.
"""

import contextvars
import logging
import re
import time
import uuid

from django.conf import settings

from jaring.core.masking import mask_personal

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_logger = logging.getLogger("jaring.request")


class RequestIdMiddleware:
    """Outermost: names the request, logs one line for it (method, masked path, status, time)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_of(request.headers.get("X-Request-ID", ""))
        token = request_id_var.set(request_id)
        request.request_id = request_id
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            log_request(
                request_id,
                request.method,
                request.path,
                response.status_code,
                started,
                user.pk if user is not None and user.is_authenticated else None,
            )
            return response
        finally:
            request_id_var.reset(token)


def request_id_of(given: str) -> str:
    """The request's id: nginx's ``X-Request-ID`` when it looks like one, else a new one."""
    return given if _VALID_ID.match(given) else uuid.uuid4().hex


def log_request(request_id, method, path, status, started, user_id) -> None:
    """The one log line of a request (``JARING_ACCESS_LOG``), its path masked."""
    if not settings.JARING_ACCESS_LOG:
        return
    token = request_id_var.set(request_id)
    try:
        access_logger.info(
            "request",
            extra={
                "method": method,
                "path": mask_personal(path),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user_id,  # the numeric id only: user names can be personal data
            },
        )
    finally:
        request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class PersonalDataFilter(logging.Filter):
    """Masks digit runs that could be NIKs in the rendered message (arguments included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = mask_personal(record.exc_text)
        for name in ("path",):
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, mask_personal(value))
        return True


def logging_config(json_logs: bool, level: str) -> dict:
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
        if json_logs
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "jaring.core.observability.RequestIdFilter"},
            "personal_data": {"()": "jaring.core.observability.PersonalDataFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id", "personal_data"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own request/server loggers would repeat our access line (with raw paths).
            "django.server": {"handlers": [], "propagate": False},
            "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        },
    }


def _scrub_event(event: dict, hint: dict) -> dict:
    """Error reports carry no personal data: mask digit runs everywhere, drop request bodies."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("query_string", None)
        if "url" in request:
            request["url"] = mask_personal(request["url"])
    for exception in (event.get("exception") or {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = mask_personal(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)  # local variables may hold a decrypted NIK
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = mask_personal(crumb["message"])
    event.setdefault("tags", {})["request_id"] = request_id_var.get()
    return event


def init_error_reporting(dsn: str, environment: str, release: str, traces: float) -> bool:
    """Sentry-compatible error reporting (Sentry or a self-hosted GlitchTip) when a DSN is set."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment,
        release=release,
        # No personal data: sentry-sdk's default sends no user, cookies or headers with PII;
        # _scrub_event removes the rest (request bodies, locals, NIK-like numbers).
        include_local_variables=False,
        traces_sample_rate=traces,
        before_send=_scrub_event,
    )
    return True
