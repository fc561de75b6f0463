"""Request guards, the language choice and no caching of personal data.

Bahasa Indonesia unless the user chose English: Django's LocaleMiddleware follows the browser's
Accept-Language, and office computers in a Pemda are often set to English; the product speaks
Indonesian until someone presses "EN" (the language switch stores the choice in the cookie).
"""

from functools import wraps

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class RefuseNulBytesMiddleware:
    """A NUL byte in the path or the query string is never a real request (PostgreSQL cannot
    even store one): refuse it here rather than let it reach a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            # The API's error shape, so clients parse this refusal like any other.
            return JsonResponse(
                {"code": "bad_request", "message": "NUL byte in the request", "details": None},
                status=400,
            )
        return self.get_response(request)


def mark_personal(request) -> None:
    """This request's response carries personal data: no cache may keep it (see below).
    Called by every personal-data access-log write (``accounts.services.log_personal_access``)
    and by ``personal_data`` views."""
    if isinstance(request, HttpRequest):
        request.carries_personal_data = True


def personal_data(view):
    """Declares a view whose pages show personal data even when nothing is logged for them."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        mark_personal(request)
        return view(request, *args, **kwargs)

    return wrapper


class NoStorePersonalDataMiddleware:
    """``Cache-Control: no-store`` on every response that carries personal data, so neither the
    browser (a shared office computer: back button, disk cache) nor a proxy keeps a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "carries_personal_data", False):
            patch_cache_control(response, no_store=True, no_cache=True, private=True)
            response.headers.pop("Expires", None)
        return response
