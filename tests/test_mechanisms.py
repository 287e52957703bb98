"""Each mechanism of the engine against a hand-worked case, a closed form or an invariant."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.arrivals import Arrivals
from sim.model import Model, layout_for
from sim.people import Roster
from sim.runner import run_plan
from tests.factories import plan
from tests.test_closed_forms import assert_mean


def series(raw: np.ndarray, p, name: str) -> np.ndarray:
    return raw[:, layout_for(p).index[name], :]


def test_headcount_after_planned_hires_and_exits() -> None:
    p = plan(
        replications=3,
        roles={"ae": {"time_to_hire_days": 45}, "mgr": {"kind": "manager", "span": 4}},
        hiring=[
            {"role": "ae", "count": 3, "month": "2027-02"},
            {"role": "ae", "count": -2, "month": "2027-06"},
        ],
    )
    raw, _ = run_plan(p, 3)
    heads = series(raw, p, "heads_ae")[0]
    # hires start 45 days after 2027-02-01, i.e. during March (month 3)
    expected = [10, 10, 13, 13, 13, 11] + [11] * 18
    assert heads.tolist() == expected
    assert series(raw, p, "heads_mgr")[0].tolist() == [math.ceil(h / 4) for h in expected]
    assert (series(raw, p, "heads_total")[0] == np.array(expected) + np.ceil(
        np.array(expected) / 4)).all()


def test_costs_of_a_tiny_deterministic_team_by_hand() -> None:
    p = plan(
        replications=1,
        quarters=1,
        roles={
            "ae": {"headcount": 2, "cost": 120_000, "hire_cost": 10_000, "opps_per_month": 0},
            "boss": {"kind": "manager", "span": 8, "cost": 240_000},
        },
        hiring=[{"role": "ae", "count": 1, "month": "2027-02"}],
        programs={"tool": {"start": "2027-02", "months": 2, "cost": 5_000, "monthly_cost": 1_000,
                           "seat_cost_per_month": 100, "targets": {"role": "ae"}}},
    )
    raw, _ = run_plan(p, 1)
    people = series(raw, p, "cost_people")[0]
    # a month is 365/12 days, so a head costs cost/12 a month
    assert people == pytest.approx([2 * 10_000 + 20_000, 3 * 10_000 + 20_000,
                                    3 * 10_000 + 20_000])
    assert series(raw, p, "cost_hiring")[0].tolist() == [0, 10_000, 0]
    # programs: one-off 5k + 1k monthly + 100 per targeted head at the month's start
    assert series(raw, p, "cost_programs")[0].tolist() == [0, 5_000 + 1_000 + 3 * 100,
                                                           1_000 + 3 * 100]


def test_commission_is_its_share_of_bookings() -> None:
    p = plan(replications=20, roles={"ae": {"commission": 0.1}})
    raw, _ = run_plan(p, 20)
    np.testing.assert_allclose(series(raw, p, "cost_commission"),
                               0.1 * series(raw, p, "bookings"))


def test_opportunities_are_conserved_month_by_month() -> None:
    p = plan(
        replications=20,
        segments={"mid": {"inbound_opps_per_month": 30}},
        roles={"ae": {"max_open_opps": 12, "attrition": 0.5, "time_to_hire_days": 40,
                      "skill_sigma": 0.4}},
    )
    raw, _ = run_plan(p, 20)
    get = lambda name: series(raw, p, name)  # noqa: E731
    created = get("opps_created_self") + get("opps_created_sdr") + get("opps_created_inbound")
    assert get("opps_unworked").sum() > 0
    opened = get("open_opps")[:, :-1] + created[:, 1:] - get("opps_unworked")[:, 1:]
    closed = get("opps_won")[:, 1:] + get("opps_lost")[:, 1:] + get("open_opps")[:, 1:]
    np.testing.assert_array_equal(opened, closed)


def test_arr_rolls_forward_and_revenue_accrues_daily() -> None:
    p = plan(replications=10, customers={"count": 100, "arr": 5_000_000, "churn": 0.1,
                                         "expansion": 0.2})
    raw, _ = run_plan(p, 10)
    arr = series(raw, p, "arr")
    start = np.concatenate([np.full((10, 1), 5_000_000.0), arr[:, :-1]], axis=1)
    flows = series(raw, p, "bookings") + series(raw, p, "expansion_arr") - series(
        raw, p, "churned_arr")
    np.testing.assert_allclose(arr, start + flows, rtol=1e-9)
    revenue = series(raw, p, "revenue")
    # revenue lies between a month of the start ARR and a month of start ARR + bookings
    assert (revenue >= start / 12 - 1e-6).all()
    assert (revenue <= (start + series(raw, p, "bookings")) / 12 + 1e-6).all()


def test_attrition_departures_follow_the_hazard() -> None:
    p = plan(replications=300, quarters=4, roles={"ae": {"attrition": 0.3}})
    raw, _ = run_plan(p, 300)
    departures = series(raw, p, "departures").sum(axis=1)
    assert_mean(departures, 10 * 0.3)  # backfilled at once: 10 heads all year
    assert (series(raw, p, "heads_ae") == 10).all()


def test_no_backfill_loses_heads() -> None:
    p = plan(replications=300, quarters=4, roles={"ae": {"attrition": 0.3, "backfill": False}})
    raw, _ = run_plan(p, 300)
    assert_mean(series(raw, p, "heads_ae")[:, -1], 10 * math.exp(-0.3))


def test_routed_pipeline_goes_to_spare_capacity_or_is_unworked() -> None:
    p = plan(
        replications=50,
        segments={"mid": {"inbound_opps_per_month": 200}},
        roles={"ae": {"headcount": 2, "opps_per_month": 0, "max_open_opps": 10}},
    )
    raw, sellers = run_plan(p, 50)
    # two sellers can hold 20 open; ~200 x 2 months of cycle arrive: most are unworked
    assert (series(raw, p, "open_opps") <= 20).all()
    inbound = series(raw, p, "opps_created_inbound").sum()
    assert series(raw, p, "opps_unworked").sum() > 0.8 * inbound
    # both sellers are used about equally (the router balances spare capacity)
    by_seat = {}
    for row in sellers:
        by_seat[row[2]] = by_seat.get(row[2], 0) + row[7]
    assert abs(by_seat[0] - by_seat[1]) < 0.1 * (by_seat[0] + by_seat[1])


def test_a_full_seller_sources_nothing() -> None:
    unlimited = plan(replications=30, roles={"ae": {"opps_per_month": 20}})
    capped = plan(replications=30, roles={"ae": {"opps_per_month": 20, "max_open_opps": 10}})
    a, _ = run_plan(unlimited, 30)
    b, _ = run_plan(capped, 30)
    assert series(b, capped, "open_opps").max() <= 10 * 10
    assert series(b, capped, "opps_created_self").sum() < 0.5 * series(
        a, unlimited, "opps_created_self").sum()


def test_market_saturation_slows_pipeline_as_accounts_are_won() -> None:
    accounts = 2_000
    p = plan(replications=100, segments={"mid": {"accounts": accounts}},
             customers={"count": 1_000, "arr": 1_000_000})
    raw, _ = run_plan(p, 100)
    created = series(raw, p, "opps_created_self")
    customers = series(raw, p, "customers")
    start = np.concatenate([np.full((100, 1), 1_000.0), customers[:, :-1]], axis=1)
    expected = 10 * 4 * (accounts - start) / accounts
    assert_mean((created - expected).mean(axis=1), 0.0)


def test_seasonality_scales_creation_by_calendar_month() -> None:
    season = [1.0] * 12
    season[2] = 2.0  # March
    p = plan(replications=200, quarters=1, segments={"mid": {"seasonality": season}})
    raw, _ = run_plan(p, 200)
    created = series(raw, p, "opps_created_self")
    assert_mean(created[:, 2], 2 * 40)
    assert_mean(created[:, 0], 40)


def test_territory_decay_thins_new_seats() -> None:
    p = plan(roles={"ae": {"territory_decay": 0.1}})
    roster = Roster(p.roles[0], 0)
    assert [roster.seat_factor(s) for s in (0, 9, 10, 11)] == pytest.approx(
        [1.0, 1.0, 0.9, 0.81])


def test_support_staff_give_covered_sellers_selling_time() -> None:
    base = plan(replications=200, quarters=1)
    half = plan(replications=200, quarters=1, roles={
        "coord": {"kind": "support", "headcount": 1, "covers": 5,
                  "effects": {"selling_time": 1.5}}})
    a, _ = run_plan(base, 200)
    b, _ = run_plan(half, 200)
    # one coordinator covers 5 of 10 sellers: selling time x (1 + 0.5 x 0.5) = 1.25
    assert_mean(series(b, half, "opps_created_self")[:, 0], 1.25 * 40)
    assert_mean(series(a, base, "opps_created_self")[:, 0], 40)


def test_csm_overload_raises_churn() -> None:
    customers = {"count": 400, "arr": 20_000_000, "churn": 0.1, "overload_churn": 1.0}
    roles = {"ae": {"opps_per_month": 0}}
    covered = plan(replications=200, quarters=4, customers=customers, roles={
        **roles, "csm": {"kind": "csm", "headcount": 10, "book_per_head": 2_500_000}})
    overloaded = plan(replications=200, quarters=4, customers=customers, roles={
        **roles, "csm": {"kind": "csm", "headcount": 4, "book_per_head": 2_500_000}})
    a, _ = run_plan(covered, 200)
    b, _ = run_plan(overloaded, 200)
    churned_a = series(a, covered, "customers_churned")[:, 0]
    churned_b = series(b, overloaded, "customers_churned")[:, 0]
    monthly = 1 - 0.9 ** (1 / 12)
    assert_mean(churned_a, 400 * monthly)
    assert_mean(churned_b, 400 * monthly * (1 + 1.0 * (2.0 - 1)))  # load 20M / 10M = 2


def test_bottom_quartile_program_targets_the_least_skilled() -> None:
    p = plan(replications=1, roles={"ae": {"skill_sigma": 0.5, "headcount": 12}},
             programs={"coach": {"start": "2027-03", "effects": {"win_rate": 1.5},
                                 "seat_cost_per_month": 1,
                                 "targets": {"role": "ae", "who": "bottom_quartile"}}})
    model = Model(p, 0)
    model.run()
    cohort = model.cohorts["coach"]
    skills = sorted(h.skill for h in model.rosters["ae"].active)
    assert len(cohort) == 3
    assert sorted(h.skill for h in cohort) == skills[:3]
    assert model.raw[layout_for(p).index["cost_programs"]][2] == 3
    assert all(h.lever[3] == 1.5 for h in cohort)


def test_win_rate_lever_and_skill_multiply_the_win_probability() -> None:
    p = plan(replications=300, programs={"coach": {"start": "2027-01",
                                                   "effects": {"win_rate": 1.2}}})
    raw, _ = run_plan(p, 300)
    won = series(raw, p, "opps_won")[:, 3:].sum(axis=1)
    lost = series(raw, p, "opps_lost")[:, 3:].sum(axis=1)
    assert_mean(won / (won + lost), 0.25 * 1.2)


def test_month_of_is_exact_at_month_starts() -> None:
    from sim.plan import MONTH_DAYS, month_of

    for k in range(-24, 121):
        assert month_of(k * MONTH_DAYS) == k
        assert month_of(k * MONTH_DAYS - 1e-9) == k - 1


def test_an_exit_at_a_month_start_loses_handed_over_deals_in_that_month() -> None:
    """Regression (found by hypothesis): day 3·M rounded into month 2."""
    p = plan(replications=2, quarters=2, seed=0,
             segments={"mid": {"win_rate": 0.0, "deal_size": 1000, "cycle_days": 5,
                               "inbound_opps_per_month": 2.0}},
             roles={"ae": {"headcount": 1, "tenure_months": 0, "opps_per_month": 0}},
             hiring=[{"role": "ae", "count": -1, "month": "2027-04"}])
    raw, _ = run_plan(p, 2)
    get = lambda name: series(raw, p, name)  # noqa: E731
    created = get("opps_created_inbound")
    np.testing.assert_array_equal(
        get("open_opps")[:, :-1] + created[:, 1:] - get("opps_unworked")[:, 1:],
        get("opps_won")[:, 1:] + get("opps_lost")[:, 1:] + get("open_opps")[:, 1:])


def test_ramp_pieces_cover_the_whole_month_at_every_tenure() -> None:
    """A ramping head's pieces cover each month end to end with the ramp of its tenure: a
    step of the curve that lands a rounding error short of a month of progress must not
    end the month there (it cut the rest of the month's ramp and arrivals)."""
    from sim.plan import MONTH_DAYS, month_of

    p = plan(roles={"ae": {"ramp": [0.0, 0.25, 0.5, 0.8, 1.0]}})
    role = p.role("ae")
    rng = np.random.default_rng(5)
    for hired in rng.uniform(0.0, 730.0, 2000).tolist():
        head = Roster(role, 0, p.segments[0]).new_head(0, p.seed, 0)
        head.start(hired)
        for month in range(month_of(hired) + 1, month_of(hired) + 6):
            start, end = month * MONTH_DAYS, (month + 1) * MONTH_DAYS
            head.advance_progress(start)
            pieces = head.ramp_pieces(start, end)
            assert pieces[0][0] == start and pieces[-1][1] == end, (hired, month, pieces)
            for (_a, b, _r), (c, _d, _s) in zip(pieces, pieces[1:], strict=False):
                assert b == c
            for a, b, factor in pieces:
                if b - a > 1e-6:
                    tenure = (a + b) / 2 - hired
                    assert factor == role.ramp[min(month_of(tenure), len(role.ramp) - 1)]


def test_a_heads_month_keeps_its_ramp_as_the_pieces_give_it() -> None:
    """`Head.month` keeps the month's ramp without a list when it is one value all month
    (`month_pieces` None): its average and the month end's ramp-weighted seller-days over any
    employed part are what the pieces give, month after month from the hire on."""
    from sim.people import employed_days, ramp_days
    from sim.plan import MONTH_DAYS, month_of

    p = plan(roles={"ae": {"ramp": [0.0, 0.25, 0.5, 0.8, 1.0]}})
    role = p.role("ae")
    hires = np.random.default_rng(9).uniform(0.0, 200.0, 60).tolist()
    hires += [k * MONTH_DAYS for k in range(4)]  # steps on the month starts: one value
    for hired in hires:
        head = Roster(role, 0, p.segments[0]).new_head(0, p.seed, 0)
        head.start(hired)
        singles = 0
        for month in range(month_of(hired), month_of(hired) + 8):
            start = max(hired, month * MONTH_DAYS)
            end = (month + 1) * MONTH_DAYS
            head.advance_progress(start)
            pieces = head.ramp_pieces(start, end)
            head.month(start, end, 1.0, Arrivals(), False)
            singles += head.month_pieces is None
            assert head.ramp_avg == ramp_days(pieces, start, end) / (end - start)
            for a, b in ((start, end), (start, (start + end) / 2), ((start + end) / 2, end)):
                head.active, head.left_at = b == end, b
                assert employed_days([head], a, b)[3] == ramp_days(pieces, a, b)
            head.active = True
        assert singles >= 3  # ramped at the curve's end: one piece, no list
