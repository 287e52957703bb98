"""The shipped scenarios: valid, believable, and comparable budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.api import load, run, run_compared
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


def test_plans_add_the_same_two_year_budget_within_5_percent() -> None:
    """Everything a plan buys: its hires and their recruiting, the managers and CSMs they
    pull in, programs and seats, over the two-year horizon; commission aside (it is paid on
    what a plan sells, not budgeted). Read from a real paired run."""
    scenarios = [load(ROOT / "scenarios" / f"{name}.yaml", replications=20)
                 for name in ("base", *PLANS)]
    totals = [result.totals for result in run_compared(scenarios, workers=1)]
    budget = [(t.cost_total - t.cost_commission).mean() for t in totals]
    extra = {name: budget[i + 1] - budget[0] for i, name in enumerate(PLANS)}
    mean = sum(extra.values()) / len(extra)
    assert 1_500_000 < mean < 2_500_000, extra
    for name, value in extra.items():
        assert abs(value / mean - 1) <= 0.05, (name, extra)
