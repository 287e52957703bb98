"""Scenario files: schema, loading (`extends`, `--set`), validation and one-line errors.

>>> from sim.scenario import load_scenario
>>> scenario = load_scenario("scenarios/hire5.yaml", ["roles.ae.headcount=25"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from sim.scenario.loader import load_scenario, resolve_raw, scenario_hash, scenario_to_yaml
    from sim.scenario.schema import Scenario

# Loaded on first use (PEP 562): the simulation imports sim.scenario.errors and the light
# modules, and a worker process never needs pydantic, yaml or the loader to simulate.
_LAZY = {"Scenario": "sim.scenario.schema", "load_scenario": "sim.scenario.loader",
         "resolve_raw": "sim.scenario.loader", "scenario_hash": "sim.scenario.loader",
         "scenario_to_yaml": "sim.scenario.loader"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "resolve_raw",
    "scenario_hash",
    "scenario_to_yaml",
]
