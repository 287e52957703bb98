"""Each lever and mechanism has a test that fails when it is switched off.

The expectations are independent of the engine: closed forms, hand-worked cases with
deterministic inputs, or means within 4 standard errors (`assert_mean`) at fixed seeds.
Where it sharpens a comparison, two scenarios share their random streams (common random
numbers), so their difference is exact. `benchmarks/mutations.py` disables each feature
in turn and checks that some test here (or in the other engine tests) fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.plan import MONTH_DAYS, YEAR_DAYS
from sim.runner import run_plan
from tests.factories import plan
from tests.test_closed_forms import assert_mean
from tests.test_mechanisms import series

ALL_YEAR = "2027-01"  # the horizon's first month: a program from day 0


def program(**fields: object) -> dict:
    return {"lever": dict({"start": ALL_YEAR}, **fields)}


SELLER_FIELDS = ("replication", "role", "seat", "occupant", "hired_day", "left_day", "skill",
                 "opps", "wins", "bookings")  # run_plan's seller rows, in order


def sellers(rows: list[tuple], role: str | None = None, seats: range | list[int] | None = None,
            ) -> dict[str, np.ndarray]:
    """The seller rows of `role` in `seats` (all when None), one array per field."""
    kept = [row for row in rows if (role is None or row[1] == role)
            and (seats is None or row[2] in seats)]
    columns = list(zip(*kept, strict=True)) if kept else [()] * len(SELLER_FIELDS)
    return {name: np.array(column) for name, column in zip(SELLER_FIELDS, columns, strict=True)}


# ---- levers ---------------------------------------------------------------------------


@pytest.mark.parametrize("lever", ["pipeline", "selling_time"])
def test_pipeline_and_selling_time_levers_multiply_self_sourced_pipeline(lever: str) -> None:
    p = plan(replications=100, quarters=1, programs=program(effects={lever: 1.5}))
    raw, _ = run_plan(p, 100)
    created = series(raw, p, "opps_created_self").mean(axis=1)
    assert_mean(created, 10 * 4 * 1.5)


@pytest.mark.parametrize("lever", ["capacity", "selling_time"])
def test_capacity_and_selling_time_levers_raise_the_open_opportunity_cap(lever: str) -> None:
    # 20 opps a month on a 60-day cycle want ~40 open each; the cap of 3 binds, doubled: 6
    roles = {"ae": {"opps_per_month": 20, "max_open_opps": 3}}
    p = plan(replications=20, quarters=1, roles=roles, programs=program(effects={lever: 2.0}))
    raw, _ = run_plan(p, 20)
    open_opps = series(raw, p, "open_opps")
    assert open_opps.max() <= 10 * 6
    assert open_opps.mean() > 10 * 5  # well above the unlevered cap of 10 x 3


def test_capacity_follows_the_ramp() -> None:
    """New hires at half ramp hold half of max_open_opps in their first month."""
    p = plan(replications=20, quarters=1,
             roles={"ae": {"headcount": 0, "ramp": [0.5, 1.0], "opps_per_month": 40,
                           "max_open_opps": 4}},
             hiring=[{"role": "ae", "count": 10, "month": ALL_YEAR}])
    raw, _ = run_plan(p, 20)
    open_opps = series(raw, p, "open_opps")
    assert open_opps[:, 0].max() <= 10 * 2 < open_opps[:, 1:].min()
    assert open_opps[:, 0].mean() > 10 * 1.5


def test_sdrs_source_opportunities_for_the_sellers() -> None:
    p = plan(replications=100, quarters=1,
             roles={"sdr": {"kind": "sdr", "segment": "mid", "headcount": 2, "cost": 80_000,
                            "opps_per_month": 10}})
    raw, _ = run_plan(p, 100)
    assert_mean(series(raw, p, "opps_created_sdr").mean(axis=1), 2 * 10)


def test_deal_size_lever_multiplies_every_deal() -> None:
    base = plan(replications=40, quarters=2)
    bigger = plan(replications=40, quarters=2, programs=program(effects={"deal_size": 1.3}))
    a, _ = run_plan(base, 40)
    b, _ = run_plan(bigger, 40)
    # same streams: the same deals are won, each 1.3 times as large
    np.testing.assert_array_equal(series(b, bigger, "opps_won"), series(a, base, "opps_won"))
    np.testing.assert_allclose(series(b, bigger, "bookings"), 1.3 * series(a, base, "bookings"),
                               rtol=1e-12)
    won = series(b, bigger, "opps_won").sum(axis=1)
    assert_mean(series(b, bigger, "bookings").sum(axis=1) / won, 1.3 * 40_000)


def test_cycle_time_lever_halves_cycles_and_the_open_pipeline() -> None:
    p = plan(replications=40, quarters=4, programs=program(effects={"cycle_time": 0.5}))
    raw, _ = run_plan(p, 40)
    late = slice(8, 12)  # deals opened before the program (60-day cycles) have closed
    cycles = series(raw, p, "cycle_days_won_sum")[:, late].sum(axis=1)
    assert_mean(cycles / series(raw, p, "opps_won")[:, late].sum(axis=1), 30.0)
    # Little's law: open = arrival rate x mean cycle
    assert_mean(series(raw, p, "open_opps")[:, late].mean(axis=1), 10 * 4 / MONTH_DAYS * 30.0)


def test_win_rate_follows_each_sellers_skill() -> None:
    p = plan(replications=50, quarters=4, roles={"ae": {"skill_sigma": 0.4}})
    _, rows = run_plan(p, 50)
    table = sellers(rows)
    skill, opps, wins = table["skill"], table["opps"], table["wins"]
    residual = wins - 0.25 * skill * opps  # each seller wins skill x 25% of their deals
    assert_mean(residual[skill > 1], 0.0)
    assert_mean(residual[skill < 1], 0.0)


def test_attrition_lever_scales_the_hazard() -> None:
    p = plan(replications=100, quarters=4, roles={"ae": {"attrition": 0.6}},
             programs=program(effects={"attrition": 0.5}))
    raw, _ = run_plan(p, 100)
    assert_mean(series(raw, p, "departures").sum(axis=1), 10 * 0.6 * 0.5)  # backfilled


def test_time_to_hire_lever_shortens_requisitions_by_hand() -> None:
    hires = [{"role": "ae", "count": 3, "month": "2027-02"}]
    roles = {"ae": {"time_to_hire_days": 60}}  # no spread: every hire waits 60 days
    base = plan(replications=1, quarters=1, roles=roles, hiring=hires)
    faster = plan(replications=1, quarters=1, roles=roles, hiring=hires,
                  programs=program(effects={"time_to_hire": 0.5}, targets={"role": "ae"}))
    for p, wait in ((base, 60.0), (faster, 30.0)):
        _, rows = run_plan(p, 1)
        hired = sellers(rows, "ae", range(10, 13))["hired_day"].tolist()
        assert hired == pytest.approx([MONTH_DAYS + wait] * 3)  # opened on February 1st


def test_time_to_hire_lever_of_the_month_the_requisition_opens() -> None:
    """docs/model.md: x the `time_to_hire` lever in force when it opens."""
    hires = [{"role": "ae", "count": 1, "month": "2027-02"}]
    roles = {"ae": {"time_to_hire_days": 60}}
    starting = plan(replications=1, quarters=1, roles=roles, hiring=hires, programs={
        "x": {"start": "2027-02", "effects": {"time_to_hire": 0.5}}})
    phased = plan(replications=1, quarters=1, roles=roles, hiring=hires,
                  programs=program(effects={"time_to_hire": 0.5}, phase_in_months=2))
    # phased: February is month 1 of the program, (1 + 0.5) / 2 = 3/4 of the effect
    for p, wait in ((starting, 30.0), (phased, 60.0 * (1 - 0.5 * 0.75))):
        _, rows = run_plan(p, 1)
        assert sellers(rows, "ae", [10])["hired_day"].tolist() == pytest.approx(
            [MONTH_DAYS + wait])


def test_churn_lever_scales_the_monthly_churn_probability() -> None:
    p = plan(replications=200, quarters=1, roles={"ae": {"opps_per_month": 0}},
             customers={"count": 1000, "arr": 10_000_000, "churn": 0.2},
             programs=program(effects={"churn": 0.5}))
    raw, _ = run_plan(p, 200)
    churned = series(raw, p, "customers_churned")[:, 0]
    assert_mean(churned, 1000 * (1 - 0.8 ** (1 / 12)) * 0.5)


def test_expansion_lever_scales_growth_by_hand() -> None:
    p = plan(replications=1, quarters=1, roles={"ae": {"opps_per_month": 0}},
             customers={"count": 100, "arr": 10_000_000, "expansion": 0.1},
             programs=program(effects={"expansion": 2.0}))
    raw, _ = run_plan(p, 1)
    growth = (1.1 ** (1 / 12) - 1) * 2.0
    arr = 10_000_000 * (1 + growth) ** np.arange(3)
    np.testing.assert_allclose(series(raw, p, "expansion_arr")[0], arr * growth, rtol=1e-12)


@pytest.mark.parametrize("ramp, expected", [([0.0, 1.0], 0.5 * 6), ([0.0, 0.0, 1.0], 0.0)])
def test_ramp_speed_lever_moves_a_new_hire_along_the_ramp_within_the_month(
    ramp: list[float], expected: float
) -> None:
    """At double speed a hire finishes ramp month 0 halfway through their first month."""
    p = plan(replications=100, quarters=1,
             roles={"ae": {"headcount": 0, "ramp": ramp, "opps_per_month": 6}},
             hiring=[{"role": "ae", "count": 10, "month": ALL_YEAR}],
             programs=program(effects={"ramp_speed": 2.0}))
    raw, _ = run_plan(p, 100)
    created = series(raw, p, "opps_created_self")
    if expected:
        assert_mean(created[:, 0], 10 * expected)
    else:
        assert created[:, 0].sum() == 0
    # month 1 starts at 2 ramp months of progress: ramp [0, 1] and [0, 0, 1] are at 1
    assert_mean(created[:, 1], 10 * 6)


# ---- programs -------------------------------------------------------------------------


def test_phase_in_is_the_months_average_of_a_linear_ramp() -> None:
    p = plan(replications=100, quarters=2,
             programs=program(effects={"pipeline": 2.0}, phase_in_months=3))
    raw, _ = run_plan(p, 100)
    created = series(raw, p, "opps_created_self")
    for month in range(6):
        share = min(1.0, (month + 0.5) / 3)
        assert_mean(created[:, month], 40 * (1 + (2.0 - 1) * share))


def test_a_program_ends_after_its_months() -> None:
    p = plan(replications=100, quarters=2,
             programs=program(effects={"pipeline": 2.0}, months=3, monthly_cost=1_000))
    raw, _ = run_plan(p, 100)
    created = series(raw, p, "opps_created_self")
    assert_mean(created[:, :3].mean(axis=1), 80)
    assert_mean(created[:, 3:].mean(axis=1), 40)
    assert series(raw, p, "cost_programs")[0].tolist() == [1_000] * 3 + [0] * 3


def test_new_hires_program_reaches_only_new_heads_of_its_role() -> None:
    """New hires (day 0) of `ae` double their pipeline; today's team and `ent_ae` do not."""
    p = plan(replications=50, quarters=4,
             roles={"ent_ae": {"kind": "seller", "segment": "mid", "headcount": 5,
                               "cost": 100_000, "ramp": [1.0], "opps_per_month": 4}},
             hiring=[{"role": "ae", "count": 5, "month": ALL_YEAR},
                     {"role": "ent_ae", "count": 5, "month": ALL_YEAR}],
             programs=program(effects={"pipeline": 2.0},
                              targets={"role": "ae", "who": "new_hires"}))
    _, rows = run_plan(p, 50)

    def opps(role: str, seats: range) -> np.ndarray:
        return sellers(rows, role, seats)["opps"]

    assert_mean(opps("ae", range(10, 15)), 2 * 4 * 12)  # in their first year all year
    assert_mean(opps("ae", range(10)), 4 * 12)
    assert_mean(opps("ent_ae", range(10)), 4 * 12)


# ---- people ---------------------------------------------------------------------------


def test_territory_decay_thins_the_pipeline_of_each_new_seat() -> None:
    p = plan(replications=100, quarters=4, roles={"ae": {"territory_decay": 0.5}},
             hiring=[{"role": "ae", "count": 3, "month": ALL_YEAR}])
    _, rows = run_plan(p, 100)
    for seat, share in ((9, 1.0), (10, 0.5), (11, 0.25), (12, 0.125)):
        assert_mean(sellers(rows, "ae", [seat])["opps"], 4 * 12 * share)


def test_managers_follow_sellers_by_span_and_cost_by_the_day() -> None:
    p = plan(replications=1, quarters=1,
             roles={"ae": {"opps_per_month": 0, "time_to_hire_days": 15},
                    "mgr": {"kind": "manager", "span": 4, "cost": 120_000}},
             hiring=[{"role": "ae", "count": 3, "month": ALL_YEAR}])
    raw, _ = run_plan(p, 1)
    day = 120_000 / YEAR_DAYS
    # 10 sellers (3 managers), then 13 from day 15 (4 managers)
    sellers = 10 * MONTH_DAYS + 3 * (MONTH_DAYS - 15)
    managers = 3 * 15 + 4 * (MONTH_DAYS - 15)
    january = (sellers + managers) * day
    month = (13 + 4) * MONTH_DAYS * day
    assert series(raw, p, "cost_people")[0] == pytest.approx([january, month, month])
    assert series(raw, p, "heads_mgr")[0].tolist() == [4, 4, 4]


# ---- customers and revenue ------------------------------------------------------------


def test_csm_overload_divides_expansion_by_the_load() -> None:
    customers = {"count": 100, "arr": 10_000_000, "expansion": 0.1, "overload_churn": 1.0}
    p = plan(replications=1, quarters=1, customers=customers, roles={
        "ae": {"opps_per_month": 0},
        "csm": {"kind": "csm", "headcount": 1, "book_per_head": 5_000_000}})
    raw, _ = run_plan(p, 1)
    growth = 1.1 ** (1 / 12) - 1
    # load 10M / 5M = 2 in the first month: half the growth; no churn to multiply
    assert series(raw, p, "expansion_arr")[0, 0] == pytest.approx(10_000_000 * growth / 2)
    assert series(raw, p, "customers_churned")[0].sum() == 0


def test_csm_capacity_follows_their_ramp() -> None:
    customers = {"count": 100, "arr": 10_000_000, "expansion": 0.1, "overload_churn": 1.0}
    p = plan(replications=1, quarters=1, customers=customers, roles={
        "ae": {"opps_per_month": 0},
        "csm": {"kind": "csm", "headcount": 2, "tenure_months": 0, "ramp": [0.5, 1.0],
                "book_per_head": 5_000_000}})
    raw, _ = run_plan(p, 1)
    growth = 1.1 ** (1 / 12) - 1
    # two CSMs at half ramp cover 5M of 10M in their first month: load 2
    assert series(raw, p, "expansion_arr")[0, 0] == pytest.approx(10_000_000 * growth / 2)


def test_a_csm_role_with_no_heads_has_an_infinite_load() -> None:
    customers = {"count": 100, "arr": 10_000_000, "churn": 0.1, "overload_churn": 1.0}
    p = plan(replications=1, quarters=1, customers=customers, roles={
        "ae": {"opps_per_month": 0},
        "csm": {"kind": "csm", "headcount": 0, "book_per_head": 5_000_000}})
    raw, _ = run_plan(p, 1)
    assert series(raw, p, "customers_churned")[0].tolist() == [100, 0, 0]


def test_revenue_accrues_each_won_deal_for_the_rest_of_its_month() -> None:
    p = plan(replications=100, quarters=1)
    raw, _ = run_plan(p, 100)
    arr = series(raw, p, "arr")
    start = np.concatenate([np.full((100, 1), p.customers_arr), arr[:, :-1]], axis=1)
    # a deal won at a uniform day of the month accrues half a month on average
    extra = series(raw, p, "revenue") - start * MONTH_DAYS / YEAR_DAYS
    half_month = series(raw, p, "bookings") * MONTH_DAYS / 2 / YEAR_DAYS
    assert_mean((extra - half_month).mean(axis=1), 0.0)


@pytest.mark.parametrize("reselect", [3, 0])
def test_bottom_quartile_is_chosen_again_each_quarter_unless_fixed(reselect: int) -> None:
    """Seats bought for the bottom quartile: whoever is in it at each quarter's start
    (2 of 8), or, with reselect_months 0, a cohort chosen once that thins as it leaves."""
    p = plan(replications=40, quarters=4,
             roles={"ae": {"headcount": 8, "attrition": 0.9, "skill_sigma": 0.5,
                           "opps_per_month": 0}},
             programs={"q": {"start": "2027-01", "seat_cost_per_month": 1,
                             "targets": {"role": "ae", "who": "bottom_quartile",
                                         "reselect_months": reselect}}})
    raw, _ = run_plan(p, 40)
    seats = series(raw, p, "cost_programs")  # one per targeted head at each month's start
    quarter_starts = seats[:, ::3]
    if reselect:
        assert (quarter_starts == 2).all()
    else:
        assert seats[:, 0].tolist() == [2] * 40
        # a member stays a year with probability exp(-0.9) = 0.41 (backfills are new people)
        assert_mean(seats[:, 11], 2 * np.exp(-0.9 * 11 / 12))
