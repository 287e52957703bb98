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
