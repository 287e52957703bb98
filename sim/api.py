"""The Python API: load a scenario, simulate it, get pandas frames.

>>> from sim.api import load, run
>>> scenario = load("scenarios/base.yaml", replications=50)   # doctest: +SKIP
>>> result = run(scenario)                                      # doctest: +SKIP
>>> result.quarterly.query("metric == 'bookings'")              # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from sim.aggregate import build_result
from sim.plan import compile_plan
from sim.results import RunResult
from sim.runner import check_memory, run_plan
from sim.scenario import Scenario, ScenarioError, load_scenario


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
    scheduler: str | None = None,
) -> RunResult:
    """Simulate every replication of `scenario` (workers None = all cores).

    `scheduler` names a Dask distributed scheduler to run on instead of local processes.
    """
    plan = compile_plan(scenario)
    check_memory(plan, scenario.replications)
    raw, sellers = run_plan(plan, scenario.replications, workers, progress, scheduler)
    return build_result(scenario, plan, raw, sellers)


def run_compared(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
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
        raw, sellers = run_plan(plan, scenario.replications, workers, progress, scheduler)
        results.append(build_result(scenario, plan, raw, sellers))
    return results


def split_values(text: str) -> list[str]:
    """`20,22,[1, 2]` -> ['20', '22', '[1, 2]']: commas inside brackets do not split."""
    values, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return values


def variant_name(base: str, key_path: str, value: str) -> str:
    """A scenario name for one value of a sweep, e.g. base-headcount-22."""
    leaf = re.sub(r"\[\d+\]$", "", key_path).rsplit(".", 1)[-1]
    slug = re.sub(r"[^a-z0-9_-]+", "_", f"{leaf}-{value}".lower()).strip("_")
    return f"{base}-{slug}"[:64]


def sweep(
    path: str | Path,
    vary: str,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> tuple[str, list[str], list[Scenario]]:
    """Variants of the scenario at `path`, one per value of `vary` (`KEY.PATH=V1,V2,...`).

    Returns the key path, the values as written, and the variant scenarios, each named by
    its value. They share the base's seed, so compared together they share random streams.
    """
    key_path, sep, values_text = vary.partition("=")
    values = split_values(values_text) if sep else []
    if not key_path.strip() or not values or any(not v for v in values):
        raise ScenarioError(None, "--vary", vary,
                            "expected KEY.PATH=V1,V2,..., e.g. roles.ae.headcount=20,22,25")
    key_path = key_path.strip()
    variants = []
    for value in values:
        scenario = load_scenario(path, [*overrides, f"{key_path}={value}"],
                                 replications=replications, seed=seed)
        name = variant_name(scenario.name, key_path, value)
        variants.append(scenario.model_copy(update={"name": name}))
    return key_path, values, variants
