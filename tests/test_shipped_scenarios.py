"""The shipped scenarios: valid, believable, and comparable budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.api import load, run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
PLANS = ("hire5", "enablement", "support", "ai_assist")


@pytest.mark.parametrize("name", ["base", *PLANS])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    assert scenario.name == name and scenario.replications == 1000
    if name != "base":
        assert "$" in scenario.description  # the budget is stated
        assert "extends: base.yaml" in (ROOT / "scenarios" / f"{name}.yaml").read_text()


def test_base_is_a_believable_12m_arr_company_with_healthy_rep_productivity() -> None:
    scenario = load(ROOT / "scenarios" / "base.yaml", replications=100)
    assert scenario.customers.arr == 12_000_000
    assert scenario.roles["ae"].headcount == 20
    result = run(scenario, workers=1)
    median = result.summary["rep_distribution"]["median"]
    # published "healthy" band of ARR per rep (OpenView 2024): $350k-650k
    assert 350_000 <= median <= 650_000, median


def test_plans_add_about_the_same_budget() -> None:
    results = {}
    for name in ("base", *PLANS):
        scenario = load(ROOT / "scenarios" / f"{name}.yaml", replications=40,
                        overrides=["quarters=4"])
        results[name] = run(scenario, workers=1).totals
    base_people = results["base"]["cost_people"] + results["base"]["cost_programs"]
    for name in PLANS:
        extra = (results[name]["cost_people"] + results[name]["cost_programs"]
                 - base_people).mean()
        # about $850k a year of loaded cost and programs (hiring delays make it a bit less)
        assert 550_000 < extra < 1_000_000, (name, extra)
