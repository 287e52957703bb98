"""Invariants that hold for any valid scenario (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.aggregate import period_metrics
from sim.model import layout_for
from sim.plan import compile_plan
from sim.runner import run_plan
from sim.scenario.schema import Scenario
from tests.profiles import examples

rates = st.floats(0, 1, allow_nan=False)
COST = st.just(0.0)  # a cost is 0 or at least 1
months = st.sampled_from(["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"])


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    segment = {
        "win_rate": draw(rates),
        "deal_size": {"mean": draw(st.floats(1_000, 100_000)), "cv": draw(st.floats(0, 1.5))},
        "cycle_days": {"mean": draw(st.floats(5, 150)), "cv": draw(st.floats(0, 1.5))},
        "inbound_opps_per_month": draw(st.floats(0, 40)),
    }
    if draw(st.booleans()):
        segment["accounts"] = draw(st.integers(50, 5_000))
    headcount = draw(st.integers(0, 6))
    seller = {
        "kind": "seller", "segment": "mid", "headcount": headcount,
        "tenure_months": draw(st.floats(0, 30)), "cost": draw(COST | st.floats(1, 200_000)),
        "commission": draw(rates), "hire_cost": draw(COST | st.floats(1, 30_000)),
        "ramp": draw(st.lists(rates, min_size=1, max_size=5)),
        "attrition": draw(rates), "backfill": draw(st.booleans()),
        "time_to_hire_days": {"mean": draw(st.floats(0, 90)), "cv": draw(st.floats(0, 1))},
        "opps_per_month": draw(st.floats(0, 8)), "skill_sigma": draw(st.floats(0, 1)),
        "territory_decay": draw(st.floats(0, 0.5)),
    }
    if draw(st.booleans()):
        seller["max_open_opps"] = draw(st.integers(1, 30))
    roles = {"ae": seller, "mgr": {"kind": "manager", "span": draw(st.integers(1, 10)),
                                   "cost": 200_000}}
    if draw(st.booleans()):
        roles["sdr"] = {"kind": "sdr", "segment": "mid", "headcount": draw(st.integers(0, 3)),
                        "opps_per_month": draw(st.floats(0, 10)), "attrition": draw(rates),
                        "ramp": [0.5, 1.0], "cost": 80_000}
    if draw(st.booleans()):
        roles["csm"] = {"kind": "csm", "headcount": draw(st.integers(0, 3)),
                        "book_per_head": draw(st.floats(100_000, 5_000_000)), "cost": 100_000}
    if draw(st.booleans()):
        roles["coord"] = {"kind": "support", "headcount": draw(st.integers(0, 2)),
                          "covers": draw(st.floats(0.5, 6)),
                          "effects": {"selling_time": draw(st.floats(0.5, 2))}}
    count = draw(st.integers(0, 400))
    data = {
        "name": "prop", "start": "2027-01", "quarters": 2, "replications": 2,
        "seed": draw(st.integers(0, 2**31)),
        "segments": {"mid": segment}, "roles": roles,
        "customers": {"count": count, "arr": draw(st.floats(0, 10_000_000)) if count else 0,
                      "churn": draw(rates), "expansion": draw(rates),
                      "overload_churn": draw(st.floats(0, 3))},
        "hiring": [{"role": "ae", "count": draw(st.integers(-3, 4).filter(bool)),
                    "month": draw(months)} for _ in range(draw(st.integers(0, 2)))],
        "programs": {},
    }
    if draw(st.booleans()):
        data["programs"]["p"] = {
            "start": draw(months), "months": draw(st.integers(1, 6)),
            "cost": 1_000, "monthly_cost": 100, "seat_cost_per_month": 10,
            "targets": {"role": "ae", "who": draw(st.sampled_from(
                ["all", "bottom_quartile", "new_hires"]))},
            "effects": {draw(st.sampled_from(["win_rate", "pipeline", "cycle_time", "ramp_speed",
                                              "attrition", "churn", "deal_size", "capacity"])):
                        draw(st.floats(0.5, 2))},
            "phase_in_months": draw(st.integers(0, 3)),
        }
    return Scenario.model_validate(data)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_hold_for_any_valid_scenario(scenario: Scenario) -> None:
    plan = compile_plan(scenario)
    layout = layout_for(plan)
    raw, sellers = run_plan(plan, 2)
    get = {name: raw[:, i, :] for i, name in enumerate(layout.names)}

    # money, heads and opportunities are never negative
    assert (raw >= -1e-6).all()
    # ARR rolls forward: start + bookings + expansion - churn
    start = np.concatenate([np.full((2, 1), scenario.customers.arr), get["arr"][:, :-1]], 1)
    flows = get["bookings"] + get["expansion_arr"] - get["churned_arr"]
    np.testing.assert_allclose(get["arr"], start + flows, rtol=1e-9, atol=1e-3)
    # opportunities are conserved: open + created - unworked = won + lost + open next
    created = get["opps_created_self"] + get["opps_created_sdr"] + get["opps_created_inbound"]
    np.testing.assert_array_equal(
        get["open_opps"][:, :-1] + created[:, 1:] - get["opps_unworked"][:, 1:],
        get["opps_won"][:, 1:] + get["opps_lost"][:, 1:] + get["open_opps"][:, 1:],
    )
    # heads add up; managers follow span
    role_heads = sum(get[f"heads_{r}"] for r in scenario.roles)
    np.testing.assert_array_equal(role_heads, get["heads_total"])
    span = scenario.roles["mgr"].span
    np.testing.assert_array_equal(get["heads_mgr"], np.ceil(get["sellers"] / span))
    # bookings are the sum of the sellers' bookings
    per_seller = sum(row[9] for row in sellers)
    assert np.isclose(per_seller, get["bookings"].sum(), rtol=1e-9, atol=1e-6)
    # cost_total is the sum of its parts
    q = period_metrics(raw, layout, plan, [np.arange(plan.months)])
    parts = q["cost_people"] + q["cost_commission"] + q["cost_hiring"] + q["cost_programs"]
    np.testing.assert_allclose(q["cost_total"], parts)
    # same seed, same results
    again, _ = run_plan(plan, 2)
    np.testing.assert_array_equal(raw, again)
