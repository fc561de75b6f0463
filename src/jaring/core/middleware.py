"""Request guards and the language choice.

Bahasa Indonesia unless the user chose English: Django's LocaleMiddleware follows the browser's
Accept-Language, and office computers in a Pemda are often set to English; the product speaks
Indonesian until someone presses "EN" (the language switch stores the choice in the cookie).
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation


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
