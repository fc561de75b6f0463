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
    "registered_elsewhere": _("The NIK is registered in another region; see details."),
    "transfer_required": _("A move to another kabupaten needs a transfer; see details."),
}

# Service refusals a client must tell apart (they opened a transfer request): their own code.
CODED_REFUSALS = {"registered_elsewhere", "transfer_required"}


def client_language(request) -> str:
    header = request.headers.get("Accept-Language", "")
    return "en" if header.lower().startswith("en") else "id"


def error_body(request, code: str, details=None) -> dict:
    with translation.override(client_language(request)):
        return {"code": code, "message": str(MESSAGES[code]), "details": details}


def install(api: NinjaAPI) -> None:
    def respond(request, code, status, details=None):
        return api.create_response(request, error_body(request, code, details), status=status)

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
        # a claim already decided): a conflict, not a malformed request.
        code = getattr(exc, "code", None)
        return respond(request, code if code in CODED_REFUSALS else "refused", 409, exc.messages)

    @api.exception_handler(DataError)
    def unstorable(request, exc):
        # Values the database cannot hold (a NUL byte in a text, found by schemathesis): refused
        # like any other value a rule forbids, instead of a server error.
        return respond(request, "refused", 409, ["Nilai mengandung karakter NUL."])

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        return respond(request, "throttled", 429)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, "http_error", exc.status_code, str(exc))
