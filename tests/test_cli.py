"""The command line: help, run, validate, show, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from tests.factories import scenario_dict

SMALL = {"replications": 8, "quarters": 1, "name": "small",
         "roles": {"ae": {"headcount": 3, "attrition": 0.3, "time_to_hire_days": 30}}}


def write(path: Path, data: dict | str) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path / "small.yaml", scenario_dict(**SMALL))


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["show"], ["compare"],
                                     ["schema"], ["backtest"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    for flag in ("--help", "-h"):
        result = invoke(*command, flag)
        assert result.exit_code == 0
        assert "Example:" in result.output
        assert f"simrev {command[0] if command else 'run'} " in result.output


def test_run_writes_every_output_file(small: Path, tmp_path: Path) -> None:
    result = invoke("run", small, "--out", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "out" / "small"
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        ".simrev-output", "summary.json", "scenario.yaml", "monthly.csv", "quarterly.csv",
        "replications.parquet", "reps.csv", "report.html"])
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["replications"] == 8 and summary["name"] == "small"
    assert set(summary["headline"]["bookings"]) == {"mean", "p10", "p50", "p90"}
    quarterly = pd.read_csv(folder / "quarterly.csv")
    assert list(quarterly.columns) == ["period", "period_start", "metric", "mean", "sd", "p10",
                                       "p50", "p90"]
    assert set(quarterly.period) == {"Q1"}
    parquet = pd.read_parquet(folder / "replications.parquet")
    assert len(parquet) == 8 * quarterly.metric.nunique()
    assert "Q1" in result.output and "2027-01" in result.output
    assert "Annual bookings per seller" in result.output


def test_same_seed_gives_byte_identical_files_for_one_or_two_workers(small: Path,
                                                                     tmp_path: Path) -> None:
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert invoke("run", small, "--out", out, "--workers", workers, "--quiet",
                      "--replications", "60").exit_code == 0
    for name in ("summary.json", "monthly.csv", "quarterly.csv", "reps.csv", "scenario.yaml"):
        assert (tmp_path / "w1/small" / name).read_bytes() == (
            tmp_path / "w2/small" / name).read_bytes(), name
    a = pd.read_parquet(tmp_path / "w1/small/replications.parquet")
    b = pd.read_parquet(tmp_path / "w2/small/replications.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_quiet_prints_nothing(small: Path, tmp_path: Path) -> None:
    result = invoke("run", small, "--out", tmp_path, "--quiet")
    assert result.exit_code == 0 and result.output == "" and result.stderr == ""


def test_validate_and_show(small: Path, tmp_path: Path) -> None:
    ok = invoke("validate", small)
    assert ok.exit_code == 0 and f"ok  {small}" in ok.output
    bad = write(tmp_path / "bad.yaml", scenario_dict(**SMALL, segments={"mid": {"win_rate": 2}}))
    result = invoke("validate", small, bad)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "segments.mid.win_rate" in result.stderr
    shown = invoke("show", small, "--set", "roles.ae.headcount=7")
    assert shown.exit_code == 0
    assert yaml.safe_load(shown.output)["roles"]["ae"]["headcount"] == 7


def test_an_internal_error_is_one_line_exit_1(small: Path, tmp_path: Path, monkeypatch) -> None:
    import sim.api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sim.api, "run", broken)
    result = invoke("run", small, "--out", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "simrev: internal error: RuntimeError: boom (rerun with --debug for the traceback)")
    debug = invoke("run", small, "--out", tmp_path, "--debug")
    assert "Traceback" in debug.stderr and debug.exit_code == 1


def test_the_installed_command_runs_in_a_subprocess(small: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "cli", "validate", str(small)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([sys.executable, "-m", "cli", "run", str(tmp_path / "none.yaml")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_compare_a_scenario_with_itself_gives_exact_zeros(small: Path, tmp_path: Path) -> None:
    result = invoke("compare", small, small, "--out", tmp_path, "--workers", "1",
                    "--set", "quarters=2")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(tmp_path / "compare-small-small-2" / "compare.csv")
    copy = table[table.scenario == "small-2"]
    assert len(copy) == 7 and (copy.diff_mean == 0).all() and (copy.share_beating_base == 0).all()
    assert "not distinguishable" in result.output or "base leads" in result.output


def test_compare_vary_runs_one_variant_per_value(small: Path, tmp_path: Path) -> None:
    result = invoke("compare", small, "--vary", "roles.ae.headcount=2,4", "--out", tmp_path,
                    "--quiet")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "compare-small-small-headcount-2-small-headcount-4"
    table = pd.read_csv(folder / "compare.csv")
    assert list(dict.fromkeys(table.scenario)) == ["small", "small-headcount-2",
                                                   "small-headcount-4"]
    bad = invoke("compare", small, "--vary", "roles.ae.headcount", "--out", tmp_path)
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "--vary" in bad.stderr


def test_xlsx_flag_writes_the_workbook(small: Path, tmp_path: Path) -> None:
    assert invoke("run", small, "--out", tmp_path, "--quiet", "--xlsx").exit_code == 0
    assert (tmp_path / "small" / "summary.xlsx").stat().st_size > 0
    result = invoke("compare", small, small, "--out", tmp_path, "--quiet", "--xlsx")
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "compare-small-small-2"
    assert {"compare.csv", "increments.csv", "report.html", "summary.xlsx"} <= {
        p.name for p in folder.iterdir()}
