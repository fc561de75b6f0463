"""Bahasa Indonesia unless the user chose English.

Django's LocaleMiddleware follows the browser's Accept-Language, and office computers in a Pemda
are often set to English; the product speaks Indonesian until someone presses "EN" (the
language switch stores the choice in the language cookie).
"""

from django.conf import settings
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
