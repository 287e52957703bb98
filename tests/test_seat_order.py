"""Heads kept in seat order (a roster's active heads) and in routing order (a segment's
sellers): the compiled core searches the C slots itself instead of calling bisect with a
key; either way the list is what sorting would give (in either core)."""

from __future__ import annotations

import bisect

from hypothesis import given
from hypothesis import strategies as st

from sim.people import Head, heads_bisect, seat_insert, seat_remove
from sim.pipeline import Pipeline
from tests.factories import SELLER, plan
from tests.test_pipeline import rows

PLAN = plan(roles={"ae": dict(SELLER)})
ROLE, SEGMENT = PLAN.roles[0], PLAN.segments[0]


def head(seat: int, order: int = 0) -> Head:
    return Head(ROLE, seat, 0, PLAN.seed, 0, order, SEGMENT)


@given(st.lists(st.integers(0, 60), unique=True, max_size=25), st.data())
def test_seat_order_is_kept_through_inserts_and_removals(seats, data) -> None:
    heads: list[Head] = []
    for seat in seats:
        seat_insert(heads, head(seat))
        assert [h.seat for h in heads] == sorted(h.seat for h in heads)
    while heads:
        gone = data.draw(st.sampled_from(heads))
        seat_remove(heads, gone)
        assert gone not in heads
        assert [h.seat for h in heads] == sorted(h.seat for h in heads)


@given(st.lists(st.integers(0, 5), max_size=20))
def test_sellers_join_in_routing_order_after_equal_orders(orders) -> None:
    pipeline = Pipeline(1, rows(), None)
    joined = []
    for seat, order in enumerate(orders):
        seller = head(seat, order)
        joined.append(seller)
        pipeline.join(seller)
    # as appending and a stable sort by order: equal orders stay in joining order
    assert pipeline.sellers[0] == sorted(joined, key=lambda h: h.order)


@given(st.lists(st.integers(0, 9), max_size=20), st.integers(-1, 10), st.booleans(),
       st.booleans())
def test_heads_bisect_is_bisects_place(keys, key, by_order, right) -> None:
    keys.sort()
    heads = [head(seat=k, order=k) for k in keys]
    expected = (bisect.bisect_right if right else bisect.bisect_left)(keys, key)
    assert heads_bisect(heads, key, by_order, right) == expected
