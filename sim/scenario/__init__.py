"""Scenario files: schema, loading (`extends`, `--set`), validation and one-line errors.

>>> from sim.scenario import load_scenario
>>> scenario = load_scenario("scenarios/hire5.yaml", ["roles.ae.headcount=25"])  # doctest: +SKIP
"""

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario, resolve_raw, scenario_hash, scenario_to_yaml
from sim.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "resolve_raw",
    "scenario_hash",
    "scenario_to_yaml",
]
