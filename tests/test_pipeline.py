"""The pipeline loop on hand-worked cases: routing, capacity, closes and hand-overs."""

from __future__ import annotations

import math

from sim.metrics import Layout
from sim.people import Head, Roster
from sim.pipeline import ROUTED_INBOUND, SELF, Pipeline
from tests.factories import plan

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


def routed(day: float) -> tuple:
    return (day, ROUTED_INBOUND, 0, 0.5, 0.0, 0.0)


def test_routing_takes_the_most_spare_capacity_first_in_order_on_ties() -> None:
    pipeline = Pipeline(1, rows(), lambda *deal: None)
    a, b, c = sellers(pipeline, [1.0, 2.0, 2.0])
    pipeline.new_month([routed(1.0), routed(2.0), routed(3.0), routed(4.0), routed(5.0)])
    pipeline.work_until(6.0)  # before any 10-day cycle ends
    # spares (1, 2, 2): b (tied with c, first) -> (1, 1, 2): c -> (1, 1, 1): a, b, c
    assert [h.n_open for h in (a, b, c)] == [1, 2, 2]
    assert pipeline.spares[0] == [0.0, 0.0, 0.0]
    assert pipeline.created[ROUTED_INBOUND][0] == 5 and pipeline.unworked[0] == 0


def test_nobody_with_room_leaves_the_opportunity_unworked() -> None:
    pipeline = Pipeline(1, rows(), lambda *deal: None)
    sellers(pipeline, [1.0, 0.5])
    pipeline.new_month([routed(1.0), routed(2.0), routed(3.0)])
    pipeline.work_until(6.0)
    # the first takes seller 0 to 0; the second goes to seller 1 (0.5 > 0); then none
    assert pipeline.created[ROUTED_INBOUND][0] == 3 and pipeline.unworked[0] == 1


def test_a_close_frees_capacity_for_the_next_arrival() -> None:
    pipeline = Pipeline(1, rows(), lambda *deal: None)
    (head,) = sellers(pipeline, [1.0])
    own = (1.0, SELF, head, 0.5, 0.0, 0.0)
    blocked = (5.0, SELF, head, 0.5, 0.0, 0.0)  # full: its opportunity closes on day 11
    after = (12.0, SELF, head, 0.5, 0.0, 0.0)
    pipeline.new_month([own, blocked, after])
    pipeline.work_until(20.0)
    assert pipeline.created[SELF][0] == 2 and head.opps == 2
    assert head.wins == 1 and head.n_open == 1  # day 11 closed; day 22 is still open


def test_a_leavers_deals_go_one_by_one_to_the_most_spare_even_beyond_capacity() -> None:
    pipeline = Pipeline(1, rows(), lambda *deal: None)
    leaver, b, c = sellers(pipeline, [5.0, 1.0, 0.0])
    pipeline.new_month([(float(day), SELF, leaver, 0.5, 0.0, 0.0) for day in (1, 2, 3, 4)])
    pipeline.work_until(5.0)
    assert leaver.n_open == 4
    leaver.active = False
    pipeline.leave(leaver, 5.0)
    # spares (b, c) = (1, 0): b -> (0, 0): b, first -> (-1, 0): c -> (-1, -1): b
    assert (b.n_open, c.n_open) == (3, 1)
    assert pipeline.spares[0] == [-2.0, -1.0]
    pipeline.new_month([])
    pipeline.work_until(30.0)  # all four close (days 11-14) and are won by their new owners
    assert (b.wins, c.wins, leaver.wins) == (3, 1, 0)
    assert pipeline.won[0][0] == 4


def test_a_last_leavers_deals_are_lost_that_day() -> None:
    pipeline = Pipeline(1, rows(), lambda *deal: None)
    (head,) = sellers(pipeline, [3.0])
    pipeline.new_month([(1.0, SELF, head, 0.5, 0.0, 0.0), (2.0, SELF, head, 0.5, 0.0, 0.0)])
    pipeline.work_until(3.0)
    head.active = False
    pipeline.leave(head, 3.0)
    assert pipeline.lost[0] == 2 and pipeline.open_count() == 0
    pipeline.new_month([])
    pipeline.work_until(30.0)  # nothing is left to close
    assert pipeline.won[0][0] == 0 and pipeline.lost[0] == 2
