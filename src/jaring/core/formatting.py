"""How money and dates are written for people: Babel and num2words, never hand-rolled.

Money is whole rupiah, as ``int`` or an integral ``Decimal``; a float is refused so that no
rounding error can slip into a figure a family or an auditor reads.
"""

import datetime
import functools
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern
from django.utils import timezone
from num2words import num2words

DEFAULT_LOCALE = "id"


def _whole_rupiah(amount: int | Decimal) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise TypeError(f"money must be int or Decimal, not {type(amount).__name__}")
    if isinstance(amount, Decimal) and amount != amount.to_integral_value():
        raise ValueError(f"rupiah amounts are whole numbers: {amount}")
    return int(amount)


def _babel_locale(locale: str | None) -> str:
    return (locale or DEFAULT_LOCALE).replace("-", "_")


# What babel.numbers.format_decimal/format_currency do, with the parsed locale and pattern kept:
# parsing them took three quarters of each call, and a national table formats thousands of cells.
@functools.cache
def _locale(name: str | None) -> Locale:
    return Locale.parse(_babel_locale(name))


@functools.cache
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def _format_number(value, pattern: str, locale: str | None, **currency) -> str:
    return _pattern(pattern).apply(value, _locale(locale), **currency)


def rupiah(amount: int | Decimal) -> str:
    """``42000000`` → ``Rp42.000.000``.

    Always with Indonesian grouping, in the English UI too: the figure must read the same on
    every printout a family, a Pemda and BPJS compare.
    """
    value = _whole_rupiah(amount)
    return _format_number(value, "¤#,##0", "id", currency="IDR", currency_digits=False)


def terbilang(amount: int | Decimal) -> str:
    """``42000000`` → ``empat puluh dua juta rupiah``, as a berita acara writes it."""
    value = _whole_rupiah(amount)
    if value < 0:
        return f"minus {num2words(-value, lang='id')} rupiah"
    return f"{num2words(value, lang='id')} rupiah"


def tanggal(day: datetime.date, locale: str | None = None) -> str:
    """``2025-09-22`` → ``22 September 2025``."""
    return format_date(day, "d MMMM y", locale=_babel_locale(locale))


def hari_tanggal(day: datetime.date, locale: str | None = None) -> str:
    """``2025-09-22`` → ``Senin, 22 September 2025``."""
    return format_date(day, "EEEE, d MMMM y", locale=_babel_locale(locale))


def waktu(moment: datetime.datetime) -> str:
    """A moment (a refresh, a print, a log entry) → ``22-09-2025 10:30``, in local time: the one
    style for timestamps, as days are always ``tanggal``."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return local.strftime("%d-%m-%Y %H:%M")  # all digits: the same in every language


def desimal(value: Decimal | int, locale: str | None = None) -> str:
    """``Decimal("2.5")`` → ``2,5`` (one decimal, grouped): an average that is not a count."""
    return _format_number(value, "#,##0.0", locale)


def ribuan(value: int) -> str:
    """``30257`` → ``30.257``: counts grouped the Indonesian way (in the English UI too)."""
    return _format_number(value, "#,##0", "id")


def persen(value: Decimal | int, locale: str | None = None) -> str:
    """``Decimal("11.1")`` → ``11,1%`` in Indonesian, ``11.1%`` in English."""
    return f"{_format_number(value, '#,##0.0', locale)}%"
