"""The coverage look-up (``POST /api/v1/coverage``), the API's most-called operation.

:func:`answer` is the operation itself, used by the django-ninja view and by :class:`CoverageFront`.

:class:`CoverageFront` is a WSGI layer in front of Django (``jaring.wsgi``) that answers exactly
this operation for a bearer token without Django's request cycle (middleware, URL resolving,
ninja's parsing cost ~4 ms of CPU per look-up; the look-up itself ~0.5 ms). It keeps the
operation's guarantees: the same token check (``api.services.user_for_token_cached``: a token
revoked, expired or of a deactivated user is refused within ``JARING_API_TOKEN_CACHE_SECONDS``),
the same scope (``accounts.scoping``), the same throttle (the NinjaAPI's own throttles and their
cache), the same access-log row (``api.selectors.coverage_and_log``: look-up and log in one
statement on PostgreSQL), the same JSON and problem bodies, the response headers Django's
middleware would add, the request id and the request log line, and the Prometheus samples
django-prometheus' middleware would record (so the dashboards and alerts count every look-up).
Anything else — another path, a session, no or a failing token, a body that is not a small JSON
object with a string ``nik``, a host Django would refuse, a 403 or 429 — goes to Django
unchanged, which answers as before.
"""

from __future__ import annotations

import io
import json
import time

from django.conf import settings
from django.core import signals
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require
from jaring.api import selectors
from jaring.core.masking import mask_nik, nik_hint
from jaring.registry import rules as registry_rules

MAX_BODY = 1024  # {"nik": …} with a 32-character NIK at most: anything longer goes to Django


def answer(user, nik: str, ip_address: str | None) -> dict:
    """The coverage of ``nik`` today as the API shows it (masked NIK, last four KPJ digits).
    Raises PermissionDenied (403) without the capability, Http404 for a malformed NIK (never
    logged: it says nothing) or a NIK not found in the user's scope (logged)."""
    require(user, Capability.VIEW_REGISTRY)
    normalised, problem = registry_rules.normalise_nik(nik)
    if problem:
        raise Http404  # never say whether a malformed number exists
    found = selectors.coverage_and_log(user, normalised, timezone.localdate(), ip_address)
    if found is None:
        raise Http404
    return {
        "nik": mask_nik(nik_hint(normalised)),
        "covered": found.covered,
        "programs": list(found.programs),
        "covered_until": found.covered_until,
        "kpj": found.kpj_hint,
    }


class _Throttled:
    """What ninja's AuthRateThrottle reads from a request: who is authenticated."""

    __slots__ = ("auth", "META")

    def __init__(self, user, environ):
        self.auth = user
        self.META = environ


class CoverageFront:
    """WSGI: the coverage look-up by bearer token, in front of the Django application."""

    def __init__(self, application):
        self.application = application
        self._path = None
        self._view = None

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self.path:
            return self.application(environ, start_response)
        started = time.perf_counter()
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            answered = self._answer(environ)
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        if answered is None:
            signals.request_finished.send(sender=self.__class__)
            return self.application(environ, start_response)
        try:
            status, body, user = answered
            return self._respond(environ, start_response, status, body, user, started)
        finally:
            signals.request_finished.send(sender=self.__class__)

    @property
    def path(self) -> str:
        if self._path is None:
            from django.urls import reverse

            self._path = reverse("api:coverage")
        return self._path

    @property
    def view(self) -> str:
        """The view name Django's resolver gives the path (the metrics' ``view`` label)."""
        if self._view is None:
            from django.urls import resolve

            self._view = resolve(self.path).view_name
        return self._view

    def _answer(self, environ):
        """(status, body, user), or None: Django answers."""
        from jaring.api import errors, services

        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token or not self._host_allowed(environ):
            return None
        if settings.SECURE_SSL_REDIRECT and not self._secure(environ):
            return None
        nik = self._nik(environ)
        if nik is None:
            return None
        user = services.user_for_token_cached(token)
        if user is None or not self._throttle_allows(user, environ):
            return None  # Django answers 401 (or a session) and 429 as it always did
        language = errors.language_of(environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        try:
            return 200, answer(user, nik, environ.get("REMOTE_ADDR")), user
        except PermissionDenied:
            return 403, errors.error_body_in(language, "forbidden"), user
        except Http404:
            return 404, errors.error_body_in(language, "not_found"), user

    def _nik(self, environ) -> str | None:
        """The body's NIK, if the body is what the operation's schema accepts at a glance;
        the body is put back for Django either way."""
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip() != "application/json":
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= MAX_BODY:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            data = json.loads(body)
        except ValueError:
            return None
        nik = data.get("nik") if isinstance(data, dict) else None
        if not isinstance(nik, str) or len(nik) > 32:  # schemas.CoverageIn
            return None
        return nik

    @staticmethod
    def _host_allowed(environ) -> bool:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _port = split_domain_port(host)
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        return bool(domain) and validate_host(domain, allowed)

    @staticmethod
    def _secure(environ) -> bool:
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if proxy:
            header, value = proxy
            forwarded = environ.get(header)
            if forwarded is not None:
                return forwarded.split(",")[0].strip() == value
        return environ.get("wsgi.url_scheme") == "https"

    @staticmethod
    def _throttle_allows(user, environ) -> bool:
        from jaring.api.api import api

        # The very throttle objects ninja's operations check (NinjaAPI(throttle=…)): one count.
        throttles = api.throttle if isinstance(api.throttle, list | tuple) else [api.throttle]
        probe = _Throttled(user, environ)
        return all(throttle.allow_request(probe) for throttle in throttles if throttle)

    def _respond(self, environ, start_response, status, body, user, started):
        from django.core.serializers.json import DjangoJSONEncoder

        from jaring.core import observability

        content = json.dumps(body, cls=DjangoJSONEncoder).encode()
        request_id = observability.request_id_of(environ.get("HTTP_X_REQUEST_ID", ""))
        chosen = _cookie(environ, settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(content))),
            *_static_headers(),
            ("Content-Language", language),
            ("X-Request-ID", request_id),
        ]
        if settings.SECURE_HSTS_SECONDS and self._secure(environ):
            headers.append(("Strict-Transport-Security", _hsts()))
        reason = {200: "OK", 403: "Forbidden", 404: "Not Found"}[status]
        start_response(f"{status} {reason}", headers)
        observability.log_request(
            request_id, "POST", self.path, status, started, getattr(user, "pk", None)
        )
        self._count(environ, status, len(content), time.perf_counter() - started)
        return [content]

    def _count(self, environ, status: int, length: int, seconds: float) -> None:
        """The samples django-prometheus' two middlewares record for a POST Django answers."""
        from django_prometheus.middleware import Metrics

        metrics = Metrics.get_instance()
        transport = "https" if self._secure(environ) else "http"
        view, code = self.view, str(status)
        metrics.requests_total.inc()
        metrics.responses_total.inc()
        metrics.requests_latency_before.observe(seconds)
        metrics.requests_by_method.labels(method="POST").inc()
        metrics.requests_by_transport.labels(transport=transport).inc()
        metrics.requests_body_bytes.observe(int(environ.get("CONTENT_LENGTH") or 0))
        metrics.requests_by_view_transport_method.labels(
            view=view, transport=transport, method="POST"
        ).inc()
        metrics.responses_by_status.labels(status=code).inc()
        metrics.responses_by_status_view_method.labels(status=code, view=view, method="POST").inc()
        metrics.responses_by_charset.labels(charset="utf-8").inc()
        metrics.responses_body_bytes.observe(length)
        metrics.requests_latency_by_view_method.labels(view=view, method="POST").observe(seconds)


def _cookie(environ, name: str) -> str | None:
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


_STATIC: list | None = None


def _static_headers() -> list[tuple[str, str]]:
    """The headers Django's middleware puts on this JSON response (security, no-store)."""
    global _STATIC
    if _STATIC is None:
        from django.utils.csp import CSP, build_policy

        headers = [("Cache-Control", "no-store, no-cache, private")]
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
            )
        headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS))
        if settings.SECURE_CSP:
            headers.append((str(CSP.HEADER_ENFORCE), build_policy(settings.SECURE_CSP)))
        if settings.SECURE_CSP_REPORT_ONLY:
            headers.append(
                (str(CSP.HEADER_REPORT_ONLY), build_policy(settings.SECURE_CSP_REPORT_ONLY))
            )
        _STATIC = headers
    return _STATIC


def _hsts() -> str:
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return value
