"""Template filters for money and dates: ``{{ amount|rupiah }}``, ``{{ day|tanggal }}``."""

import datetime

from django import template
from django.utils import timezone, translation

from jaring.core import formatting

register = template.Library()


@register.filter
def rupiah(amount):
    return "" if amount is None else formatting.rupiah(amount)


@register.filter
def terbilang(amount):
    return "" if amount is None else formatting.terbilang(amount)


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@register.filter
def tanggal(value):
    """A day as Indonesians write it; nothing for a missing value (``""`` from the template)."""
    if value in (None, ""):
        return ""
    return formatting.tanggal(_as_date(value), translation.get_language())


@register.filter
def hari_tanggal(value):
    if value is None:
        return ""
    return formatting.hari_tanggal(_as_date(value), translation.get_language())


@register.filter
def persen(value):
    return "—" if value is None else formatting.persen(value, translation.get_language())


@register.filter
def ribuan(value):
    return "" if value is None else formatting.ribuan(value)


@register.filter
def waktu(value):
    """A moment as ``22-09-2025 10:30`` (local time); days use ``tanggal``."""
    return "" if value in (None, "") else formatting.waktu(value)


@register.filter
def desimal(value):
    return "—" if value is None else formatting.desimal(value, translation.get_language())
