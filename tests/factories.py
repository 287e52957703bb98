"""Small scenarios built in code for engine tests."""

from __future__ import annotations

import copy

from sim.plan import Plan, compile_plan
from sim.scenario.schema import Scenario

SEGMENT = {
    "win_rate": 0.25,
    "deal_size": {"mean": 40_000, "cv": 0.5},
    "cycle_days": {"mean": 60, "cv": 0.5},
}
SELLER = {
    "kind": "seller",
    "segment": "mid",
    "headcount": 10,
    "tenure_months": 24,
    "cost": 120_000,
    "ramp": [1.0],
    "opps_per_month": 4,
}


def merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def scenario_dict(**changes: object) -> dict:
    """A steady team of 10 fully ramped sellers and nothing else, plus `changes`."""
    base = {
        "name": "test",
        "start": "2027-01",
        "quarters": 8,
        "replications": 200,
        "seed": 7,
        "segments": {"mid": SEGMENT},
        "roles": {"ae": SELLER},
    }
    return merge(base, changes)


def scenario(**changes: object) -> Scenario:
    return Scenario.model_validate(scenario_dict(**changes))


def plan(**changes: object) -> Plan:
    return compile_plan(scenario(**changes))


def stress_plan() -> Plan:
    """Two segments and every mechanism on: programs for new hires and the bottom quartile,
    support staff, planned hires and exits, heavy attrition, no backfill in one role."""
    return plan(
        segments={"mid": dict(SEGMENT, inbound_opps_per_month=15),
                  "ent": dict(SEGMENT, accounts=3000, inbound_opps_per_month=30)},
        roles={
            "ae": dict(SELLER, attrition=0.6, backfill=True, ramp=[0, 0.5, 1], max_open_opps=6,
                       time_to_hire_days={"mean": 40, "cv": 0.4}, skill_sigma=0.4),
            "ent_ae": dict(SELLER, segment="ent", headcount=4, attrition=0.9, backfill=False,
                           time_to_hire_days={"mean": 40, "cv": 0.4}),
            "sdr": {"kind": "sdr", "segment": "ent", "headcount": 3, "cost": 80000,
                    "ramp": [0.5, 1], "opps_per_month": 8, "attrition": 0.5,
                    "time_to_hire_days": {"mean": 30, "cv": 0.3}},
            "coord": {"kind": "support", "segment": "mid", "headcount": 1, "cost": 70000,
                      "covers": 4, "effects": {"win_rate": 1.1, "cycle_time": 0.9},
                      "ramp": [0.5, 1]},
        },
        hiring=[{"role": "ae", "count": 3, "month": "2027-04"},
                {"role": "ent_ae", "count": -2, "month": "2027-07"}],
        programs={
            "new": {"start": "2027-03", "targets": {"role": "ae", "who": "new_hires"},
                    "effects": {"ramp_speed": 1.5, "time_to_hire": 0.7, "deal_size": 1.2},
                    "seat_cost_per_month": 100, "phase_in_months": 2},
            "coach": {"start": "2027-02", "months": 9,
                      "targets": {"role": "ae", "who": "bottom_quartile"},
                      "effects": {"win_rate": 1.3, "attrition": 0.5, "capacity": 1.2}},
        },
    )
