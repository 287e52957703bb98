"""Fuzzing: mutated shipped scenarios only ever end in exit 0, or exit 2 with one line."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from sim import api
from sim.plan import compile_plan
from sim.runner import check_memory
from sim.scenario import ScenarioError, load_scenario, scenario_to_yaml
from tests.profiles import examples

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
RESOLVED = {
    p.stem: yaml.safe_load(scenario_to_yaml(load_scenario(p))) for p in SHIPPED
}

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.floats(-2, 2), max_size=14), st.dictionaries(st.text(max_size=5),
                                                             st.integers(), max_size=3),
    st.sampled_from(["2027-13", "2026-01", "2031-05", "../x", "ae", "mid", "bottom_quartile"]),
)


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i))
    return found


def mutate(data: dict, path: tuple, action: str, value: object) -> dict:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "swap":
        parent[last] = value
    else:  # scale a number
        if isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
            parent[last] = parent[last] * (value if isinstance(value, (int, float)) else -1)
    return data


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    data = RESOLVED[draw(st.sampled_from(sorted(RESOLVED)))]
    for _ in range(draw(st.integers(1, 3))):
        candidates = paths(data)
        path = draw(st.sampled_from(candidates))
        action = draw(st.sampled_from(["delete", "swap", "scale"]))
        data = mutate(data, path, action, draw(odd_values))
    return data


def simulate_or_refuse(path: Path) -> None:
    """The library's path of `simrev run`: load, check the size, simulate, aggregate.

    Bad input may only raise ScenarioError; anything else is a bug."""
    try:
        scenario = api.load(path, ["quarters=1"], replications=2)
        check_memory(compile_plan(scenario), 2, str(path))
    except ScenarioError as error:
        assert "\n" not in str(error) and str(error).strip(), repr(error)
        return
    result = api.run(scenario, workers=1)
    assert len(result.totals) == 2


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_simulate_or_raise_one_line_scenario_errors(data: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        simulate_or_refuse(path)


@settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_end_in_exit_0_or_one_line_exit_2(data: dict) -> None:
    """The same through the command, writing outputs: fewer cases, the whole path."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        result = CliRunner().invoke(main, [
            "run", str(path), "--out", str(Path(folder) / "out"), "--replications", "2",
            "--set", "quarters=1", "--workers", "1", "--quiet"])
        assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
        assert "Traceback" not in result.stderr
        if result.exit_code == 2:
            assert len(result.stderr.splitlines()) == 1, result.stderr
        else:
            assert result.stderr == ""
