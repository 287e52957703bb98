"""Headcount that follows a driver (`follows`), and trailing-twelve-month retention (grr,
nrr), against deterministic cases and closed forms. Fixed seeds; statistical tolerances are
4 standard errors (a correct engine fails one with probability < 1e-4 for any seed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.aggregate import period_metrics
from sim.model import Model, layout_for
from sim.plan import MONTH_DAYS, YEAR_DAYS, Plan, compile_plan
from sim.runner import run_plan
from sim.scenario import ScenarioError, load_scenario
from tests.factories import SELLER, plan

ROOT = Path(__file__).resolve().parent.parent
Z = 4.0

# A CSM role following ARR ($1M a head) on a book that only expands (no churn, no wins):
# ARR at the end of horizon month m is 10.3M x 1.8^((m + 1) / 12) (the warm-up leaves the book
# as it is), and a requisition opened at a month's start fills 45 days later, in the next
# month. `book_per_head` is huge so CSM load never bites.
ARR0, EXPANSION, PER, TTH, CSM_COST, CSM_HIRE = 10_300_000, 0.8, 1_000_000, 45, 120_000, 9_000
CSM = {"kind": "csm", "headcount": 0, "cost": CSM_COST, "hire_cost": CSM_HIRE,
       "time_to_hire_days": TTH, "book_per_head": 1e12, "follows": {"arr": PER}}


def expanding_book(**csm: object) -> Plan:
    return plan(
        replications=2,
        roles={"ae": {"opps_per_month": 0, "cost": 0}, "csm": dict(CSM, **csm)},
        customers={"count": 100, "arr": ARR0, "churn": 0.0, "expansion": EXPANSION},
    )


def arr_end(month: int) -> float:
    """ARR at the end of horizon month `month` (-1: day 0)."""
    return ARR0 * (1 + EXPANSION) ** ((month + 1) / 12)


def raw_of(p: Plan, replication: int = 0) -> tuple[np.ndarray, dict[str, int]]:
    return np.asarray(Model(p, replication).run().raw), layout_for(p).index


def test_csm_heads_track_arr_over_the_ratio_after_the_hiring_lag() -> None:
    p = expanding_book()
    raw, ix = raw_of(p)
    need = [math.ceil(arr_end(j - 1) / PER) for j in range(p.months)]  # at month j's start
    for j in range(p.months):  # no ARR level sits within a rounding error of a boundary
        assert abs(arr_end(j - 1) / PER - round(arr_end(j - 1) / PER)) > 1e-6
    # today: what today's book needs (11), staffed; then each month's requisitions (opened at
    # its start for ceil(ARR then / ratio) heads) are on board at the next month's end
    expected = [need[0]] + [need[m - 1] for m in range(1, p.months)]
    assert raw[ix["heads_csm"]].tolist() == expected
    assert need[0] == 11
    assert raw[ix["requisitions_follow"]].tolist() == [0] + [
        need[j] - need[j - 1] for j in range(1, p.months)]
    assert expected[-1] > 2 * expected[0]  # the case does grow
    assert np.allclose(raw[ix["arr"]], [arr_end(m) for m in range(p.months)], rtol=1e-12)
    # and the same in every replication (nothing here is random)
    assert np.array_equal(raw_of(p, 1)[0][ix["heads_csm"]], raw[ix["heads_csm"]])


def test_a_follower_costs_its_daily_cost_from_each_heads_start_day() -> None:
    p = expanding_book()
    raw, ix = raw_of(p)
    need = [math.ceil(arr_end(j - 1) / PER) for j in range(p.months)]
    horizon = p.months * MONTH_DAYS
    # (start day, heads): today's 11 from day 0, each month's requisitions 45 days on
    starts = [(0.0, need[0])] + [(j * MONTH_DAYS + TTH, need[j] - need[j - 1])
                                 for j in range(1, p.months)]
    days = sum(n * max(0.0, horizon - day) for day, n in starts)
    hires = sum(n for day, n in starts[1:] if day < horizon)
    assert raw[ix["cost_people"]].sum() == pytest.approx(days * CSM_COST / YEAR_DAYS, rel=1e-12)
    assert raw[ix["cost_hiring"]].sum() == pytest.approx(hires * CSM_HIRE, rel=1e-12)
    assert raw[ix["hires"]].sum() == hires
    # month by month too: month 5's cost counts the heads hired 45 days after month 4 opened
    m = 5
    a, b = m * MONTH_DAYS, (m + 1) * MONTH_DAYS
    month_days = sum(n * max(0.0, b - max(a, day)) for day, n in starts if day < b)
    assert raw[ix["cost_people"]][m] == pytest.approx(month_days * CSM_COST / YEAR_DAYS,
                                                      rel=1e-12)


def test_headcount_is_a_floor_under_the_driver() -> None:
    raw, ix = raw_of(expanding_book(headcount=40))
    need_late = math.ceil(arr_end(22) / PER)  # 32, below the floor of 40
    assert need_late < 40 and raw[ix["heads_csm"]].tolist() == [40] * 24
    assert raw[ix["requisitions_follow"]].sum() == 0


def coordinators(shrink: bool, **coordinator: object) -> Plan:
    """20 AEs pinned at 24 months (no attrition); 12 leave in month 3, 8 are hired at the
    start of month 6 (at once). Coordinators follow one per 4 sellers, 30 days to hire."""
    coord = {"kind": "support", "covers": 4, "cost": 60_000, "time_to_hire_days": 30,
             "follows": {"sellers": 4, "shrink": shrink}}
    return plan(
        replications=2,
        roles={"ae": dict(SELLER, headcount=20, opps_per_month=1),
               "coord": dict(coord, **coordinator)},
        hiring=[{"role": "ae", "count": -12, "month": "2027-04"},
                {"role": "ae", "count": 8, "month": "2027-07"}],
    )


def test_followers_are_not_let_go_when_the_driver_falls() -> None:
    raw, ix = raw_of(coordinators(shrink=False))
    assert raw[ix["sellers"]][:3].tolist() == [20] * 3
    assert raw[ix["sellers"]][3:6].tolist() == [8] * 3
    assert raw[ix["heads_coord"]].tolist() == [5] * 24  # ceil(20 / 4), kept throughout
    assert raw[ix["departures"]].sum() == 12  # the AEs only
    assert raw[ix["requisitions_follow"]].sum() == 0  # 16 sellers need 4 < 5


def test_with_shrink_followers_leave_with_the_driver_and_return_after_the_lag() -> None:
    raw, ix = raw_of(coordinators(shrink=True))
    # 20 sellers: 5; 8 sellers from month 3: 2 (three let go at its start); 16 sellers from
    # month 6 (the hires start on its first day, after the month-start check): 4 heads
    # requested at month 7's start, on board 30 days later, within month 7
    assert raw[ix["heads_coord"]].tolist() == [5] * 3 + [2] * 4 + [4] * 17
    assert raw[ix["departures"]][3] == 12 + 3
    assert raw[ix["requisitions_follow"]][7] == 2
    assert raw[ix["hires"]][7] == 2


def test_a_leaver_is_backfilled_only_while_the_driver_needs_the_seat() -> None:
    """Coordinators leaving at 100% a year after the sellers fell to 8 (need 2): leavers
    above the need are not replaced, so heads fall from 5 towards what 2 seats hold."""
    reps = 60
    following = coordinators(shrink=False, attrition=1.0)
    fixed = coordinators(shrink=False, attrition=1.0, headcount=5, follows=None)
    ends = []
    for p in (following, fixed):
        raw, _ = run_plan(p, reps)
        ends.append(raw[:, layout_for(p).index["heads_coord"], 5])  # month 6, before regrowth
    follow_end, fixed_end = ends
    se = math.hypot(follow_end.std(ddof=1), fixed_end.std(ddof=1)) / math.sqrt(reps)
    assert fixed_end.mean() - follow_end.mean() > Z * se
    assert follow_end.min() >= 0


def test_follows_names_one_driver_on_a_role_that_may_follow(tmp_path: Path) -> None:
    base = ROOT / "scenarios" / "base.yaml"
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {base}\nroles:\n  csm:\n    follows: {{arr: 1, sellers: 4}}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="roles.csm.follows.sellers.*exactly one driver"):
        load_scenario(path)
    path.write_text(f"extends: {base}\nroles:\n  ae:\n    follows: {{sellers: 4}}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="roles.ae.follows.*not used by a role of kind"):
        load_scenario(path)


def test_a_follower_that_would_start_beyond_headcounts_bound_is_refused(tmp_path: Path) -> None:
    """base at $1e13 of ARR would start 5 million CSMs (a run that never ends)."""
    path = tmp_path / "s.yaml"
    path.write_text(f"extends: {ROOT / 'scenarios' / 'base.yaml'}\n"
                    "customers: {arr: 10_000_000_000_000}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"roles.csm.follows.arr: .*5,000,000 heads"):
        load_scenario(path)


# ---- retention ------------------------------------------------------------------------
def test_grr_and_nrr_equal_their_closed_form_on_a_book_of_churn_and_expansion() -> None:
    """No new logos, every customer the same ARR. Monthly churn p_m = 1 − (1 − c)^(1/12) and
    the retained grow by g_m = (1 + e)^(1/12) − 1 each month (sim/customers.py), so a
    customer on the book twelve months ago is still there with probability (1 − p_m)^12 =
    1 − c, and then holds (1 + g_m)^12 = 1 + e times their ARR. With equal ARRs GRR is the
    share retained, E[GRR] = 1 − c (given the cohort's size, so also unconditionally), and
    NRR = GRR × (1 + e) exactly in every replication."""
    churn, expansion, reps = 0.2, 0.1, 300
    p = plan(replications=reps, roles={"ae": {"opps_per_month": 0}},
             customers={"count": 400, "arr": 10_000_000, "churn": churn,
                        "expansion": expansion})
    raw, _ = run_plan(p, reps)
    layout = layout_for(p)
    months = period_metrics(raw, layout, p, [np.array([k]) for k in range(p.months)])
    grr, nrr = months["grr"], months["nrr"]
    assert np.isnan(grr[:, :11]).all() and np.isnan(nrr[:, :11]).all()  # < 12 months
    for m in (11, 17, 23):  # cohorts: day 0's book, then month 5's, month 11's
        g = grr[:, m]
        assert abs(g.mean() - (1 - churn)) < Z * g.std(ddof=1) / math.sqrt(reps), m
        np.testing.assert_allclose(nrr[:, m], g * (1 + expansion), rtol=1e-9)
    # the whole horizon's figure is the TTM at its end
    total = period_metrics(raw, layout, p, [np.arange(p.months)])
    np.testing.assert_array_equal(total["nrr"][:, 0], nrr[:, 23])


def test_grr_ignores_expansion_and_nrr_counts_it_on_a_book_with_new_logos() -> None:
    """With wins the cohort is still the book of twelve months ago: new logos count in
    neither; with no churn GRR is exactly 100% and NRR exactly 1 + e."""
    p = plan(replications=2, customers={"count": 50, "arr": 5_000_000, "expansion": 0.3})
    raw, ix = raw_of(p)
    layout = layout_for(p)
    months = period_metrics(raw[None], layout, p, [np.array([k]) for k in range(p.months)])
    assert raw[ix["bookings"]].sum() > 1_000_000
    np.testing.assert_allclose(months["grr"][0, 11:], 1.0, rtol=1e-12)
    np.testing.assert_allclose(months["nrr"][0, 11:], 1.3, rtol=1e-9)


def test_the_bases_retention_sits_in_its_cited_bands() -> None:
    """base.yaml cites GRR ~90-92% and NRR ~102-103% (SaaS Capital 2023)."""
    p = compile_plan(load_scenario(ROOT / "scenarios" / "base.yaml"))
    reps = 200
    raw, _ = run_plan(p, reps)
    total = period_metrics(raw, layout_for(p), p, [np.arange(p.months)])
    for name, low, high in (("nrr", 1.02, 1.03), ("grr", 0.90, 0.92)):
        values = total[name][:, 0]
        mean, se = values.mean(), values.std(ddof=1) / math.sqrt(reps)
        assert low < mean < high and se < 0.002, (name, mean, se)
    # and CSMs are staffed at about $2M of ARR a head (the lag keeps it a little above)
    arr_per_csm = total["arr_per_csm"][:, 0].mean()
    assert 1.9e6 < arr_per_csm < 2.3e6
