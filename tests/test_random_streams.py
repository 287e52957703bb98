"""Common random numbers and determinism."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.arrivals import Arrivals
from sim.runner import run_plan
from sim.streams import HEAD, OppDraws, key_words, stream
from tests.factories import plan
from tests.profiles import examples

STEADY = {"ae": {"skill_sigma": 0.3, "max_open_opps": 30, "ramp": [0.2, 0.6, 1.0],
                 "tenure_months": [1, 2, 5, 9, 12, 14, 20, 30, 40, 60]}}


def today_rows(sellers: list[tuple]) -> list[tuple]:
    return sorted(row for row in sellers if row[4] < 0)  # hired before the horizon


def test_adding_hires_leaves_todays_sellers_unchanged() -> None:
    base = plan(replications=20, roles=STEADY)
    hire5 = plan(replications=20, roles=STEADY,
                 hiring=[{"role": "ae", "count": 5, "month": "2027-01"}])
    _, base_rows = run_plan(base, 20)
    _, hire_rows = run_plan(hire5, 20)
    assert len(today_rows(base_rows)) == 200
    assert today_rows(base_rows) == today_rows(hire_rows)
    assert len(hire_rows) == len(base_rows) + 100


def test_the_crn_check_is_sensitive_to_routed_pipeline() -> None:
    """Guard: with routed pipeline the new seats do take opportunities from today's team."""
    routed = {"mid": {"inbound_opps_per_month": 40}}
    base = plan(replications=10, roles=STEADY, segments=routed)
    hire5 = plan(replications=10, roles=STEADY, segments=routed,
                 hiring=[{"role": "ae", "count": 5, "month": "2027-01"}])
    _, base_rows = run_plan(base, 10)
    _, hire_rows = run_plan(hire5, 10)
    assert today_rows(base_rows) != today_rows(hire_rows)


def test_same_seed_same_results_whatever_the_workers() -> None:
    p = plan(replications=60, roles={"ae": {"attrition": 0.3, "time_to_hire_days": 50}},
             segments={"mid": {"inbound_opps_per_month": 10}})
    raw1, rows1 = run_plan(p, 60, workers=1)
    raw2, rows2 = run_plan(p, 60, workers=2)
    np.testing.assert_array_equal(raw1, raw2)
    assert pd.DataFrame(rows1).equals(pd.DataFrame(rows2))  # NaN-aware row equality


def test_a_different_seed_gives_different_results() -> None:
    a, _ = run_plan(plan(replications=5, seed=1), 5)
    b, _ = run_plan(plan(replications=5, seed=2), 5)
    assert not np.array_equal(a, b)


def test_replication_depends_only_on_its_index() -> None:
    p = plan(replications=10)
    raw_all, _ = run_plan(p, 10)
    raw_three, _ = run_plan(p, 3)
    np.testing.assert_array_equal(raw_all[:3], raw_three)


def _arrival_days(draws: OppDraws, cuts: list[float], rate: float) -> list[float]:
    out = Arrivals()
    for start, end in zip(cuts, cuts[1:], strict=False):
        draws.between(start, end, rate, 0, None, out)
    return [day for day, *_ in out.rows()]


@given(st.lists(st.floats(0.01, 99.99), max_size=12), st.floats(0.001, 20.0))
@settings(max_examples=examples(60), deadline=None)
def test_arrivals_do_not_depend_on_how_the_interval_is_cut(cuts, rate) -> None:
    # the gap left over at a cut carries over, so one process is drawn whatever the cuts
    whole = _arrival_days(OppDraws(stream(7, 0, HEAD, 1)), [0.0, 100.0], rate)
    pieces = _arrival_days(OppDraws(stream(7, 0, HEAD, 1)), [0.0, *sorted(cuts), 100.0], rate)
    assert len(pieces) == len(whole)
    assert pieces == pytest.approx(whole, rel=1e-9, abs=1e-9)


def test_arrival_counts_are_poisson() -> None:
    # 2,000 sources x 30 days at 0.5 a day: mean and variance of the count are both 15
    counts = np.array([
        len(_arrival_days(OppDraws(stream(3, 0, HEAD, 2, seat)), [0.0, 10.0, 30.0], 0.5))
        for seat in range(2000)
    ])
    se_mean = math.sqrt(15 / len(counts))
    assert abs(counts.mean() - 15) < 4 * se_mean
    # the sample variance of a Poisson(15) count has sd ~ sqrt(2 * 15^2 / n)
    assert abs(counts.var(ddof=1) - 15) < 4 * math.sqrt(2 * 15**2 / len(counts))


# Pairs of keys whose words would coincide without the seed's word count in front: a seed
# of two words swallows the replication, and the identity's extra word makes up the length.
COLLISIONS_WITHOUT_LENGTH = [
    ((2**32, 0, 1, (1,)), (0, 1, 0, (1, 1))),
    ((2**32 + 5, 7, 1, (3, 4)), (5, 1, 7, (1, 3, 4))),
    ((2**64, 0, 0, (2,)), (0, 0, 1, (0, 0, 2))),
]


def test_stream_keys_are_one_to_one() -> None:
    assert not np.array_equal(key_words(1, 2, 3, (4,)), key_words(1, 2, 3, (4, 0)))
    assert not np.array_equal(key_words(2**32, 0, 1, ()), key_words(0, 1, 1, ()))
    for one, other in COLLISIONS_WITHOUT_LENGTH:
        assert not np.array_equal(key_words(*one), key_words(*other)), (one, other)
        assert stream(one[0], one[1], one[2], *one[3]).random() != stream(
            other[0], other[1], other[2], *other[3]).random()
    with pytest.raises(ValueError):
        key_words(1, 2**32, 1, ())
