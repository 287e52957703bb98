"""Opportunities lost to capacity: a full seller's own arrivals are counted, not hidden.

One seller with room for C open opportunities, Poisson arrivals at rate λ and a lognormal
cycle T is an M/G/C/C loss system (each slot a server): by Erlang's loss formula, which
does not depend on the service distribution beyond its mean, a share B(C, λ·E[T]) of the
arrivals finds the seller full. By PASTA the expected arrivals lost in the horizon are
exactly B times those offered, so the check is on lost − B·offered per replication, with
a tolerance of 4 standard errors of its mean over replications (fixed seeds).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import layout_for
from sim.plan import MONTH_DAYS
from sim.runner import run_plan
from tests.factories import plan

Z = 4.0
CYCLE = {"mean": 60, "cv": 0.5}


def erlang_b(servers: int, load: float) -> float:
    """Erlang's loss formula B(C, a) by its stable recursion."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def one_seller(capacity: int | None, load: float, replications: int):
    """A single fully ramped seller without levers, arrivals at λ = load / E[T] a day."""
    seller = {"headcount": 1, "ramp": [1.0], "tenure_months": 24,
              "opps_per_month": load / CYCLE["mean"] * MONTH_DAYS}
    if capacity is not None:
        seller["max_open_opps"] = capacity
    p = plan(replications=replications, segments={"mid": {"cycle_days": CYCLE}},
             roles={"ae": seller})
    raw, _ = run_plan(p, replications)
    index = layout_for(p).index
    return {name: raw[:, index[name], :] for name in index}


def test_erlang_b_recursion_matches_the_textbook_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(5, 4.0) == pytest.approx(0.1991, abs=1e-4)
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=1e-4)


@pytest.mark.parametrize(("capacity", "load"), [(5, 4.0), (10, 10.0)])
def test_a_full_seller_loses_the_erlang_b_share_of_its_own_arrivals(
    capacity: int, load: float
) -> None:
    reps = 400
    rows = one_seller(capacity, load, reps)
    lost = rows["opps_lost_to_capacity"].sum(axis=1)
    offered = lost + rows["opps_created_self"].sum(axis=1)
    b = erlang_b(capacity, load)
    excess = lost - b * offered  # mean 0 for a loss system in steady state
    se = excess.std(ddof=1) / math.sqrt(reps)
    assert abs(excess.mean()) < Z * se, (
        f"lost share {lost.sum() / offered.sum():.4f}, Erlang B {b:.4f}, "
        f"excess {excess.mean():.3f} ± {se:.3f}"
    )
    # and the offered arrivals come at the rate they would arrive: λ over the horizon
    horizon = rows["opps_created_self"].shape[1] * MONTH_DAYS
    expected = load / CYCLE["mean"] * horizon
    se_offered = offered.std(ddof=1) / math.sqrt(reps)
    assert abs(offered.mean() - expected) < Z * se_offered


def test_created_plus_lost_to_capacity_is_what_an_unlimited_seller_creates() -> None:
    """The same draws with no capacity limit: every arrival offered is created, so the
    capped seller's created + lost equals it exactly, month by month."""
    capped = one_seller(5, 6.0, 20)
    unlimited = one_seller(None, 6.0, 20)
    assert capped["opps_lost_to_capacity"].sum() > 0
    assert unlimited["opps_lost_to_capacity"].sum() == 0
    np.testing.assert_array_equal(
        capped["opps_created_self"] + capped["opps_lost_to_capacity"],
        unlimited["opps_created_self"],
    )


def test_routed_opportunities_are_unworked_not_lost_to_capacity() -> None:
    """Inbound that finds every seller full stays `opps_unworked`; only a seller's own
    arrivals count as lost to capacity."""
    p = plan(replications=10, quarters=2,
             segments={"mid": {"inbound_opps_per_month": 40}},
             roles={"ae": {"headcount": 1, "opps_per_month": 0, "max_open_opps": 3}})
    raw, _ = run_plan(p, 10)
    index = layout_for(p).index
    assert raw[:, index["opps_unworked"], :].sum() > 0
    assert raw[:, index["opps_lost_to_capacity"], :].sum() == 0
