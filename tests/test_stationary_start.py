"""The stationary start (sim.steady): with nothing changed, a scenario is flat from Q1 on.

Flatness is checked per replication (replications are independent, so their spread gives
the standard errors): the mean over replications of each replication's least-squares slope
over Q1..Q8 is within 2 SE of 0, and Q1 is within 2 SE of the mean of Q2..Q8 (paired).
Fixed seeds; the replication counts make the checks fail on a start with today's team all
at one tenure and no vacancies (the code before the stationary start).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sim import steady
from sim.api import load
from sim.model import Model, layout_for
from sim.plan import MONTH_DAYS, Plan, compile_plan, month_of
from sim.runner import run_plan
from sim.scenario.schema import Scenario
from tests.factories import scenario_dict

ROOT = Path(__file__).resolve().parent.parent
Z = 2.0  # the tolerance: two standard errors
TURNOVER = {"attrition": 1 / 3, "backfill": True, "time_to_hire_days": {"mean": 55, "cv": 0.4},
            "ramp": [0.0, 0.25, 0.5, 0.8, 1.0]}


def stationary_plan(**changes: object) -> Plan:
    """The factories' seller team with `tenure_months` unset (a stationary start)."""
    data = scenario_dict(**changes)
    for role in data["roles"].values():
        role.pop("tenure_months", None)
    return compile_plan(Scenario.model_validate(data))


def quarterly(raw: np.ndarray, plan: Plan, name: str, stock: bool = False) -> np.ndarray:
    """Replications x quarters: sums of a flow, or time-averages of a monthly stock."""
    monthly = raw[:, layout_for(plan).index[name], :]
    by_quarter = monthly.reshape(len(monthly), -1, 3)
    return by_quarter.mean(axis=2) if stock else by_quarter.sum(axis=2)


def assert_flat(series: np.ndarray, label: str) -> None:
    """`series` (replications x quarters) has no trend and no first-quarter step."""
    n, quarters = series.shape
    t = np.arange(quarters) - (quarters - 1) / 2
    slopes = series @ t / (t @ t)
    first = series[:, 0] - series[:, 1:].mean(axis=1)
    level = series.mean()
    for name, values in (("slope per quarter", slopes), ("Q1 - mean(Q2..)", first)):
        mean, se = values.mean(), values.std(ddof=1) / math.sqrt(n)
        assert abs(mean) < Z * se, (
            f"{label}: {name} {mean:.4g} (se {se:.3g}, level {level:.4g}) is not 0 within {Z} SE"
        )


def test_a_team_with_turnover_is_flat_from_the_first_quarter() -> None:
    p = stationary_plan(roles={"ae": TURNOVER})
    raw, _ = run_plan(p, 300)
    assert_flat(quarterly(raw, p, "bookings"), "bookings")
    assert_flat(quarterly(raw, p, "ramp_days", stock=True), "ramped sellers")
    assert_flat(quarterly(raw, p, "heads_ae", stock=True), "heads")
    assert_flat(quarterly(raw, p, "open_opps", stock=True), "open opportunities")


def test_a_long_tailed_cycle_starts_with_its_full_pipeline() -> None:
    """Mean 180 days, cv 3: the open pipeline is flat and equals arrivals x mean cycle."""
    p = stationary_plan(segments={"mid": {"cycle_days": {"mean": 180, "cv": 3}}},
                        roles={"ae": TURNOVER})
    raw, _ = run_plan(p, 200)
    open_opps = quarterly(raw, p, "open_opps", stock=True)
    assert_flat(open_opps, "open opportunities")
    assert_flat(quarterly(raw, p, "ramp_days", stock=True), "ramped sellers")
    # Little's law per replication: mean open = opportunities created per day x E[cycle]
    created = raw[:, layout_for(p).index["opps_created_self"], :].sum(axis=1)
    little = created / (p.months * MONTH_DAYS) * 180.0
    difference = open_opps.mean(axis=1) - little
    se = difference.std(ddof=1) / math.sqrt(len(difference))
    assert abs(difference.mean()) < Z * se, (difference.mean(), se, little.mean())
    assert little.mean() > 150  # the check is about a real pipeline (about 210 open)


def test_the_base_scenario_is_flat_from_the_first_quarter() -> None:
    """Heads (but the CSMs', which follow ARR) and ramped sellers flat; bookings, which
    follow the seasons, equal a year on."""
    p = compile_plan(load(ROOT / "scenarios" / "base.yaml"))
    raw, _ = run_plan(p, 120)
    assert_flat(quarterly(raw, p, "ramp_days", stock=True), "ramped sellers")
    # heads of the roles with a fixed headcount; the CSMs follow ARR (`follows`), which grows
    followers = sum(quarterly(raw, p, f"heads_{r.name}", stock=True)
                    for r in p.roles if r.follows is not None)
    assert not isinstance(followers, int)  # base has a follower (its CSMs)
    assert_flat(quarterly(raw, p, "heads_total", stock=True) - followers, "heads")
    # per unit of market: base's book grows into its 15,000 accounts, and creation scales by
    # (accounts - customers) / accounts (about 2.5% less a year on), which is not a dip
    customers = raw[:, layout_for(p).index["customers"], :]
    at_start = np.concatenate([np.full((len(raw), 1), p.customers_count), customers[:, :-1]],
                              axis=1)
    accounts = p.segments[0].accounts
    market = ((accounts - at_start) / accounts).reshape(len(raw), -1, 3).mean(axis=2)
    bookings = quarterly(raw, p, "bookings") / market
    year_on = bookings[:, 0] - bookings[:, 4]  # the same season a year apart
    se = year_on.std(ddof=1) / math.sqrt(len(year_on))
    assert abs(year_on.mean()) < Z * se, (year_on.mean(), se, bookings[:, 0].mean())


def test_an_explicit_tenure_is_today_s_tenure_with_no_vacancies() -> None:
    tenures = [0.5, 3, 30, 7]
    p = compile_plan(Scenario.model_validate(scenario_dict(
        roles={"ae": dict(TURNOVER, headcount=4, tenure_months=tenures)})))
    for replication in range(20):
        model = Model(p, replication)
        model.run()
        first = [h for h in model.all_sellers if h.occupant == 0]
        assert sorted(h.seat for h in first) == [0, 1, 2, 3]
        for head in first:
            assert head.hired_at == pytest.approx(-tenures[head.seat] * MONTH_DAYS)
        # nobody leaves and nobody is hired before day 0
        assert all(h.hired_at >= 0 for h in model.all_sellers if h.occupant > 0)


def test_the_stationary_people_draw_matches_its_closed_forms() -> None:
    """Over many seats: vacancy share E[T] / (E[T] + 1/a), mean tenure 1/a, and a vacancy's
    mean remaining wait E[T^2] / (2 E[T]) (the equilibrium residual)."""
    p = stationary_plan(roles={"ae": TURNOVER})
    role = p.role("ae")
    seats = 20_000
    draws = [steady.seat_start(p, role, seat, 0) for seat in range(seats)]
    vacant = np.array([d[0] for d in draws])
    ages = np.array([d[1] for d in draws])
    remaining = np.array([d[2] for d in draws])
    mean_wait, cv, a = 55.0, 0.4, (1 / 3) / 365.0
    share = mean_wait / (mean_wait + 1 / a)
    se = math.sqrt(share * (1 - share) / seats)
    assert abs(vacant.mean() - share) < 4 * se, (vacant.mean(), share)
    tenure = ages[~vacant]
    assert abs(tenure.mean() - 1 / a) < 4 * tenure.std() / math.sqrt(len(tenure))
    wait = remaining[vacant]
    residual = mean_wait * (1 + cv * cv) / 2
    assert abs(wait.mean() - residual) < 4 * wait.std() / math.sqrt(len(wait))
    elapsed = ages[vacant]
    assert abs(elapsed.mean() - residual) < 4 * elapsed.std() / math.sqrt(len(elapsed))


def test_without_backfill_or_attrition_every_seat_is_occupied() -> None:
    no_backfill = stationary_plan(roles={"ae": dict(TURNOVER, backfill=False)})
    no_attrition = stationary_plan(roles={"ae": dict(TURNOVER, attrition=0.0)})
    for p in (no_backfill, no_attrition):
        draws = [steady.seat_start(p, p.role("ae"), seat, 0) for seat in range(2000)]
        assert not any(d[0] for d in draws)
    # without attrition: a long tenure, fully ramped, the same for every seat
    tenures = {d[1] for d in (steady.seat_start(no_attrition, no_attrition.role("ae"), s, 0)
                              for s in range(10))}
    assert tenures == {steady.LONG_TENURE_MONTHS * MONTH_DAYS - no_attrition.warm_days}


def test_the_direct_draw_agrees_with_a_long_warm_up() -> None:
    """The open pipeline drawn at day 0 (no warm-up) against years of warm-up from empty."""
    p = replace(stationary_plan(roles={"ae": TURNOVER}), months=1)
    drawn = replace(p, warm_months=0)
    warmed = replace(p, warm_months=24, open_pipeline=False)
    runs = [run_plan(q, 400)[0] for q in (drawn, warmed)]
    for name in ("open_opps", "opps_won", "ramp_days"):
        first = [raw[:, layout_for(p).index[name], 0] for raw in runs]
        diff = first[0].mean() - first[1].mean()
        se = math.sqrt(sum(f.var(ddof=1) / len(f) for f in first))
        assert abs(diff) < 4 * se, (name, diff, se)



def test_a_season_is_the_segment_s_seasonality_at_the_day_s_calendar_month() -> None:
    """steady.Season (the compiled core's typed season factor) is the function it stands for,
    at month starts (exact), just before them and in the warm-up."""
    p = stationary_plan(start="2027-04",
                        segments={"mid": {"seasonality": [0.8 + k / 40 for k in range(12)]}})
    seg = p.segments[0]
    season = steady.Season(p, seg)
    days = [k * MONTH_DAYS + d for k in range(-14, 30) for d in (0.0, -1e-9, 3.5)]
    assert [season(day) for day in days] == [
        seg.seasonality[p.calendar_month(month_of(day))] for day in days]
    assert len(set(season(day) for day in days)) == 12
