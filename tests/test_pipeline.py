"""The pipeline loop on hand-worked cases: routing, capacity, closes and hand-overs.

Each case runs with the plain spare list and with the `Router` (large segments): both must
choose alike."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.pipeline
from sim.arrivals import Arrivals
from sim.metrics import Layout
from sim.model import Model
from sim.people import Head, Roster
from sim.pipeline import ROUTED_INBOUND, SELF, Pipeline, Router
from tests.factories import SEGMENT, SELLER, plan, stress_plan

MONTHS = 3
P = plan(roles={"ae": {"headcount": 3, "max_open_opps": 2}})


def rows() -> dict[str, list[float]]:
    return {name: [0.0] * MONTHS for name in Layout(["ae"], []).names}


def sellers(pipeline: Pipeline, spares: list[float]) -> list[Head]:
    """Seat one seller per entry of `spares` (segment 0, in seat order)."""
    roster = Roster(P.roles[0], 0, P.segments[0])
    heads = []
    for seat, spare in enumerate(spares):
        head = roster.new_head(seat, seed=1, rep=0)
        head.start(-100.0)
        head.spare = spare
        head.p_win = 1.0  # every close is a win: the owner's tally shows who closed it
        head.cycle_mu, head.cycle_sigma = math.log(10.0), 0.0  # every cycle is 10 days
        pipeline.join(head)
        heads.append(head)
    return heads


@pytest.fixture(params=[False, True], ids=["list", "router"])
def routed(request: pytest.FixtureRequest) -> bool:
    return request.param


def new_pipeline(routed: bool) -> Pipeline:
    return Pipeline(1, rows(), None, routed=[0] if routed else [])


def begin(pipeline: Pipeline, rows: list[tuple]) -> None:
    """A new month with these arrivals, ``(day, kind, source, u_win, z_cycle, z_size)``."""
    pipeline.new_month(Arrivals.of(rows))


def inbound(day: float) -> tuple:
    return (day, ROUTED_INBOUND, 0, 0.5, 0.0, 0.0)


def test_routing_takes_the_most_spare_capacity_first_in_order_on_ties(routed: bool) -> None:
    pipeline = new_pipeline(routed)
    a, b, c = sellers(pipeline, [1.0, 2.0, 2.0])
    begin(pipeline, [inbound(1.0), inbound(2.0), inbound(3.0), inbound(4.0), inbound(5.0)])
    pipeline.work_until(6.0)  # before any 10-day cycle ends
    # spares (1, 2, 2): b (tied with c, first) -> (1, 1, 2): c -> (1, 1, 1): a, b, c
    assert [h.n_open for h in (a, b, c)] == [1, 2, 2]
    spares = pipeline.routers[0].values if routed else pipeline.spares[0].store
    assert list(spares[:3]) == [0.0] * 3
    assert pipeline.created[ROUTED_INBOUND][0] == 5 and pipeline.unworked[0] == 0


def test_nobody_with_room_leaves_the_opportunity_unworked(routed: bool) -> None:
    pipeline = new_pipeline(routed)
    sellers(pipeline, [1.0, 0.5])
    begin(pipeline, [inbound(1.0), inbound(2.0), inbound(3.0)])
    pipeline.work_until(6.0)
    # the first takes seller 0 to 0; the second goes to seller 1 (0.5 > 0); then none
    assert pipeline.created[ROUTED_INBOUND][0] == 3 and pipeline.unworked[0] == 1


def test_a_close_frees_capacity_for_the_next_arrival(routed: bool) -> None:
    pipeline = new_pipeline(routed)
    (head,) = sellers(pipeline, [1.0])
    own = (1.0, SELF, head, 0.5, 0.0, 0.0)
    blocked = (5.0, SELF, head, 0.5, 0.0, 0.0)  # full: its opportunity closes on day 11
    after = (12.0, SELF, head, 0.5, 0.0, 0.0)
    begin(pipeline, [own, blocked, after])
    pipeline.work_until(20.0)
    assert pipeline.created[SELF][0] == 2 and head.opps == 2
    assert head.wins == 1 and head.n_open == 1  # day 11 closed; day 22 is still open


def test_a_leavers_deals_go_one_by_one_to_the_most_spare_even_beyond_capacity(routed: bool) -> None:
    pipeline = new_pipeline(routed)
    leaver, b, c = sellers(pipeline, [5.0, 1.0, 0.0])
    begin(pipeline, [(float(day), SELF, leaver, 0.5, 0.0, 0.0) for day in (1, 2, 3, 4)])
    pipeline.work_until(5.0)
    assert leaver.n_open == 4
    leaver.active = False
    pipeline.leave(leaver, 5.0)
    # spares (b, c) = (1, 0): b -> (0, 0): b, first -> (-1, 0): c -> (-1, -1): b
    assert (b.n_open, c.n_open) == (3, 1)
    assert [b.spares[b.slot], c.spares[c.slot]] == [-2.0, -1.0]
    begin(pipeline, [])
    pipeline.work_until(30.0)  # all four close (days 11-14) and are won by their new owners
    assert (b.wins, c.wins, leaver.wins) == (3, 1, 0)
    assert pipeline.won[0][0] == 4


def test_a_last_leavers_deals_are_lost_that_day(routed: bool) -> None:
    pipeline = new_pipeline(routed)
    (head,) = sellers(pipeline, [3.0])
    begin(pipeline, [(1.0, SELF, head, 0.5, 0.0, 0.0), (2.0, SELF, head, 0.5, 0.0, 0.0)])
    pipeline.work_until(3.0)
    head.active = False
    pipeline.leave(head, 3.0)
    assert pipeline.lost[0] == 2 and pipeline.open_count() == 0
    begin(pipeline, [])
    pipeline.work_until(30.0)  # nothing is left to close
    assert pipeline.won[0][0] == 0 and pipeline.lost[0] == 2


def test_a_leavers_deals_follow_a_chain_of_leavers(routed: bool) -> None:
    """a leaves with two open deals: b gets both; b leaves: c gets them, and wins them."""
    pipeline = new_pipeline(routed)
    a, b, c = sellers(pipeline, [5.0, 3.0, 0.0])
    begin(pipeline, [(1.0, SELF, a, 0.5, 0.0, 0.0), (2.0, SELF, a, 0.5, 0.0, 0.0),
                        (3.0, SELF, b, 0.5, 0.0, 0.0)])
    pipeline.work_until(4.0)
    a.active = False
    pipeline.leave(a, 4.0)  # spares (b, c) = (2, 0): b, b
    assert (b.n_open, c.n_open) == (3, 0)
    b.active = False
    pipeline.leave(b, 5.0)  # everything to c, in close order
    assert c.n_open == 3 and pipeline.open_count() == 3
    begin(pipeline, [])
    pipeline.work_until(30.0)
    assert (a.wins, b.wins, c.wins) == (0, 0, 3) and c.n_open == 0
    assert c.spares[c.slot] == 0.0 and not pipeline.heirs


class Seat:
    """The fields of a head a `Router` reads."""

    def __init__(self, order: int, spare: float) -> None:
        self.order, self.spare, self.slot, self.spares = order, spare, 0, None


def naive_best(seated: list[Seat]) -> Seat:
    """What the plain list does: max and index over spares in routing order."""
    in_order = sorted(seated, key=lambda s: s.order)
    spares = [s.spares[s.slot] for s in in_order]
    return in_order[spares.index(max(spares))]


SPARES = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1e12])  # many ties


@settings(max_examples=200, deadline=None)
@given(start=st.lists(SPARES, min_size=1, max_size=40),
       steps=st.lists(st.tuples(st.sampled_from(["add", "sub", "join", "leave", "seat"]),
                                st.integers(0, 10**6), SPARES), max_size=120))
def test_the_router_chooses_what_max_and_index_choose(
    start: list[float], steps: list[tuple[str, int, float]]
) -> None:
    """After any sequence of spare changes, joins, leaves and month starts, `best` names the
    seller with the most spare capacity, the first in routing order on ties."""
    router = Router()
    orders = iter(random.Random(len(start)).sample(range(10**6), 10**4))
    seated = []
    for spare in start:
        seat = Seat(next(orders), spare)
        router.join(seat)  # type: ignore[arg-type]
        seated.append(seat)
    for action, pick, spare in steps:
        if action == "join" or not seated:
            seat = Seat(next(orders), spare)
            router.join(seat)  # type: ignore[arg-type]
            seated.append(seat)
        elif action == "leave" and len(seated) > 1:
            router.leave(seated.pop(pick % len(seated)))  # type: ignore[arg-type]
        elif action == "seat":
            for seat in seated:
                seat.spare = seat.spares[seat.slot] + spare % 2
            router.seat()
        else:
            seat = seated[pick % len(seated)]
            router.values[seat.slot] += 1 if action == "add" else -1
            if action == "add":
                router.raised(seat.slot)
        assert router.heads[router.best()] is naive_best(seated)


def test_an_empty_router_has_no_best() -> None:
    router = Router()
    seat = Seat(1, 2.0)
    router.join(seat)  # type: ignore[arg-type]
    router.leave(seat)  # type: ignore[arg-type]
    assert router.best() == -1


def test_a_routed_segment_simulates_the_same_numbers_as_a_plain_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stress plan (hand-overs, mid-month hires, planned exits, support, programs) and
    a segment of 40 capacity-bound sellers with heavy inbound, with every segment routed
    through a `Router` and with none: the same raw metrics and seller rows."""
    crowded = plan(
        segments={"mid": dict(SEGMENT, inbound_opps_per_month=200.0)},
        roles={"ae": dict(SELLER, headcount=40, max_open_opps=5, attrition=0.5,
                          ramp=[0.5, 1.0], time_to_hire_days={"mean": 30, "cv": 0.5})},
    )
    for compiled in (stress_plan(), crowded):
        results = []
        for router_from in (10**9, 0):
            monkeypatch.setattr(sim.pipeline, "ROUTER_FROM", router_from)
            results.append([Model(compiled, replication).run() for replication in range(3)])
        for plain, routed_run in zip(*results, strict=True):
            assert plain.raw.tobytes() == routed_run.raw.tobytes()
            assert repr(plain.sellers) == repr(routed_run.sellers)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 60)), max_size=80))
def test_a_roster_hires_into_the_lowest_free_seat(steps: list[tuple[bool, int]]) -> None:
    roster = Roster(P.roles[0], 0, P.segments[0])
    for seat in range(3):
        roster.new_head(seat, seed=1, rep=0)
    for hire, pick in steps:
        if hire:
            expected = min(set(range(len(roster.taken) + 1)) - roster.taken)
            assert roster.free_seat() == expected
            roster.new_head(expected, seed=1, rep=0)
        elif roster.taken:
            roster.release(sorted(roster.taken)[pick % len(roster.taken)])


@pytest.mark.parametrize("seed", range(6))
def test_a_months_arrivals_are_ordered_as_numpys_stable_argsort(seed) -> None:
    """`stable_order` (a merge of ascending runs when compiled): rows by day, equal days in
    row order, then the end marker; runs, ties and a single row alike."""
    from array import array

    from sim.pipeline import stable_order

    rng = np.random.default_rng(seed)
    n = [0, 1, 2, 7, 300, 1000][seed]
    runs = [np.sort(rng.integers(0, 40, size)).astype(float)  # ties within and across runs
            for size in rng.integers(1, 30, n // 5 + 1)]
    days = np.concatenate(runs)[:n] if n else np.zeros(0)
    if seed % 2:
        days = rng.permutation(days)  # no runs to speak of
    got = stable_order(array("d", days.tobytes()), n)
    assert list(got) == [*np.argsort(days, kind="stable").tolist(), n]


@pytest.mark.parametrize("days", [
    [5.0, -3.5, 5.0, -3.5, 0.0, 1e-300, -1e-300, 0.0],  # negative, tiny, ties
    [2.0] * 9,  # all alike (no range to bucket)
    [1.7e308, -1.7e308, 0.0, 1.7e308, -1.7e308],  # a range past a double's (merged)
    [-91.25, -91.25, -60.83, -91.25 + 1e-13, -60.83 - 1e-13],  # ties a rounding apart
    list(np.random.default_rng(7).uniform(-30.4, 0.0, 500)),  # a warm-up month's days
])
def test_stable_order_keeps_equal_days_in_row_order_at_any_range(days) -> None:
    from array import array

    from sim.pipeline import stable_order

    values = np.array(days, dtype=float)
    got = stable_order(array("d", values.tobytes()), len(values))
    assert list(got) == [*np.argsort(values, kind="stable").tolist(), len(values)]
