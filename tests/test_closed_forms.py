"""The engine against closed forms, with tolerances from the standard error.

Every check uses fixed seeds, so it is deterministic; the tolerance is 4 standard errors of
the Monte Carlo estimate, so a correct engine fails it with probability < 1e-4 for any seed.
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


def per_replication(raw: np.ndarray, p, name: str) -> np.ndarray:
    return raw[:, layout_for(p).index[name], :]


def assert_mean(samples: np.ndarray, expected: float) -> None:
    mean = samples.mean()
    se = samples.std(ddof=1) / math.sqrt(len(samples))
    assert abs(mean - expected) < Z * se, f"mean {mean:.6g}, expected {expected:.6g}, se {se:.3g}"


def test_steady_state_bookings_equal_heads_times_rate_times_win_rate_times_deal() -> None:
    p = plan(replications=300)
    raw, _ = run_plan(p, 300)
    monthly = per_replication(raw, p, "bookings").mean(axis=1)  # per replication
    expected = 10 * 4 * 0.25 * 40_000  # heads x opps/month x win rate x mean deal
    assert_mean(monthly, expected)


def test_open_pipeline_follows_littles_law() -> None:
    p = plan(replications=300)
    raw, _ = run_plan(p, 300)
    open_opps = per_replication(raw, p, "open_opps").mean(axis=1)
    arrival_per_day = 10 * 4 / MONTH_DAYS
    assert_mean(open_opps, arrival_per_day * 60.0)


def test_win_rate_and_deal_size_match_the_segment() -> None:
    p = plan(replications=200)
    raw, _ = run_plan(p, 200)
    won = per_replication(raw, p, "opps_won").sum(axis=1)
    lost = per_replication(raw, p, "opps_lost").sum(axis=1)
    bookings = per_replication(raw, p, "bookings").sum(axis=1)
    assert_mean(won / (won + lost), 0.25)
    assert_mean(bookings / won, 40_000)


def test_arr_after_a_year_of_churn_and_expansion() -> None:
    p = plan(
        replications=400,
        quarters=4,
        roles={"ae": {"opps_per_month": 0}},
        customers={"count": 500, "arr": 10_000_000, "churn": 0.2, "expansion": 0.1},
    )
    raw, _ = run_plan(p, 400)
    arr_year_end = per_replication(raw, p, "arr")[:, 11]
    assert_mean(arr_year_end, 10_000_000 * (1 - 0.2) * (1 + 0.1))
    customers = per_replication(raw, p, "customers")[:, 11]
    assert_mean(customers, 500 * (1 - 0.2))


def test_warm_start_books_the_same_in_month_1_as_in_month_24() -> None:
    p = plan(replications=400, roles={"ae": {"max_open_opps": 40}})
    raw, _ = run_plan(p, 400)
    bookings = per_replication(raw, p, "opps_won")
    difference = bookings[:, 0] - bookings[:, 23]
    assert_mean(difference, 0.0)
    # and the pipeline at the first month's end is already at its steady level
    open_opps = per_replication(raw, p, "open_opps")
    assert_mean(open_opps[:, 0] - open_opps[:, 23], 0.0)


def test_a_cold_start_would_fail_the_warm_start_check() -> None:
    """Guard for the test above: without warm-up or a drawn open pipeline, month 1 books
    visibly less."""
    from dataclasses import replace

    p = replace(plan(replications=200), warm_months=0, open_pipeline=False)
    raw, _ = run_plan(p, 200)
    won = per_replication(raw, p, "opps_won")
    assert won[:, 0].mean() < 0.75 * won[:, 23].mean()


def test_ramp_lowers_pipeline_by_the_curve() -> None:
    """New hires with ramp [0, 0.5, 1]: their first three months' pipeline is 0, 0.5, 1."""
    p = plan(
        replications=300,
        roles={"ae": {"headcount": 0, "ramp": [0.0, 0.5, 1.0], "opps_per_month": 6}},
        hiring=[{"role": "ae", "count": 10, "month": "2027-01"}],
    )
    raw, _ = run_plan(p, 300)
    created = per_replication(raw, p, "opps_created_self")
    assert created[:, 0].sum() == 0
    assert_mean(created[:, 1], 10 * 6 * 0.5)
    assert_mean(created[:, 2], 10 * 6 * 1.0)


@pytest.mark.parametrize("speed", [2.0])
def test_ramp_speed_moves_along_the_curve_faster(speed: float) -> None:
    p = plan(
        replications=300,
        roles={"ae": {"headcount": 0, "ramp": [0.0, 0.0, 1.0], "opps_per_month": 6}},
        hiring=[{"role": "ae", "count": 10, "month": "2027-01"}],
        programs={"onboard": {"start": "2027-01", "effects": {"ramp_speed": speed},
                              "targets": {"role": "ae", "who": "new_hires"}}},
    )
    raw, _ = run_plan(p, 300)
    created = per_replication(raw, p, "opps_created_self")
    # At double speed, month 2 of progress (ramp 1.0) starts after 1 calendar month.
    assert created[:, 0].sum() == 0
    assert_mean(created[:, 1], 10 * 6 * 1.0)
