"""The Python API: load a scenario, simulate it, get pandas frames.

>>> from sim.api import load, run
>>> scenario = load("scenarios/base.yaml", replications=50)   # doctest: +SKIP
>>> result = run(scenario)                                      # doctest: +SKIP
>>> result.quarterly.query("metric == 'bookings'")              # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sim.aggregate import build_result
from sim.plan import compile_plan
from sim.results import RunResult
from sim.runner import check_memory, run_plan
from sim.scenario import Scenario, load_scenario


def load(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Read, merge (`extends`, `--set`) and validate a scenario file."""
    return load_scenario(path, overrides, replications=replications, seed=seed)


def run(
    scenario: Scenario,
    *,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Simulate every replication of `scenario` (workers None = all cores)."""
    plan = compile_plan(scenario)
    check_memory(plan, scenario.replications)
    raw, sellers = run_plan(plan, scenario.replications, workers, progress)
    return build_result(scenario, plan, raw, sellers)


def run_compared(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Simulate scenarios for a paired comparison: the first is the base.

    Every scenario runs with the base's seed and replication count, so they share their
    random streams (common random numbers).
    """
    base = scenarios[0]
    aligned = [
        s.model_copy(update={"seed": base.seed, "replications": base.replications})
        for s in scenarios
    ]
    plans = [compile_plan(s) for s in aligned]
    for plan in plans:
        check_memory(plan, base.replications)
    results = []
    for scenario, plan in zip(aligned, plans, strict=True):
        raw, sellers = run_plan(plan, scenario.replications, workers, progress)
        results.append(build_result(scenario, plan, raw, sellers))
    return results
