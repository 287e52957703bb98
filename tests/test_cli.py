"""The command line: help, run, validate, show, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape as html_escape
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
                                     ["schema"], ["fit"], ["backtest"]])
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
    assert list(quarterly.columns) == ["period", "period_start", "quarter_label", "metric",
                                       "mean", "sd", "p10", "p50", "p90"]
    assert set(quarterly.quarter_label) == {"2027Q1"}
    assert set(quarterly.period) == {"Q1"}
    parquet = pd.read_parquet(folder / "replications.parquet")
    assert len(parquet) == 8 * quarterly.metric.nunique()
    assert "Q1" in result.output and "2027Q1" in result.output
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


def test_compare_ends_with_one_recommendation_and_writes_it(small: Path, tmp_path: Path) -> None:
    hire = write(tmp_path / "hire.yaml", scenario_dict(
        **{**SMALL, "name": "hire"}, hiring=[{"role": "ae", "count": 2, "month": "2027-01"}]))
    longer = ("--set", "quarters=2", "--replications", "30", "--workers", "1")
    result = invoke("compare", small, hire, hire, "--out", tmp_path / "out", *longer)
    assert result.exit_code == 0, result.stderr
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Recommendation: Tie between `hire` and `hire-2` on ARR per extra "
                           "dollar"), last
    folder = tmp_path / "out" / "compare-small-hire-hire-2"
    sentence = (folder / "recommendation.txt").read_text(encoding="utf-8")
    assert sentence == last.removeprefix("Recommendation: ") + "\n"
    ranking = pd.read_csv(folder / "recommendation.csv")
    assert list(ranking.scenario) == ["hire", "hire-2"] and list(ranking.p_best) == [0.5, 0.5]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.index('id="recommendation"') < page.index('id="headline"')
    assert html_escape(sentence.strip()) in page
    table = pd.read_csv(folder / "compare.csv")  # verdicts and labels in words
    assert list(table.columns[:3]) == ["scenario", "metric", "label"]
    assert "ARR at end" in set(table.label)
    verdicts = " ".join(table.verdict)
    assert "cost_total" not in verdicts and "revenue_per_head" not in verdicts
    by_bookings = invoke("compare", small, hire, "--out", tmp_path / "out", *longer,
                         "--objective", "bookings")
    assert by_bookings.exit_code == 0, by_bookings.stderr
    assert by_bookings.output.strip().splitlines()[-1].startswith(
        "Recommendation: Fund `hire`: +$")
    assert "(criterion: bookings)" in by_bookings.output


def test_compare_refuses_an_unknown_objective(small: Path, tmp_path: Path) -> None:
    for bad in ("heads_ae", "revenue"[:3]):
        result = invoke("compare", small, small, "--out", tmp_path / "out", "--objective", bad)
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
        assert "--objective" in result.stderr and "arr_per_extra_dollar" in result.stderr
    assert not (tmp_path / "out").exists()


def test_compare_refuses_another_horizon_unless_align(small: Path, tmp_path: Path) -> None:
    longer = write(tmp_path / "longer.yaml", scenario_dict(
        **{**SMALL, "name": "longer", "quarters": 2},
        hiring=[{"role": "ae", "count": 2, "month": "2027-02"}]))
    later = write(tmp_path / "later.yaml", scenario_dict(**{**SMALL, "name": "later",
                                                           "start": "2027-04"}))
    out = tmp_path / "out"
    for other, key, value, theirs in ((longer, "quarters", "2", "start 2027-01 and 2 quarters"),
                                      (later, "start", "'2027-04'", "start 2027-04 and 1 quarter")):
        refused = invoke("compare", small, other, "--out", out, "--workers", "1")
        assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
        assert refused.stderr.startswith(f"{other}: {key}: {value}: expected the base's horizon")
        assert f"{small} has start 2027-01 and 1 quarter, this plan {theirs}" in refused.stderr
        assert "--align" in refused.stderr and "Traceback" not in refused.stderr
        assert not out.exists()  # refused before simulating: nothing written
    aligned = invoke("compare", small, longer, later, "--align", "--out", out, "--workers", "1",
                     "--quiet")
    assert aligned.exit_code == 0, aligned.stderr
    table = pd.read_csv(out / "compare-small-longer-later" / "compare.csv")
    assert set(table.scenario) == {"small", "longer", "later"}
    # a dated entry outside the base's horizon is the usual error, naming --align
    outside = write(tmp_path / "outside.yaml", scenario_dict(
        **{**SMALL, "name": "outside", "quarters": 2},
        hiring=[{"role": "ae", "count": 2, "month": "2027-05"}]))
    result = invoke("compare", small, outside, "--align", "--out", tmp_path / "out2")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"{outside}: hiring[0].month: '2027-05': expected a month "
                                    "within the horizon, 2027-01 to 2027-03")
    assert "(with --align: the base's horizon, start 2027-01 and 1 quarter" in result.stderr
    assert not (tmp_path / "out2").exists()
    for align in ((), ("--align",)):  # a sweep of the horizon is never comparable
        swept = invoke("compare", small, "--vary", "quarters=1,2", *align, "--out", out)
        assert swept.exit_code == 2 and swept.stderr.count("\n") == 1
        assert "--vary" in swept.stderr and "start and quarters" in swept.stderr
