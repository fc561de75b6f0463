"""core.bulk.read_ahead: the next item computed in a thread while the caller holds the current
one, every item in order, an error at the item it stopped, nothing left running."""

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaring.core.bulk import read_ahead


@given(st.lists(st.integers(), max_size=20))
def test_every_item_comes_once_in_order(items):
    assert list(read_ahead(iter(items))) == items


def test_the_next_item_is_computed_while_the_caller_holds_the_current_one():
    second_started = threading.Event()
    makers = []

    def items():
        makers.append(threading.get_ident())
        yield 1
        second_started.set()
        yield 2

    taken = read_ahead(items())
    assert next(taken) == 1
    # A plain generator would make the second item only when asked for it: this would time out.
    assert second_started.wait(timeout=10)
    assert next(taken) == 2
    assert makers and makers[0] != threading.get_ident()


def test_an_error_reaches_the_caller_after_the_items_before_it():
    def items():
        yield 1
        raise ValueError("row 50,001 unreadable")

    taken = read_ahead(items())
    assert next(taken) == 1
    with pytest.raises(ValueError, match="50,001"):
        next(taken)


def test_a_caller_that_stops_early_leaves_no_thread_behind():
    made = []

    def items():
        for number in range(1000):
            made.append(number)
            yield number

    for number in read_ahead(items()):
        if number == 2:
            break
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
    assert made == [0, 1, 2, 3]  # the item being made when the caller stopped, then no more
