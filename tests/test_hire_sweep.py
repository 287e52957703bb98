"""Hire sweeps (`compare --hire ROLE=N1,N2 [--at M1,M2]`): variants that hire through
`hiring:` entries, their names, their refusals, and the payback marker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from sim.api import load, run_compared
from sim.hire_sweep import (
    MAX_VARIANTS,
    HireSweep,
    HireVariant,
    hire_curve,
    hire_sweep,
    payback_lines,
    variant_name,
)
from sim.report.page import _hire_section
from sim.results import RunResult
from sim.scenario import ScenarioError
from tests.factories import scenario, scenario_dict

# Everything hiring acts through: time to hire, hire cost, ramp, attrition and backfill,
# territory decay on new seats, managers by span, and a hire the base already plans.
BASE = scenario_dict(
    name="base", replications=24, quarters=3,
    roles={
        "ae": {"headcount": 6, "hire_cost": 20_000, "ramp": [0.0, 0.5, 1.0],
               "attrition": 0.3, "time_to_hire_days": {"mean": 40, "cv": 0.4},
               "territory_decay": 0.05, "max_open_opps": 12, "skill_sigma": 0.3},
        "sdr": {"kind": "sdr", "segment": "mid", "headcount": 2, "cost": 80_000,
                "opps_per_month": 4, "time_to_hire_days": 30},
        "lead": {"kind": "manager", "span": 4, "cost": 200_000},
    },
    hiring=[{"role": "sdr", "count": 1, "month": "2027-02"}],
)


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    return write(tmp_path / "base.yaml", BASE)


@pytest.fixture
def hand_file(tmp_path: Path, base_file: Path) -> Path:
    """The plan written by hand: the base's hires plus three AEs requisitioned in April."""
    return write(tmp_path / "hand.yaml", {
        "extends": "base.yaml", "name": "hand",
        "hiring": [*BASE["hiring"], {"role": "ae", "count": 3, "month": "2027-04"}]})


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


# -- the variant is the plan written by hand ------------------------------------------------


def test_a_hire_variant_equals_the_scenario_written_by_hand(base_file, hand_file) -> None:
    base = load(base_file)
    sweep = hire_sweep(base, ["ae=0,3"], "2027-04")
    (variant,) = sweep.variants
    hand = load(hand_file)
    assert variant.scenario.hiring == hand.hiring
    assert variant.scenario.model_copy(update={"name": "hand"}) == hand
    results = run_compared([base, variant.scenario, hand])
    _, swept, written = results
    pd.testing.assert_frame_equal(swept.totals, written.totals, check_exact=True)
    pd.testing.assert_frame_equal(swept.replications, written.replications, check_exact=True)
    pd.testing.assert_frame_equal(swept.reps, written.reps, check_exact=True)
    assert not swept.totals.equals(results[0].totals)  # the hires changed something
    assert (swept.totals.hires > results[0].totals.hires).all()


def test_the_command_writes_the_same_numbers_for_the_variant_and_the_hand_plan(
        base_file, hand_file, tmp_path) -> None:
    out = tmp_path / "out"
    result = invoke("compare", base_file, hand_file, "--hire", "ae=0,3", "--at", "2027-04",
                    "--out", out, "--workers", "1")
    assert result.exit_code == 0, result.stderr
    (folder,) = out.iterdir()
    table = pd.read_csv(folder / "compare.csv")
    # count 0 is the base itself, run once
    assert list(dict.fromkeys(table.scenario)) == ["base", "hand", "base-3ae-2027-04"]
    numbers = [c for c in table.columns if c not in ("scenario", "verdict", "label")]
    swept = table[table.scenario == "base-3ae-2027-04"][numbers].reset_index(drop=True)
    written = table[table.scenario == "hand"][numbers].reset_index(drop=True)
    pd.testing.assert_frame_equal(swept, written, check_exact=True)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count('<svg class="hire-chart"') == 3  # ARR, cost, ARR per extra dollar
    assert "Hire sweep of ae, 2027-04" in result.stdout
    assert "no step pays back" in result.stdout or "pays back within" in result.stdout


# -- names ------------------------------------------------------------------------------------


def test_variants_are_named_by_their_hires_and_month() -> None:
    base = scenario(**BASE)
    sweep = hire_sweep(base, ["ae=0,3,5", "sdr=0,2"], "2027-01,2027-04")
    assert sweep.roles == ("ae", "sdr") and sweep.months == ("2027-01", "2027-04")
    assert [v.name for v in sweep.variants] == [
        "base-2sdr-2027-01", "base-3ae-2027-01", "base-3ae-2sdr-2027-01", "base-5ae-2027-01",
        "base-5ae-2sdr-2027-01",
        "base-2sdr-2027-04", "base-3ae-2027-04", "base-3ae-2sdr-2027-04", "base-5ae-2027-04",
        "base-5ae-2sdr-2027-04"]
    assert all(v.scenario.name == v.name for v in sweep.variants)
    five = sweep.variants[4].scenario
    assert [h.model_dump() for h in five.hiring] == [
        *BASE["hiring"], {"role": "ae", "count": 5, "month": "2027-01"},
        {"role": "sdr", "count": 2, "month": "2027-01"}]


def test_the_month_defaults_to_the_first_and_a_long_name_keeps_its_hires() -> None:
    (variant,) = hire_sweep(scenario(**BASE), ["ae=4"]).variants
    assert variant.name == "base-4ae-2027-01"
    long = variant_name("x" * 64, ["ae"], [12], "2027-01")
    assert len(long) == 64 and long.endswith("-12ae-2027-01")
    assert variant_name("base", ["AE team"], [2], "2027-01") == "base-2ae_team-2027-01"


# -- bad input: one line, exit 2, nothing written -------------------------------------------


@pytest.mark.parametrize("args, needle", [
    (["--hire", "aes=0,3"], "did you mean 'ae'"),
    (["--hire", "lead=1,2"], "role 'lead' is a manager"),
    (["--hire", "ae=-1,3"], "count '-1' is not a whole number"),
    (["--hire", "ae=2.5"], "count '2.5' is not a whole number"),
    (["--hire", "ae=three"], "count 'three'"),
    (["--hire", "ae"], "expected ROLE=N1,N2"),
    (["--hire", "ae=3,3"], "count 3 is given twice"),
    (["--hire", "ae=0"], "every count is 0"),
    (["--hire", "ae=1", "--hire", "ae=2"], "role 'ae' is swept twice"),
    (["--hire", "ae=3", "--at", "2028-01"], "2028-01 is outside the horizon"),
    (["--hire", "ae=3", "--at", "2026-12"], "2026-12 is outside the horizon"),
    (["--hire", "ae=3", "--at", "April"], "expected months as YYYY-MM"),
    (["--hire", "ae=3", "--at", "2027-02,2027-02"], "2027-02 is given twice"),
    (["--at", "2027-04"], "--at: '2027-04': expected --at only with --hire"),
    (["--hire", "ae=3", "--vary", "roles.ae.headcount=4,5"], "either --vary or --hire"),
    (["--hire", "ae=" + ",".join(str(n) for n in range(1, MAX_VARIANTS + 2))],
     f"expected at most {MAX_VARIANTS}"),
])
def test_bad_hire_options_are_one_line_exit_2_and_nothing_written(
        base_file, tmp_path, args, needle) -> None:
    out = tmp_path / "out"
    result = invoke("compare", base_file, *args, "--out", out, "--workers", "1")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert needle in result.stderr
    assert not out.exists()


def test_hire_sweep_errors_are_scenario_errors_naming_the_file() -> None:
    with pytest.raises(ScenarioError, match=r"^base\.yaml: --hire: 'ea=1'"):
        hire_sweep(scenario(**BASE), ["ea=1"], file="base.yaml")


# -- the payback marker on a constructed case -------------------------------------------------


def _result(name: str, arr: np.ndarray, cost: np.ndarray) -> RunResult:
    empty = pd.DataFrame()
    return RunResult(scenario(name=name), "", empty, empty, empty, empty, {},
                     pd.DataFrame({"arr": arr, "cost_total": cost}))


def constructed() -> tuple[list[RunResult], HireSweep]:
    """0, 2, 4, 6 hires: each step adds 2M of cost; ARR +3M, +2.5M, then +1.5M (noise
    shared by every plan, as under common random numbers): only the last step loses."""
    noise = np.random.default_rng(1).normal(0, 1e5, 200)
    arr0, cost0 = 10e6 + noise, 5e6 + noise / 3
    steps = {2: (3e6, 2e6), 4: (5.5e6, 4e6), 6: (7e6, 6e6)}
    results = [_result("base", arr0, cost0)]
    variants = []
    for n, (extra_arr, extra_cost) in steps.items():
        results.append(_result(f"base-{n}ae-2027-01", arr0 + extra_arr, cost0 + extra_cost))
        variants.append(HireVariant(f"base-{n}ae-2027-01", (n,), "2027-01",
                                    results[-1].scenario))
    return results, HireSweep(("ae",), ((0, 2, 4, 6),), ("2027-01",), tuple(variants))


def test_the_payback_marker_is_on_the_first_step_whose_extra_arr_is_below_its_cost() -> None:
    results, sweep = constructed()
    curve = hire_curve(results, sweep)
    assert list(curve.hires) == [0, 2, 4, 6]
    assert np.allclose(curve.step_net[1:], [1e6, 0.5e6, -0.5e6])
    assert list(curve.stops_paying_back) == [False, False, False, True]
    assert np.allclose(curve.arr_per_extra_dollar[1:], [1.5, 5.5 / 4, 7 / 6])
    (line,) = payback_lines(curve, "ae")
    assert "hiring beyond 4 ae stops paying back" in line and "the next 2 add" in line
    section = _hire_section(results, sweep)
    assert section.count('class="payback-marker"') == 3  # on each of the three charts
    assert "stops paying back" in section


def test_no_marker_when_every_step_pays_back() -> None:
    results, sweep = constructed()
    results[-1] = _result("base-6ae-2027-01", results[0].totals.arr + 9e6,
                          results[0].totals.cost_total + 6e6)
    curve = hire_curve(results, sweep)
    assert not curve.stops_paying_back.any()
    assert "every step up to 6 ae hired pays back" in payback_lines(curve, "ae")[0]
    assert "payback-marker" not in _hire_section(results, sweep)


def test_the_terminal_table_fits_80_columns_without_cutting_a_number() -> None:
    from rich.console import Console

    from cli.tables import hire_tables

    results, sweep = constructed()
    console = Console(width=80, record=True)
    for table in hire_tables(hire_curve(results, sweep), "ae"):
        console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for number in ("$17.00M", "$11.00M", "-$500k", "1.17", "$7.00M", "$6.00M"):
        assert number in text
    assert [line.split()[-2] for line in text.splitlines() if line.startswith("│")] == [
        "–", "yes", "yes", "no"]


@pytest.mark.parametrize("base, hires, at", [
    ("base.yaml", ["ae=1"], None), (None, ["ae=1"], None),
    ("BASE", "ae=1", None), ("BASE", [], None), ("BASE", [3], None),
    ("BASE", ["ae=1"], 202701), ("BASE", ["ae=1"], ""),
])
def test_hire_sweep_refuses_bad_arguments_with_a_scenario_error(base, hires, at) -> None:
    with pytest.raises(ScenarioError):
        hire_sweep(scenario(**BASE) if base == "BASE" else base, hires, at)
