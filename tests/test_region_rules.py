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


weights = st.dictionaries(
    st.tuples(two, two).map(".".join), st.integers(min_value=0, max_value=10**9), min_size=1
)


@given(st.integers(min_value=0, max_value=10**8), weights)
def test_proportional_shares_add_up_and_stay_within_one_of_the_exact_quota(total, by_key):
    if not any(by_key.values()):
        by_key = {**by_key, "99.99": 1}
    shares = rules.proportional_shares(total, by_key)
    whole = sum(by_key.values())
    assert shares.keys() == by_key.keys()
    assert sum(shares.values()) == total
    for key, weight in by_key.items():
        # |share - quota| < 1, in integers (quota = total * weight / whole): no float rounding
        assert abs(shares[key] * whole - total * weight) < whole
        assert weight or shares[key] == 0


@given(st.integers(min_value=0, max_value=10**6), weights)
def test_a_larger_weight_never_gets_a_smaller_share(total, by_key):
    if not any(by_key.values()):
        by_key = {**by_key, "99.99": 1}
    shares = rules.proportional_shares(total, by_key)
    ordered = sorted(by_key, key=lambda key: (by_key[key], key))
    for lighter, heavier in zip(ordered, ordered[1:], strict=False):
        assert shares[lighter] <= shares[heavier] or by_key[lighter] == by_key[heavier]


def test_proportional_shares_refuse_what_cannot_be_shared():
    with pytest.raises(ValueError, match="every weight is 0"):
        rules.proportional_shares(5, {"14.03": 0})
    with pytest.raises(ValueError, match="negative"):
        rules.proportional_shares(-1, {"14.03": 1})
    assert rules.proportional_shares(0, {"14.03": 0}) == {"14.03": 0}
    assert rules.proportional_shares(10, {"14.03": 1, "14.08": 1, "14.09": 1}) == {
        "14.03": 4,
        "14.08": 3,
        "14.09": 3,
    }
