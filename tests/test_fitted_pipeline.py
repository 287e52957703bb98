"""The pipeline mechanisms a fitted scenario needs (issue 14): opportunities that never
decide, an empirical cycle, a deal-size mix, sellers who differ in pipeline.

Each is held to something the engine does not compute: a closed form, a hand-worked table,
or a law checked on draws made here, with tolerances of 4 standard errors at fixed seeds
(`assert_mean`). Each test fails when its mechanism is switched off
(`benchmarks/mutations.py`, the entries naming this file).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from sim import steady
from sim.model import Model
from sim.plan import MONTH_DAYS, Empirical, Lognormal, Mix, compile_plan
from sim.runner import run_plan
from sim.scenario import scenario_to_yaml
from sim.scenario.schema import DealPart, Dist, Scenario
from tests.factories import SEGMENT, scenario_dict
from tests.test_closed_forms import Z, assert_mean
from tests.test_mechanisms import series
from tests.test_mechanisms_bite import sellers

ARRIVALS_PER_DAY = 10 * 4 / MONTH_DAYS  # the factory's 10 sellers x 4 opportunities a month
TABLE = [[0.1, 9], [0.5, 45], [0.9, 120], [1.0, 200]]
TABLE_MEAN = 0.1 * 4.5 + 0.4 * 27 + 0.4 * 82.5 + 0.1 * 160  # from [0, 0]: 60.25 days


def fitted_plan(segment: dict | None = None, ae: dict | None = None, **changes: object):
    """The factory's steady team with its segment's keys replaced by `segment` (whole
    mappings: a mix or a table does not merge with a mean) and `ae` merged into the role."""
    data = scenario_dict(**changes)
    data["segments"]["mid"] = {**data["segments"]["mid"], **(segment or {})}
    data["roles"]["ae"].update(ae or {})
    return compile_plan(Scenario.model_validate(data))


# ---- no decision ----------------------------------------------------------------------


def test_undecided_opportunities_book_nothing_and_leave_the_rest_alone() -> None:
    """Steady state: bookings scale by (1 − share) (win_rate is of decided opportunities),
    the decided close at (1 − share) of the arrival rate, and the open pipeline is Little's
    law on the time open: (1 − s)·E[cycle] + s·after_days."""
    share, drop = 0.3, 120.0
    p = fitted_plan({"no_decision": {"share": share, "after_days": drop}},
                    replications=200, quarters=2)
    raw, _ = run_plan(p, 200)
    decided = 1 - share
    assert_mean(series(raw, p, "bookings").mean(axis=1), 10 * 4 * 0.25 * decided * 40_000)
    closed = series(raw, p, "opps_won") + series(raw, p, "opps_lost")
    assert_mean(closed.mean(axis=1), 10 * 4 * decided)
    assert_mean(series(raw, p, "open_opps").mean(axis=1),
                ARRIVALS_PER_DAY * (decided * 60 + share * drop))


def test_the_steady_start_holds_undecided_opportunities_older_than_the_warm_up() -> None:
    """A drop age of 600 days outlasts the longest warm-up (12 months): the open pipeline at
    day 0 is Little's law only if the stationary draw holds the old undecided ones, and the
    first quarter's wins are the decided share's only if each keeps its outcome."""
    share, drop = 0.3, 600.0
    p = fitted_plan({"no_decision": {"share": share, "after_days": drop}},
                    replications=200, quarters=1)
    assert p.warm_months == 12
    raw, _ = run_plan(p, 200)
    assert_mean(series(raw, p, "open_opps")[:, 0],
                ARRIVALS_PER_DAY * ((1 - share) * 60 + share * drop))
    assert_mean(series(raw, p, "opps_won").sum(axis=1), 3 * 10 * 4 * 0.25 * (1 - share))


def test_undecided_opportunities_hold_capacity() -> None:
    """A seller full of undecided opportunities sources nothing: with a cap of 2 and deals
    that never decide for a year, almost every arrival is lost to capacity."""
    p = fitted_plan({"no_decision": {"share": 0.9, "after_days": 365}},
                    ae={"max_open_opps": 2}, replications=20, quarters=1)
    raw, _ = run_plan(p, 20)
    created = series(raw, p, "opps_created_self").sum()
    assert series(raw, p, "opps_lost_to_capacity").sum() > 5 * created


def test_warm_up_covers_the_time_open_with_undecided_opportunities() -> None:
    """By hand: a 90% quantile of the time open of max(cycle's, drop age) where the drop's
    share reaches past 10%; below it the cycle's quantile at (0.9 − s)/(1 − s)."""
    assert fitted_plan({"no_decision": {"share": 0.3, "after_days": 200}}).warm_months == 7
    few = fitted_plan({"cycle_days": {"mean": 60, "cv": 0.0},
                       "no_decision": {"share": 0.05, "after_days": 300}})
    assert few.warm_months == 3  # 60 days: the drop at 300 is beyond the 90% quantile


# ---- empirical cycle ------------------------------------------------------------------


def test_an_empirical_cycle_has_its_tables_quantiles_and_mean() -> None:
    table = Empirical.of(TABLE)
    assert table.mean == pytest.approx(TABLE_MEAN)
    z = np.random.default_rng(1).standard_normal(40_000)
    days = np.array([table.at(v) for v in z])
    for p, value in TABLE[:-1]:  # P(C <= the table's value at p) = p
        below = (days <= value).astype(float)
        assert_mean(below, p)
    assert_mean(days, TABLE_MEAN)
    assert np.all(np.diff(days[np.argsort(z)]) >= 0)  # monotone in z: CRN pairs as before


def test_an_empirical_cycles_length_biased_law_has_the_closed_form_mean() -> None:
    """The length-biased mean is E[C²] / E[C]; for a flat density on [a, b] with probability
    w, E[C²] gains w·(a² + ab + b²)/3."""
    knots = [(0.0, 0.0)] + [tuple(pair) for pair in TABLE]
    second = sum((p1 - p0) * (a * a + a * b + b * b) / 3
                 for (p0, a), (p1, b) in zip(knots, knots[1:], strict=False))
    z = np.random.default_rng(2).standard_normal(40_000)
    assert_mean(np.array([Empirical.of(TABLE).length_biased(v) for v in z]),
                second / TABLE_MEAN)


def test_an_empirical_cycle_runs_in_the_engine_from_day_0() -> None:
    """Won deals' mean cycle is the table's mean; the open pipeline at day 0 is Little's law
    also with a tail (to 1,000 days) far beyond the warm-up."""
    p = fitted_plan({"cycle_days": {"quantiles": TABLE}}, replications=200, quarters=2)
    assert p.warm_months == math.ceil(120 / MONTH_DAYS)  # the table's 90% quantile
    raw, _ = run_plan(p, 200)
    cycles = series(raw, p, "cycle_days_won_sum").sum(axis=1)
    won = series(raw, p, "opps_won").sum(axis=1)
    mean = cycles.sum() / won.sum()
    se = np.sqrt(np.sum((cycles - mean * won) ** 2)) / won.sum()  # of a ratio estimator
    assert abs(mean - TABLE_MEAN) < Z * se
    tail = [[0.5, 30], [0.9, 90], [1.0, 1000]]
    long = fitted_plan({"cycle_days": {"quantiles": tail}}, replications=200, quarters=1)
    assert long.warm_months == 3
    raw, _ = run_plan(long, 200)
    assert_mean(series(raw, long, "open_opps")[:, 0],
                ARRIVALS_PER_DAY * Empirical.of(tail).mean)


# ---- deal-size mix --------------------------------------------------------------------

MIX = [{"share": 0.7, "mean": 20_000, "cv": 0.5, "name": "core"},
       {"share": 0.3, "mean": 90_000, "cv": 0.4, "name": "suite"}]


def test_a_mix_draws_each_component_with_its_share() -> None:
    exact = Mix.of([DealPart(share=0.7, mean=20_000), DealPart(share=0.3, mean=90_000)])
    z = np.random.default_rng(3).standard_normal(20_000)
    sizes = np.array([exact.at(v) for v in z])
    core = np.isclose(sizes, 20_000)
    assert np.all(core | np.isclose(sizes, 90_000))
    assert_mean(core.astype(float), 0.7)
    one = Mix.of([DealPart(share=1.0, mean=50_000, cv=0.8)])  # a lognormal's mean and cv
    sizes = np.array([one.at(v) for v in z])
    assert_mean(sizes, 50_000)
    assert sizes.std() / sizes.mean() == pytest.approx(0.8, rel=0.1)


def test_a_mix_books_its_mean_deal() -> None:
    p = fitted_plan({"deal_size": {"mix": MIX}}, replications=300, quarters=1)
    assert p.segments[0].deal.mean == 0.7 * 20_000 + 0.3 * 90_000
    raw, _ = run_plan(p, 300)
    assert_mean(series(raw, p, "bookings").mean(axis=1), 10 * 4 * 0.25 * 41_000)


# ---- sellers differ in pipeline -------------------------------------------------------


def test_opps_spread_gives_each_seller_a_rate_with_that_cv() -> None:
    """Opportunities of a seller over the horizon: Poisson given the seller's multiplier m
    (mean 1, cv c), so mean μ and variance μ + μ²c² (the spread net of Poisson noise)."""
    spread, months = 0.5, 6
    p = fitted_plan(ae={"opps_spread": spread}, replications=200, quarters=2)
    _, rows = run_plan(p, 200)
    opps = sellers(rows, "ae")["opps"].astype(float)
    mu = 4 * months
    assert_mean(opps, mu)
    squares = (opps - mu) ** 2  # the variance as a mean, with its own standard error
    assert_mean(squares, mu + mu * mu * spread * spread)


def test_the_steady_start_gives_a_seller_open_pipeline_by_their_own_rate() -> None:
    """A fully ramped seat held for two years without attrition: its open opportunities at
    the start are Poisson with mean rate × m × E[cycle] for the occupant's multiplier m."""
    p = fitted_plan(ae={"opps_spread": 0.5})
    role, rate = p.roles[0], 4 / MONTH_DAYS
    for factor in (0.4, 2.5):
        counts = np.array([len(steady.seat_opportunities(
            p, role, 0, rep, 0.0, rate, False, 730.0, lambda _day: 1.0, 1.0, factor))
            // steady.OPEN for rep in range(2000)], dtype=float)
        assert_mean(counts, rate * factor * 60)


def test_the_model_starts_each_seller_with_their_own_multiplier(monkeypatch) -> None:
    seen: dict[int, float] = {}
    draw = steady.seat_opportunities

    def spy(plan, role, seat, *args):
        seen[seat] = args[-1]
        return draw(plan, role, seat, *args)

    monkeypatch.setattr(steady, "seat_opportunities", spy)
    model = Model(fitted_plan(ae={"opps_spread": 0.5}, quarters=1), 0)
    model.run()
    heads = {head.seat: head.opps_factor for head in model.all_sellers}
    assert len(set(heads.values())) == 10 and seen == heads


def test_opps_spread_leaves_every_other_draw_alone() -> None:
    """The multiplier comes from a stream of its own: skills and a spread of 0 are as before."""
    base = fitted_plan(ae={"skill_sigma": 0.4}, replications=5, quarters=1)
    spread = fitted_plan(ae={"skill_sigma": 0.4, "opps_spread": 0.7}, replications=5,
                         quarters=1)
    zero = fitted_plan(ae={"skill_sigma": 0.4, "opps_spread": 0.0}, replications=5, quarters=1)
    (raw_base, rows_base), (_, rows_spread) = run_plan(base, 5), run_plan(spread, 5)
    assert sellers(rows_base)["skill"].tolist() == sellers(rows_spread)["skill"].tolist()
    assert sellers(rows_base)["opps"].tolist() != sellers(rows_spread)["opps"].tolist()
    raw_zero, rows_zero = run_plan(zero, 5)
    assert np.array_equal(raw_base, raw_zero) and rows_base == rows_zero


# ---- unchanged without the keys, bad values ---------------------------------------------


def test_plain_forms_compile_as_before() -> None:
    p = fitted_plan()
    seg = p.segments[0]
    assert seg.deal == Lognormal.of(Dist(mean=40_000, cv=0.5)) and seg.no_decision == 0
    assert seg.cycle == Lognormal.of(Dist(mean=60, cv=0.5)) and p.roles[0].opps_spread == 0
    assert "no_decision" not in Scenario.model_validate(scenario_dict()).model_dump(
        )["segments"]["mid"]  # an older scenario dumps and hashes as before


def test_the_new_forms_show_and_load_back(tmp_path: Path) -> None:
    data = scenario_dict()
    data["segments"]["mid"] = {"win_rate": 0.25, "deal_size": {"mix": MIX},
                               "cycle_days": {"quantiles": TABLE},
                               "no_decision": {"share": 0.16, "after_days": 180}}
    data["roles"]["ae"]["opps_spread"] = 0.5
    scenario = Scenario.model_validate(data)
    shown = scenario_to_yaml(scenario)
    assert "- {share: 0.7, mean: 20000, cv: 0.5, name: core}" in shown
    assert Scenario.model_validate(yaml.safe_load(shown)) == scenario


BAD = [
    ({"deal_size": {"mix": [dict(MIX[0], share=0.6), MIX[1]]}},
     "segments.mid.deal_size.mix", "the shares sum to 0.9; expected shares that sum to 1"),
    ({"deal_size": {"mean": 40_000, "mix": MIX}}, "segments.mid.deal_size.mean",
     "'mean' and 'mix' are both set"),
    ({"deal_size": {"mix": [dict(MIX[0], share=0)]}}, "segments.mid.deal_size.mix[0].share",
     "expected a number in (0, 1]"),
    ({"cycle_days": {"quantiles": [[0.5, 45], [0.4, 60], [1.0, 90]]}},
     "segments.mid.cycle_days.quantiles", "pair 2 has p = 0.4; expected p increasing"),
    ({"cycle_days": {"quantiles": [[0.5, 45], [0.9, 30], [1.0, 90]]}},
     "segments.mid.cycle_days.quantiles", "pair 2 has 30 days, fewer than the 45 before"),
    ({"cycle_days": {"quantiles": [[0.5, 45], [0.9, 60]]}},
     "segments.mid.cycle_days.quantiles", "expected a table that ends at p = 1"),
    ({"cycle_days": {"quantiles": [[0.5, 45, 3], [1.0, 60]]}},
     "segments.mid.cycle_days.quantiles[0]", "expected"),
    ({"cycle_days": {"cv": 0.5, "quantiles": TABLE}}, "segments.mid.cycle_days.cv",
     "'cv' and 'quantiles' are both set"),
    ({"no_decision": {"share": 1.0, "after_days": 90}}, "segments.mid.no_decision.share",
     "expected a number"),
    ({"no_decision": {"share": 0.2}}, "segments.mid.no_decision.after_days",
     "required key is missing"),
]


@pytest.mark.parametrize(("segment", "path", "expected"), BAD)
def test_a_bad_value_is_one_line_exit_2(tmp_path: Path, segment: dict, path: str,
                                        expected: str) -> None:
    data = scenario_dict(replications=2, quarters=1)
    data["segments"]["mid"] = {**SEGMENT, **segment}  # a form replaces the whole mapping
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    assert path in result.stderr and expected in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_opps_spread_is_a_seller_or_sdr_key(tmp_path: Path) -> None:
    data = scenario_dict(replications=2, quarters=1)
    data["roles"]["csm"] = {"kind": "csm", "book_per_head": 2_000_000, "opps_spread": 0.5}
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "roles.csm.opps_spread" in result.stderr and "not used by a role of kind 'csm'" \
        in result.stderr
