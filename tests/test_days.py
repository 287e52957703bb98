"""`sim.days.month_of` (compiled as C in the compiled core): the month whose float bounds hold
a day, and the same answers as the reference definition it replaced, in Python ints."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.days import MONTH_DAYS, month_of


def reference(day: float) -> int:
    """The definition before the compiled core: Python's int arithmetic throughout."""
    month = int(day // MONTH_DAYS)
    if (month + 1) * MONTH_DAYS <= day:
        return month + 1
    if month * MONTH_DAYS > day:
        return month - 1
    return month


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_a_day_lies_within_its_months_bounds(day: float) -> None:
    month = month_of(day)
    assert month * MONTH_DAYS <= day < (month + 1) * MONTH_DAYS
    assert month == reference(day)


@pytest.mark.parametrize("k", [0, 1, 11, 12, 100, 1_000, 123_457, -1, -13, -100_001])
def test_a_months_start_is_in_that_month(k: int) -> None:
    """Just below a start the compiled estimate (C's floor of the quotient) can be a month
    late; Python's floor division is not: the correction down matters compiled."""
    start = k * MONTH_DAYS
    assert month_of(start) == k
    assert month_of(math.nextafter(start, -math.inf)) == k - 1


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_day_gives_the_reference_month(day: float) -> None:
    """Beyond 2**53 months a float cannot count them one by one; the answer is still the
    reference's exact integer (1e90 days: a stationary start's tenure can be that long)."""
    month = month_of(day)
    assert type(month) is int
    assert month == reference(day)
