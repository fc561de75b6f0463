"""NIK and field rules (pure), and the vectorised checks that must agree with them."""

import datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.core.masking import mask_name, mask_nik, nik_hint
from jaring.core.spreadsheets import _line_count, neutralise_formula
from jaring.core.text import name_key, person_key
from jaring.registry import rules
from jaring.registry.validation import name_key_expr, nik_checks, person_key_expr

TODAY = datetime.date(2026, 11, 25)
DISTRICTS = frozenset({"14.03.01", "14.03.02", "14.08.01", "32.01.01"})


def make_nik(district: str, birth: datetime.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return (
        f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    )


births = st.dates(min_value=datetime.date(1927, 1, 1), max_value=TODAY)
valid_niks = st.builds(
    lambda d, b, s, n: (make_nik(d, b, s, n), d, b, s),
    st.sampled_from(sorted(DISTRICTS)),
    births,
    st.sampled_from(["L", "P"]),
    st.integers(min_value=1, max_value=9999),
)


@given(valid_niks)
def test_a_well_formed_nik_is_accepted_and_says_who_it_belongs_to(case):
    nik, district, birth, sex = case
    normalised, problem = rules.normalise_nik(f" '{nik[:6]}.{nik[6:12]} {nik[12:]}")
    assert (normalised, problem) == (nik, None)
    facts, problem = rules.parse_nik(nik, TODAY)
    assert problem is None
    assert facts.district_code == district and facts.sex == sex
    assert rules.resolve_birth_date(facts, TODAY).replace(year=birth.year) == birth
    assert rules.nik_agrees_with(facts, sex, birth) == []


@given(valid_niks)
def test_sex_or_birth_date_that_contradict_the_nik_are_named(case):
    nik, _, birth, sex = case
    facts, _ = rules.parse_nik(nik, TODAY)
    other_sex = "L" if sex == "P" else "P"
    assert rules.nik_agrees_with(facts, other_sex, None) == ["nik_sex_mismatch"]
    shifted = birth + datetime.timedelta(days=1)
    assert rules.nik_agrees_with(facts, None, shifted) == ["nik_birth_date_mismatch"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "nik_missing"),
        ("  ", "nik_missing"),
        ("'", "nik_missing"),
        ("3.20101E+15", "nik_scientific"),
        ("3,201E+15", "nik_scientific"),
        ("1403O14101850001", "nik_not_digits"),
        ("140301410185000", "nik_length"),
        ("14030141018500011", "nik_length"),
    ],
)
def test_nik_normalisation_rejections(raw, code):
    assert rules.normalise_nik(raw) == (None, code)


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("1403014101850000", "nik_serial_zero"),
        ("1403013102850001", "nik_birth_date_invalid"),  # 31 February
        ("1403019901850001", "nik_birth_date_invalid"),  # day 99 (python-stdnum accepts it)
        ("1403013201850001", "nik_birth_date_invalid"),  # day 32
        ("1403017201850001", "nik_birth_date_invalid"),  # day 72 = 32 for a woman
        ("1403012902010001", "nik_birth_date_invalid"),  # 29 Feb 1901/2001
        ("1403011513850001", "nik_birth_date_invalid"),  # month 13
    ],
)
def test_nik_structure_rejections(nik, code):
    assert rules.parse_nik(nik, TODAY) == (None, code)


def test_leap_day_2000_and_century_resolution():
    facts, _ = rules.parse_nik("1403012902000001", TODAY)
    assert rules.resolve_birth_date(facts, TODAY) == datetime.date(2000, 2, 29)
    old, _ = rules.parse_nik("1403010101300001", TODAY)
    assert rules.resolve_birth_date(old, TODAY) == datetime.date(1930, 1, 1)
    future_this_year, _ = rules.parse_nik("1403010112260001", TODAY)  # 1 Dec 26: after today
    assert rules.resolve_birth_date(future_this_year, TODAY) == datetime.date(1926, 12, 1)


# Digits as people type them on phones and foreign keyboards too (Arabic-Indic, full width).
noise = st.text(alphabet="0123456789 .-'E+e,xO\u0660\u0661\u0669\uff10\uff11\uff19", max_size=22)


def _arabic(nik: str) -> str:
    return "".join(chr(0x0660 + int(ch)) for ch in nik)


def _pure_code(raw: str) -> str | None:
    nik, problem = rules.normalise_nik(raw)
    if problem:
        return problem
    facts, problem = rules.parse_nik(nik, TODAY)
    if problem:
        return problem
    return None if facts.district_code in DISTRICTS else "nik_region_unknown"


@given(
    st.lists(
        st.one_of(noise, valid_niks.map(lambda c: c[0]), valid_niks.map(lambda c: _arabic(c[0]))),
        min_size=1,
        max_size=20,
    )
)
def test_vectorised_nik_check_agrees_with_the_pure_rule(raws):
    frame = pl.DataFrame({"nik": pl.Series(raws, dtype=pl.String)})
    checks = nik_checks(pl.col("nik"), DISTRICTS, TODAY)
    out = frame.select(checks["nik_code"].alias("code"), checks["nik_birth"].alias("birth"))
    for raw, code, birth in zip(raws, out["code"], out["birth"], strict=True):
        assert code == _pure_code(raw), raw
        if code is None:
            facts, _ = rules.parse_nik(rules.normalise_nik(raw)[0], TODAY)
            assert birth == rules.resolve_birth_date(facts, TODAY)


latin = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=30)


@given(st.lists(latin, min_size=1, max_size=10))
def test_vectorised_name_key_agrees_with_the_pure_rule(names):
    out = pl.DataFrame({"n": names}).select(name_key_expr(pl.col("n")))["n"].to_list()
    assert out == [name_key(name) for name in names]
    people = pl.DataFrame({"n": names}).select(person_key_expr(pl.col("n")))["n"].to_list()
    assert people == [person_key(name) for name in names]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("22-09-2025", datetime.date(2025, 9, 22)),
        ("22/09/2025", datetime.date(2025, 9, 22)),
        ("2025-09-22", datetime.date(2025, 9, 22)),
        ("2025-09-22 00:00:00", datetime.date(2025, 9, 22)),
        ("45922", datetime.date(2025, 9, 22)),  # Excel serial
        ("45922.0", datetime.date(2025, 9, 22)),
        (datetime.datetime(1985, 1, 1, 0, 0), datetime.date(1985, 1, 1)),
        ("01-01-85", datetime.date(1985, 1, 1)),
    ],
)
def test_dates_as_operators_type_them(raw, expected):
    assert rules.parse_date(raw, TODAY) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("31-02-2020", "birth_date_invalid"),
        ("kemarin", "birth_date_invalid"),
        ("01-01-2030", "birth_date_future"),
    ],
)
def test_bad_dates(raw, code):
    assert rules.parse_date(raw, TODAY) == (None, code)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.500.000", 1_500_000),
        ("Rp 1.500.000", 1_500_000),
        ("1500000", 1_500_000),
        ("Rp1.000.000,00", 1_000_000),
        ("1.000.000,-", 1_000_000),
        (2_000_000, 2_000_000),
        (2_000_000.0, 2_000_000),
        ("", None),
        (None, None),
    ],
)
def test_rupiah_as_typed(raw, expected):
    assert rules.parse_rupiah(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["1,5 juta", "abc", "-5", 1.5, "1.500.000,50"])
def test_rupiah_refusals(raw):
    assert rules.parse_rupiah(raw) == (None, "income_invalid")


@given(st.integers(min_value=0, max_value=10**12))
def test_rupiah_roundtrip_with_thousand_dots(amount):
    written = f"Rp {amount:,}".replace(",", ".")
    assert rules.parse_rupiah(written) == (amount, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("L", "L"), ("p", "P"), ("Perempuan", "P"), ("Laki-laki", "L"), ("", None), (None, None)],
)
def test_sex(raw, expected):
    assert rules.parse_sex(raw) == (expected, None)


def test_sex_refusal_desil_phone():
    assert rules.parse_sex("X") == (None, "sex_invalid")
    assert rules.parse_desil("Desil 3") == (3, None)
    assert rules.parse_desil("11") == (None, "desil_invalid")
    assert rules.parse_phone("+62 812-3456-7890") == ("081234567890", None)
    assert rules.parse_phone("12345") == (None, "phone_invalid")


@pytest.mark.parametrize("dangerous", ["=1+1", "+62812", "-2", "@SUM(A1)", "\t=x"])
def test_formula_cells_are_neutralised(dangerous):
    assert neutralise_formula(dangerous) == "'" + dangerous
    assert neutralise_formula("Rusni") == "Rusni"


def test_masks():
    assert mask_nik(nik_hint("1403014101850001")) == "1403**********0001"
    assert mask_name("Safri Ismail") == "S**** I*****"


_lines = st.lists(
    st.tuples(st.text(alphabet='ab;"é ', max_size=5), st.sampled_from(["\n", "\r\n", ""])),
    max_size=8,
).map(lambda parts: "".join(text + end for text, end in parts))


@given(text=_lines)
def test_a_csv_line_count_from_bytes_is_the_count_of_its_text_lines(text, tmp_path_factory):
    """The import's progress total counts lines from bytes (spreadsheets._line_count); it must
    count them as reading the file as text does, a last line without its break included."""
    path = tmp_path_factory.mktemp("lines") / "list.csv"
    path.write_bytes(text.encode())
    with path.open(encoding="utf-8", newline="") as handle:
        assert _line_count(path) == sum(1 for _ in handle)
