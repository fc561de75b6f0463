"""Query parameters several pages read, checked in one place: the year (``?tahun=``).

A page that takes a year is decorated with :func:`takes_year` and receives ``year`` as a keyword
argument. A year outside the years Jaring keeps money for (the fiscal-year CHECK of the finance
tables) is not an error page: the user is sent back to the page without it, with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from jaring.core.text import ascii_digits

FIRST_YEAR = 2015
LAST_YEAR = 2100


def parse_year(raw: str) -> int | None:
    """The year in ``raw`` if it is one Jaring keeps, else None."""
    text = ascii_digits(raw).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        return None
    year = int(text)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def takes_year(default: Callable[[HttpRequest], int]):
    """Give the view ``year=``: ``?tahun=`` when it is a valid year, ``default(request)`` (e.g.
    the latest year with an allocation for this user) when absent."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            raw = request.GET.get("tahun", "")
            year = parse_year(raw) if raw.strip() else default(request)
            if year is None:
                messages.error(
                    request,
                    _("The year must be a number from %(first)s to %(last)s.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR},
                )
                query = request.GET.copy()
                for name in ("tahun", "format"):  # back to the page, not to a download
                    query.pop(name, None)
                return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)
            return view(request, *args, year=year, **kwargs)

        return wrapped

    return decorator
