import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jaring.core.formatting import hari_tanggal, rupiah, tanggal, terbilang


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (42_000_000, "Rp42.000.000"),
        (16_800, "Rp16.800"),
        (0, "Rp0"),
        (6_100_000_000, "Rp6.100.000.000"),
        (Decimal("5900000000"), "Rp5.900.000.000"),
    ],
)
def test_rupiah_examples(amount, text):
    assert rupiah(amount) == text


@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_keeps_every_digit(amount):
    text = rupiah(amount)
    assert text.startswith("Rp")
    assert int(text[2:].replace(".", "")) == amount


def test_money_refuses_floats_and_fractions():
    with pytest.raises(TypeError):
        rupiah(42000000.0)
    with pytest.raises(ValueError):
        rupiah(Decimal("10.50"))
    with pytest.raises(TypeError):
        terbilang(1.5)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (42_000_000, "empat puluh dua juta rupiah"),
        (16_800, "enam belas ribu delapan ratus rupiah"),
        (1_000, "seribu rupiah"),
        (174_000_000, "seratus tujuh puluh empat juta rupiah"),
    ],
)
def test_terbilang(amount, words):
    assert terbilang(amount) == words


def test_dates_in_indonesian_and_english():
    day = datetime.date(2025, 9, 22)
    assert tanggal(day) == "22 September 2025"
    assert hari_tanggal(day) == "Senin, 22 September 2025"
    assert tanggal(datetime.date(2025, 8, 17)) == "17 Agustus 2025"
    assert hari_tanggal(day, "en") == "Monday, 22 September 2025"


def test_template_filters_follow_the_active_language():
    template = Template(
        "{% load jaring_format %}{{ a|rupiah }}|{{ a|terbilang }}|{{ d|hari_tanggal }}"
    )
    context = Context({"a": 42_000_000, "d": datetime.date(2025, 9, 22)})
    with translation.override("id"):
        assert template.render(context) == (
            "Rp42.000.000|empat puluh dua juta rupiah|Senin, 22 September 2025"
        )
    with translation.override("en"):
        assert template.render(context).endswith("Monday, 22 September 2025")


def test_percent_follows_the_language():
    from jaring.core.formatting import persen

    assert persen(Decimal("11.1")) == "11,1%"
    assert persen(Decimal("96.7"), "en") == "96.7%"
    assert persen(100) == "100,0%"


def test_the_date_filter_shows_nothing_for_a_missing_value():
    from django.template import Context, Template

    template = Template("{% load jaring_format %}[{{ fact.protected_on|tanggal }}]")
    assert template.render(Context({})) == "[]"
    assert template.render(Context({"fact": {"protected_on": None}})) == "[]"
    day = {"protected_on": datetime.date(2025, 9, 22)}
    assert template.render(Context({"fact": day})) == "[22 September 2025]"


def test_a_moment_is_written_day_month_year_hour_minute_in_local_time():
    from django.utils import timezone

    from jaring.core.formatting import waktu

    moment = datetime.datetime(2025, 9, 22, 3, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Jakarta"):
        assert waktu(moment) == "22-09-2025 10:30"
    assert waktu(datetime.datetime(2025, 9, 22, 10, 30)) == "22-09-2025 10:30"


def test_an_average_has_one_decimal_with_the_languages_comma():
    from jaring.core.formatting import desimal

    assert desimal(Decimal("2")) == "2,0"
    assert desimal(Decimal("1234.56")) == "1.234,6"
    assert desimal(Decimal("2.5"), "en") == "2.5"


def test_djangos_own_date_filters_write_the_house_styles():
    day, moment = datetime.date(2025, 9, 22), datetime.datetime(2025, 9, 22, 10, 30)
    template = Template('{{ day|date }} · {{ moment|date:"DATETIME_FORMAT" }}')
    with translation.override("id"):
        shown = template.render(Context({"day": day, "moment": moment}))
    assert shown == "22 September 2025 · 22-09-2025 10:30"


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False),
    st.sampled_from(["id", "en"]),
)
def test_the_kept_patterns_write_exactly_what_babel_writes(whole, fraction, language):
    """The formatters keep Babel's parsed locale and pattern; the text must not change."""
    from babel.numbers import format_currency, format_decimal

    from jaring.core.formatting import desimal, persen, ribuan

    assert rupiah(whole) == format_currency(
        whole, "IDR", format="¤#,##0", locale="id", currency_digits=False
    )
    assert ribuan(whole) == format_decimal(whole, format="#,##0", locale="id")
    assert desimal(fraction, language) == format_decimal(
        fraction, format="#,##0.0", locale=language
    )
    assert (
        persen(fraction, language)
        == format_decimal(fraction, format="#,##0.0", locale=language) + "%"
    )
