"""Assumptions as ranges (issue 13, item 1): `{between: [lo, hi]}` or with `likely`, drawn
once per replication from a stream keyed by the key path."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main as cli_main
from sim import ranges
from sim.api import load, run, run_compared
from sim.outputs import write_run
from sim.ranges import Range, draw, draws_frame
from sim.scenario import ScenarioError, load_scenario, scenario_hash, scenario_to_yaml

SMALL = """\
name: small
start: 2027-01
quarters: 4
replications: 6
seed: 7
segments:
  mid:
    win_rate: {win_rate}
    deal_size: {{mean: 40_000, cv: 0.6}}
    cycle_days: {{mean: 60, cv: 0.5}}
    inbound_opps_per_month: 10
roles:
  ae:
    kind: seller
    segment: mid
    headcount: 10
    cost: 170_000
    ramp: [0.25, 0.5, 1.0]
    attrition: 0.3
    opps_per_month: 4
  csm:
    kind: csm
    cost: 120_000
    book_per_head: 2_000_000
    follows: {{arr: {follows_arr}}}
customers:
  count: 300
  arr: {arr}
  churn: 0.12
programs:
  tool:
    start: 2027-01
    monthly_cost: {monthly_cost}
    targets: {{role: ae}}
    effects: {effects}
"""
DEFAULTS = {"win_rate": "0.22", "follows_arr": "2_000_000", "arr": "12_000_000",
            "monthly_cost": "10_000", "effects": "{selling_time: 1.15, cycle_time: 0.9}"}
RANGE = "{between: [1.05, 1.25], likely: 1.15}"


def write(tmp_path: Path, name: str = "small", **values: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    text = SMALL.format(**{**DEFAULTS, **values}).replace("name: small", f"name: {name}")
    path.write_text(text, encoding="utf-8")
    return path


def frames(result) -> dict[str, pd.DataFrame]:
    return {"monthly": result.monthly, "quarterly": result.quarterly,
            "replications": result.replications, "reps": result.reps, "totals": result.totals}


# Equal ends ---------------------------------------------------------------------------------------


def test_a_range_with_equal_ends_gives_results_identical_to_the_plain_number(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = load(write(tmp_path, "plain"))
    ranged = load(write(tmp_path, "ranged", effects="{selling_time: {between: [1.15, 1.15]}, "
                        "cycle_time: {between: [0.9, 0.9], likely: 0.9}}"))
    assert [r.key for r in ranged.ranges] == ["programs.tool.effects.selling_time",
                                              "programs.tool.effects.cycle_time"]

    def untouched(*args: object) -> None:
        raise AssertionError("a range with equal ends drew a random stream")

    monkeypatch.setattr(ranges, "stream", untouched)  # no stream is drawn for it
    a, b = run(plain), run(ranged)
    for name, frame in frames(a).items():
        pd.testing.assert_frame_equal(frame, frames(b)[name], check_exact=True, obj=name)
    assert (b.draws["programs.tool.effects.selling_time"] == 1.15).all()
    # the written numbers, byte for byte (the scenario and its hash differ: they show the range)
    out_a, out_b = write_run(a, tmp_path / "a"), write_run(b, tmp_path / "b")
    for file in ("monthly.csv", "quarterly.csv", "replications.parquet", "reps.csv"):
        assert (out_a / file).read_bytes() == (out_b / file).read_bytes(), file
    assert not (out_a / "draws.parquet").exists() and (out_b / "draws.parquet").exists()


# Common random numbers ----------------------------------------------------------------------------


def test_two_plans_sharing_a_range_share_its_draws(tmp_path: Path) -> None:
    """Keyed by the key path: the same range in two plans (written in another order, with
    other costs, another name and seed) gets the same draws, so their paired difference in
    bookings has no variance from it; an identical copy compares to exactly 0."""
    first = load(write(tmp_path, "first", effects=f"{{selling_time: {RANGE}, cycle_time: 0.9}}"))
    other = load(write(tmp_path, "other", monthly_cost="25_000",
                       effects=f"{{cycle_time: 0.9, selling_time: {RANGE}}}"))
    copy = load(write(tmp_path, "copy", effects=f"{{selling_time: {RANGE}, cycle_time: 0.9}}"))
    other = other.model_copy(update={"seed": 99})  # compared with the base's seed
    results = run_compared([first, other, copy], workers=1)
    draws = [r.draws for r in results]
    pd.testing.assert_frame_equal(draws[0], draws[1])
    assert draws[0]["programs.tool.effects.selling_time"].nunique() == first.replications
    bookings = [r.totals["bookings"].to_numpy() for r in results]
    assert np.array_equal(bookings[0], bookings[1])  # only the cost differs
    assert np.array_equal(bookings[0], bookings[2])
    for metric in results[0].totals:
        assert np.array_equal(results[0].totals[metric], results[2].totals[metric],
                              equal_nan=True), metric
    spent = results[1].totals["cost_total"] - results[0].totals["cost_total"]
    assert np.allclose(spent, 15_000 * 12)


def test_a_plans_own_range_widens_its_p10_p90_against_a_fixed_value(tmp_path: Path) -> None:
    """Bookings are about proportional to the win rate: a range of 0.12-0.32 around 0.22 has
    a P10-P90 of about 0.16 / 0.22 = 73% of the bookings, the dice alone a few percent."""
    fixed = load(write(tmp_path, "fixed"), replications=40)
    wide = load(write(tmp_path, "wide", win_rate="{between: [0.12, 0.32]}"), replications=40)
    assert fixed.segments["mid"].win_rate == wide.segments["mid"].win_rate == 0.22
    a, b = run_compared([fixed, wide], workers=1)

    def spread(result) -> float:
        p10, p90 = np.percentile(result.totals["bookings"], [10, 90])
        return p90 - p10

    assert spread(b) > 3 * spread(a), (spread(a), spread(b))
    drawn = b.draws["segments.mid.win_rate"]
    assert drawn.between(0.12, 0.32).all()
    # the draws drive the result: bookings rise with the drawn win rate
    assert np.corrcoef(drawn, b.totals["bookings"])[0, 1] > 0.9


# The draws ----------------------------------------------------------------------------------------


def test_draws_follow_the_uniform_and_triangular_laws() -> None:
    """Means and the triangular's quantiles, with tolerances of 4 standard errors."""
    uniform = Range(("a",), 1.0, 2.0)
    triangle = Range(("b",), 1.0, 2.0, 1.2)
    n = 4000
    values = np.array([draw(3, i, (uniform, triangle)) for i in range(n)])
    assert values[:, 0].min() >= 1.0 and values[:, 0].max() <= 2.0
    se_uniform = math.sqrt(1 / 12 / n)
    assert abs(values[:, 0].mean() - 1.5) < 4 * se_uniform
    mean = (1.0 + 2.0 + 1.2) / 3
    var = (1 + 4 + 1.44 - 2 - 1.2 - 2.4) / 18
    assert abs(values[:, 1].mean() - mean) < 4 * math.sqrt(var / n)
    assert triangle.at(0.0) == 1.0 and triangle.at(0.2) == pytest.approx(1.2)
    assert triangle.at(1 - 1e-15) == pytest.approx(2.0, abs=1e-6)
    # one stream per key path: a range's draws do not depend on the others
    alone = np.array([draw(3, i, (triangle,)) for i in range(50)])[:, 0]
    assert np.array_equal(alone, values[:50, 1])


def test_draws_frame_is_a_pure_function_of_seed_and_key_paths() -> None:
    found = (Range(("x", "y"), 0.1, 0.3), Range(("z", 0), 5.0, 5.0))
    frame = draws_frame(11, 5, found)
    assert list(frame.columns) == ["replication", "x.y", "z[0]"]
    assert frame.equals(draws_frame(11, 5, found))
    assert not frame["x.y"].equals(draws_frame(12, 5, found)["x.y"])
    assert draws_frame(11, 5, ()) is None


# Validation ---------------------------------------------------------------------------------------

SELLING = "programs.tool.effects.selling_time"


@pytest.mark.parametrize(("effects", "line", "where", "value", "expected"), [
    ("{selling_time: {between: [1.2, 1.05]}}", 35, f"{SELLING}.between", "[1.2, 1.05]",
     "expected [low, high] with low <= high"),
    ("{selling_time: {between: [1.05, 6]}}", 35, f"{SELLING}.between[1]", "6",
     "expected a number in (0, 5] for selling_time"),
    ("{selling_time: {between: [0, 1.2]}}", 35, f"{SELLING}.between[0]", "0",
     "expected a number > 0"),
    ("{selling_time: {between: [1.0, 1.2], likely: 1.3}}", 35, f"{SELLING}.likely", "1.3",
     "expected a number in [1.0, 1.2] (between the ends)"),
    ("{selling_time: {between: [1.0]}}", 35, f"{SELLING}.between", "[1.0]",
     "expected a list of two numbers [low, high]"),
    ("{selling_time: {between: [1.0, yes]}}", 35, f"{SELLING}.between[1]", "True",
     "expected a number (an end of the range)"),
    ("{selling_time: {between: [1.0, 1.2], likly: 1.1}}", 35, f"{SELLING}.likly", "1.1",
     "unknown key 'likly' in a range"),
    ("{selling_time: {likely: 1.1}}", 35, SELLING, "{'likely': 1.1}",
     "a range needs between: [low, high]"),
])
def test_a_bad_range_is_one_line_at_its_key_path(tmp_path: Path, effects: str, line: int,
                                                 where: str, value: str, expected: str) -> None:
    path = write(tmp_path, effects=effects)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert (error.line, error.key_path) == (line, where), str(error)
    assert str(error).startswith(f"{path}:{line}: {where}: {value}: {expected}"), str(error)


def test_ends_are_checked_against_cross_section_checks(tmp_path: Path) -> None:
    """The cross-checks run at each end: one CSM per 100 of today's ARR would need 120,000
    CSMs (over headcount's bound) at the low end, and at the high end of a ranged ARR."""
    path = write(tmp_path, follows_arr="{between: [100, 2_000_000]}")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.key_path == "roles.csm.follows.arr.between[0]"
    assert "would need 120,000 heads" in caught.value.expected
    path = write(tmp_path, follows_arr="100", arr="{between: [1_000, 12_000_000]}")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.key_path == "roles.csm.follows.arr"
    assert caught.value.expected.endswith("(with customers.arr.between[1] = 12000000)")


def test_the_nominal_value_is_checked_too(tmp_path: Path) -> None:
    """Both ends are fine costs, the midpoint 0.75 is not (a cost is 0 or at least 1)."""
    path = write(tmp_path, monthly_cost="{between: [0, 1.5]}")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.key_path == "programs.tool.monthly_cost"
    assert caught.value.expected.endswith("(the range's midpoint)")


@pytest.mark.parametrize(("setting", "where", "expected"), [
    ("roles.ae.headcount={between: [8, 12]}", "roles.ae.headcount", "takes whole numbers"),
    ("start={between: [1, 2]}", "start", "a range stands for a number; expected a month"),
    ("roles.ae.segment={between: [1, 2]}", "roles.ae.segment",
     "a range stands for a number; expected the name of a segment"),
])
def test_whole_number_and_non_number_keys_refuse_a_range(tmp_path: Path, setting: str,
                                                         where: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path), [setting])
    assert caught.value.key_path == where
    assert expected in caught.value.expected
    assert str(caught.value.value) == "(a range)"


def test_the_command_line_refuses_a_bad_range_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, effects="{selling_time: {between: [1.05, 6]}}")
    result = CliRunner().invoke(cli_main.main, ["validate", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(f"{path}:35: {SELLING}.between[1]: 6: expected a number in (0, 5]")


# Written and read back ----------------------------------------------------------------------------


def test_scenario_yaml_keeps_ranges_as_written_and_loads_back_equal(tmp_path: Path) -> None:
    path = write(tmp_path, effects=f"{{selling_time: {RANGE}, cycle_time: 0.9}}",
                 win_rate="{between: [0.18, 0.26]}")
    scenario = load_scenario(path)
    text = scenario_to_yaml(scenario)
    assert "selling_time: {between: [1.05, 1.25], likely: 1.15}" in text
    assert "win_rate: {between: [0.18, 0.26]}" in text
    again = tmp_path / "again.yaml"
    again.write_text(text, encoding="utf-8")
    loaded = load_scenario(again)
    assert loaded == scenario and loaded.ranges == scenario.ranges
    assert scenario_hash(loaded) == scenario_hash(scenario)
    shown = CliRunner().invoke(cli_main.main, ["show", str(path)])
    assert shown.exit_code == 0 and "likely: 1.15}" in shown.output


def test_the_hash_covers_ranges(tmp_path: Path) -> None:
    plain = load_scenario(write(tmp_path))
    hashes = {scenario_hash(plain)}
    for effects in ("{selling_time: {between: [1.05, 1.25]}, cycle_time: 0.9}",
                    "{selling_time: {between: [1.05, 1.25], likely: 1.15}, cycle_time: 0.9}",
                    "{selling_time: {between: [1.15, 1.15]}, cycle_time: 0.9}"):
        ranged = load_scenario(write(tmp_path, effects=effects))
        assert ranged.programs["tool"].effects["selling_time"] == 1.15
        hashes.add(scenario_hash(ranged))
    assert len(hashes) == 4


def test_draws_parquet_holds_each_replications_draws(tmp_path: Path) -> None:
    scenario = load(write(tmp_path, effects=f"{{selling_time: {RANGE}, cycle_time: 0.9}}"),
                    replications=3)
    result = run(scenario)
    folder = write_run(result, tmp_path / "out")
    written = pd.read_parquet(folder / "draws.parquet")
    pd.testing.assert_frame_equal(written, result.draws)
    expected = draws_frame(scenario.seed, 3, scenario.ranges)
    pd.testing.assert_frame_equal(written, expected)
    assert yaml.safe_load((folder / "scenario.yaml").read_text())["programs"]["tool"][
        "effects"]["selling_time"] == {"between": [1.05, 1.25], "likely": 1.15}


def test_a_range_in_a_child_file_replaces_the_parents_range(tmp_path: Path) -> None:
    """`extends` merges mappings key by key, but a range is one value: the child's
    `{between: [1.0, 1.1]}` must not pick up the parent's `likely: 1.15`."""
    write(tmp_path, "parent", effects=f"{{selling_time: {RANGE}}}")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\nprograms:\n  tool:\n    effects:\n"
                     "      selling_time: {between: [1.0, 1.1]}\n", encoding="utf-8")
    assert load_scenario(child).ranges == (Range(("programs", "tool", "effects",
                                                  "selling_time"), 1.0, 1.1),)
