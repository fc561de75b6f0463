"""One error shape for every API failure: ``{"code", "message", "details"}``.

``message`` is in the language the client asks for (``Accept-Language``; Indonesian by
default); ``code`` is stable for programs; ``details`` says which field or rule failed.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as RequestInvalid

from jaring.core.spreadsheets import FileRefused
from jaring.programs.rules import RuleError

MESSAGES = {
    "not_authenticated": _(
        "Authentication required: log in, or send 'Authorization: Bearer <token>'."
    ),
    "forbidden": _("Your role does not allow this."),
    "not_found": _("Not found, or outside your region."),
    "validation_error": _("The request does not match the schema."),
    "refused": _("The request was refused; see details."),
    "throttled": _("Too many requests; try again shortly."),
    "http_error": _("The request could not be served."),
    "text_contains_nul": _("A text contains a NUL character, which cannot be stored."),
    "value_not_storable": _("A value cannot be stored (too long or out of range)."),
    "registered_elsewhere": _("The NIK is registered in another region; see details."),
    "transfer_required": _("A move to another kabupaten needs a transfer; see details."),
    "nik_in_url": _("A NIK never goes in a URL: search it with POST /api/v1/workers/search."),
}


# The HTTP status of a refusal by its code; any other code of a service refusal is a conflict
# (409: schema-valid, but against a rule or the current state).
STATUS_BY_CODE = {
    "nik_in_url": 400,
    "text_contains_nul": 400,
    "value_not_storable": 400,
}


def client_language(request) -> str:
    return language_of(request.headers.get("Accept-Language", ""))


def language_of(accept_language: str) -> str:
    """The language of the messages for an ``Accept-Language`` header."""
    return "en" if accept_language.lower().startswith("en") else "id"


def error_body(request, code: str, details=None) -> dict:
    return error_body_in(client_language(request), code, details)


def error_body_in(language: str, code: str, details=None) -> dict:
    with translation.override(language):
        return {"code": code, "message": str(MESSAGES[code]), "details": details}


def refusal_body(request, code: str, messages) -> dict:
    """A service's refusal: its own code, its messages rendered in the client's language
    (``messages`` is called under that language: lazy texts render there)."""
    with translation.override(client_language(request)):
        texts = [str(message) for message in messages()]
    return {"code": code, "message": " ".join(texts), "details": texts}


def validation_code(exc: DjangoValidationError) -> str:
    """The stable code of a service's ValidationError (the first one's, if it holds several)."""
    codes = [
        error.code
        for errors in (exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list])
        for error in errors
        if error.code
    ]
    return codes[0] if codes else "refused"


def data_error_code(exc: DataError) -> str:
    """What the database could not store. A NUL byte only when it is one (PostgreSQL says so)."""
    text = " ".join(str(e) for e in (exc, exc.__cause__) if e is not None)
    return "text_contains_nul" if "NUL" in text or "\\x00" in text else "value_not_storable"


def install(api: NinjaAPI) -> None:
    def respond(request, code, status, details=None):
        return api.create_response(request, error_body(request, code, details), status=status)

    def refuse(request, code, messages):
        status = STATUS_BY_CODE.get(code, 409)
        return api.create_response(request, refusal_body(request, code, messages), status=status)

    @api.exception_handler(RequestInvalid)
    def request_invalid(request, exc):
        return respond(request, "validation_error", 422, exc.errors)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        return respond(request, "not_authenticated", 401)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, "forbidden", 403)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, "not_found", 404)

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc):
        # Schema-valid but against a rule or the current state (duplicate NIK, overpayment,
        # a claim already decided): the service's own code, mapped to a status.
        return refuse(request, validation_code(exc), lambda: exc.messages)

    @api.exception_handler(RuleError)
    def rule_refused(request, exc):
        return refuse(request, exc.code, lambda: [str(exc)])

    @api.exception_handler(FileRefused)
    def file_refused(request, exc):
        return refuse(request, exc.code, lambda: [str(exc)])

    @api.exception_handler(DataError)
    def unstorable(request, exc):
        # A value the database cannot hold: the client's error, never a server error.
        code = data_error_code(exc)
        return refuse(request, code, lambda: [MESSAGES[code]])

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return respond(request, "throttled", 429)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, "http_error", exc.status_code, str(exc))
