import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.core import region_codes
from jaring.core.text import name_key
from jaring.regions import rules

two = st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}")
four = st.integers(min_value=1001, max_value=2999).map(str)
codes = st.one_of(
    two,
    st.tuples(two, two).map(".".join),
    st.tuples(two, two, two).map(".".join),
    st.tuples(two, two, two, four).map(".".join),
)


@given(codes)
def test_level_is_the_number_of_parts_and_parent_is_one_level_up(code):
    level = region_codes.level_of(code)
    assert level == len(code.split("."))
    parent = region_codes.parent_code(code)
    if level == region_codes.Level.PROVINCE:
        assert parent is None
    else:
        assert region_codes.level_of(parent) == level - 1
        assert region_codes.is_within(code, parent)


@given(codes)
def test_ancestors_are_all_the_prefixes_and_contain_the_code(code):
    ancestors = region_codes.ancestor_codes(code)
    assert len(ancestors) == region_codes.level_of(code) - 1
    assert all(region_codes.is_within(code, a) and a != code for a in ancestors)


@given(codes, codes)
def test_within_is_a_subtree_test_not_a_string_prefix(code, other):
    expected = code == other or code.startswith(other + ".")
    assert region_codes.is_within(code, other) is expected


def test_within_does_not_confuse_siblings_sharing_digits():
    assert not region_codes.is_within("14.031", "14.03")
    assert not region_codes.is_within("14.30.01", "14.3")
    assert region_codes.is_within("14.03.01.2022", "14.03")


@pytest.mark.parametrize("bad", ["", "1", "14.3", "14.03.01.202", "14-03", "14.03.01.2022.1", "ab"])
def test_malformed_codes_are_refused(bad):
    assert not region_codes.is_valid_code(bad)
    with pytest.raises(ValueError):
        region_codes.level_of(bad)


def test_village_kind_follows_the_kemendagri_numbering():
    assert rules.village_kind("14.03.01.2022") == "desa"
    assert rules.village_kind("14.03.01.1001") == "kelurahan"
    with pytest.raises(ValueError):
        rules.village_kind("14.03.01")


@given(st.text(max_size=40))
def test_name_key_is_idempotent_and_ignores_case_and_spacing(name):
    key = name_key(name)
    assert name_key(key) == key
    assert name_key(f"  {name.upper()}  ") == name_key(name.lower())
    assert "  " not in key and key == key.strip()


@pytest.mark.parametrize("written", ["KELEBUK", "Kelebuk", " kelebuk ", "Kélebuk"])
def test_name_key_examples(written):
    assert name_key(written) == "kelebuk"


def test_name_key_collapses_inner_spacing():
    assert name_key("Bantan   Tua") == name_key("BANTAN TUA") == "bantan tua"
