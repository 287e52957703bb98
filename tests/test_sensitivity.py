"""What drives the answer: the tornado table, its noise, where the answer flips, and its
files, terminal table and report chart (built on fabricated draws, so these tests stand
without ranges in scenario files)."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console

from cli.tables import compare_drivers_table, print_run
from sim.api import run, run_compared
from sim.compare import compare, increments
from sim.metric_registry import COMPARED, HEADLINE, label
from sim.outputs import write_compare, write_run
from sim.report import render_compare, render_run
from sim.results import RunResult
from sim.sensitivity import (
    COLUMNS,
    assumption_label,
    flip_point,
    joint_draws,
    paired_sensitivity,
    run_sensitivity,
    sensitivity,
)
from tests.factories import scenario

ROOT = Path(__file__).resolve().parent.parent

A, B, C = ("programs.ai_assist.effects.selling_time", "segments.mid.win_rate",
           "roles.ae.attrition")


def synthetic(n: int, seed: int, noise: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draws of three assumptions, uniform on [0, 1], and an outcome 10·a + 1·b + 0·c plus
    normal noise: a matters ten times more than b, c not at all."""
    rng = np.random.default_rng(seed)
    draws = pd.DataFrame({"replication": np.arange(n), A: rng.uniform(size=n),
                          B: rng.uniform(size=n), C: rng.uniform(size=n)})
    outcome = 10 * draws[A] + 1 * draws[B] + rng.normal(0, noise, n)
    outcomes = pd.DataFrame({"arr": outcome, "bookings": rng.normal(0, 1, n)})
    return outcomes.rename_axis("replication"), draws


def by_assumption(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame.metric == metric].set_index("assumption")


def test_sensitivity_recovers_a_known_ordering() -> None:
    """a (10x) ranks first, b (1x) second, c (no effect) last with a swing within noise."""
    outcomes, draws = synthetic(2000, seed=1)
    frame = sensitivity(outcomes, draws, seed=5)
    assert list(frame.columns) == list(COLUMNS)
    arr = by_assumption(frame, "arr")
    assert list(arr.sort_values("rank").index) == [A, B, C]
    assert list(arr.loc[[A, B, C], "rank"]) == [1, 2, 3]
    # The P50 of 10a + b + e (symmetric terms) in a fifth of a's draws is 10·E[a | fifth] + 0.5:
    # the fifths' means are 0.1 and 0.9, so the swing is 10 × 0.8 = 8 for a, 0.8 for b.
    for key, effect in ((A, 10.0), (B, 1.0)):
        row = arr.loc[key]
        assert abs(row.swing - effect * 0.8) < 4 * row.swing_se, (key, row.swing, row.swing_se)
    ratio = arr.loc[A, "swing"] / arr.loc[B, "swing"]
    ratio_se = ratio * math.hypot(*(arr.loc[k, "swing_se"] / arr.loc[k, "swing"] for k in (A, B)))
    assert abs(ratio - 10) < 4 * ratio_se, (ratio, ratio_se)
    assert abs(arr.loc[C, "swing"]) < 3 * arr.loc[C, "swing_se"]
    assert arr.loc[C, "swing_se"] > 0
    # the fifths' boundaries are the 20th and 80th percentiles of the draws
    for key in (A, B, C):
        x = np.sort(draws[key].to_numpy())
        assert arr.loc[key, "low_fifth_to"] == x[400 - 1]
        assert arr.loc[key, "high_fifth_from"] == x[2000 - 400]
    # an outcome nothing drives: every swing within noise
    noise = by_assumption(frame, "bookings")
    assert (noise.swing.abs() < 3 * noise.swing_se).all()


def test_sensitivity_is_reproducible_and_labelled() -> None:
    outcomes, draws = synthetic(300, seed=2)
    one = sensitivity(outcomes, draws, seed=9)
    pd.testing.assert_frame_equal(one, sensitivity(outcomes, draws.sample(frac=1, random_state=0),
                                                   seed=9))
    assert set(one.label) == {"ai_assist selling time", "mid win rate", "ae attrition"}
    assert set(one.metric_label) == {label("arr"), label("bookings")}
    other = sensitivity(outcomes, draws, seed=10)
    assert not np.allclose(one.swing_se, other.swing_se)  # the noise comes from the seed
    assert np.allclose(one.swing, other.swing)  # the swing does not


def test_swing_standard_error_matches_the_spread_over_independent_runs() -> None:
    """The bootstrap noise is honest: over 100 independent synthetic runs, the standard
    deviation of a no-effect assumption's swing matches the mean swing_se (to 4 relative
    standard errors of a standard deviation, 1/sqrt(2(N - 1))), and an effect's swing_se
    does not understate its spread."""
    runs = 100
    swings, ses = [], []
    for k in range(runs):
        outcomes, draws = synthetic(200, seed=100 + k, noise=1.0)
        arr = by_assumption(sensitivity(outcomes, draws, ["arr"], seed=k), "arr")
        swings.append(arr.loc[[A, C], "swing"].to_numpy())
        ses.append(arr.loc[[A, C], "swing_se"].to_numpy())
    spread = np.std(swings, axis=0, ddof=1)
    mean_se = np.mean(ses, axis=0)
    tolerance = 4 / math.sqrt(2 * (runs - 1))
    assert abs(mean_se[1] / spread[1] - 1) < tolerance, (mean_se, spread)
    assert mean_se[0] / spread[0] > 1 - tolerance, (mean_se, spread)


def test_constant_draws_and_too_few_replications() -> None:
    outcomes, draws = synthetic(50, seed=3)
    draws[C] = 1.1  # a range with equal ends
    row = by_assumption(sensitivity(outcomes, draws), "arr").loc[C]
    assert row.swing == 0 and row.swing_se == 0 and row.low_fifth_to == 1.1
    few = sensitivity(outcomes.iloc[:4], draws.iloc[:4])
    assert few.swing.isna().all()


@pytest.mark.parametrize(("key", "expected"), [
    ("programs.ai_assist.effects.selling_time", "ai_assist selling time"),
    ("roles.coord.effects.win_rate", "coord win rate"),
    ("segments.mid.deal_size.mean", "mid deal size mean"),
    ("roles.ae.attrition", "ae attrition"),
    ("customers.churn_annual", "customers churn annual"),
    ("hiring[0].count", "hiring entry 1 count"),
])
def test_assumption_labels_read_as_words(key: str, expected: str) -> None:
    assert assumption_label(key) == expected


# --- where the answer flips ------------------------------------------------------------


def crossing(n: int, seed: int, slope: float, at: float, sigma: float = 0.05):
    """x uniform on [1.0, 1.2]; diff = slope·(x − at) + noise; a second, idle assumption."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1.0, 1.2, n)
    diff = slope * (x - at) + rng.normal(0, sigma, n)
    draws = pd.DataFrame({"replication": np.arange(n),
                          "roles.coord.effects.selling_time": x,
                          "segments.mid.win_rate": rng.uniform(0.2, 0.3, n)})
    tolerance = 4 * sigma / math.sqrt(n / 10) / abs(slope)  # 4 SE of a tenth's mean, in x
    return diff, draws, tolerance


def test_flip_point_finds_a_known_crossing_below() -> None:
    diff, draws, tolerance = crossing(2000, seed=4, slope=2.0, at=1.08)
    assert diff.mean() > 0  # the plan wins on average ...
    flip = flip_point(diff, draws, seed=1)
    assert flip is not None
    label_, value, direction = flip  # ... unless selling time is below 1.08
    assert label_ == "coord selling time" and direction == "below"
    assert abs(value - 1.08) < tolerance, (value, tolerance)


def test_flip_point_finds_a_known_crossing_above() -> None:
    diff, draws, tolerance = crossing(2000, seed=5, slope=-2.0, at=1.13)
    flip = flip_point(pd.Series(diff, index=draws.replication), draws.iloc[::-1])
    assert flip_point(diff, draws.drop(columns="replication")) == flip  # by the index
    assert flip is not None and flip.direction == "above"
    assert abs(flip.value - 1.13) < tolerance, (flip.value, tolerance)


def test_flip_point_is_none_when_the_answer_holds_everywhere() -> None:
    diff, draws, _ = crossing(2000, seed=6, slope=2.0, at=0.9)  # positive over the range
    assert flip_point(diff, draws) is None
    pure_noise = np.random.default_rng(7).normal(0.05, 0.05, 2000)
    assert flip_point(pure_noise, draws) is None
    assert flip_point(diff, draws[["replication"]]) is None


# --- the paired version ---------------------------------------------------------------


def fabricated(name: str, totals: pd.DataFrame, draws: pd.DataFrame | None,
               seed: int = 7) -> RunResult:
    empty = pd.DataFrame()
    return RunResult(scenario=scenario(name=name, seed=seed), scenario_hash="0" * 64,
                     monthly=empty, quarterly=empty, replications=empty, reps=empty,
                     totals=totals.rename_axis("replication"), draws=draws)


def test_paired_sensitivity_finds_what_decides_the_difference() -> None:
    """A shared assumption moves both plans alike, so it decides nothing about their
    difference; the plan's own assumption decides it."""
    n = 1000
    rng = np.random.default_rng(8)
    shared, own = rng.uniform(size=n), rng.uniform(size=n)
    noise = rng.normal(0, 0.1, (n, len(COMPARED)))
    base_totals = pd.DataFrame(5 * shared[:, None] + noise, columns=list(COMPARED))
    plan_totals = base_totals + 2 * own[:, None] + rng.normal(0, 0.01, (n, len(COMPARED)))
    reps = np.arange(n)
    base = fabricated("base", base_totals, pd.DataFrame({"replication": reps, B: shared}))
    plan = fabricated("plan", plan_totals,
                      pd.DataFrame({"replication": reps, B: shared, A: own}))
    idle = fabricated("idle", base_totals.copy(), None)
    # states the shared assumption as a plain number (2.5 = 5 x its mean): only its own is
    # drawn, yet the base's draws of the shared one decide the difference
    fixed = fabricated("fixed", 2.5 + plan_totals - 5 * shared[:, None],
                       pd.DataFrame({"replication": reps, A: own}))
    assert list(joint_draws([fixed, base]).columns) == ["replication", A, B]
    assert joint_draws([idle]) is None
    frame = paired_sensitivity([base, plan, idle, fixed])
    assert list(frame.columns) == ["scenario", *COLUMNS]
    assert list(dict.fromkeys(frame.scenario)) == ["plan", "idle", "fixed"]
    first = by_assumption(frame[frame.scenario == "fixed"], "arr").sort_values("rank")
    assert list(first.index) == [B, A]
    assert abs(first.loc[B, "swing"] + 5 * 0.8) < 4 * first.loc[B, "swing_se"]
    arr = by_assumption(frame[frame.scenario == "plan"], "arr")
    assert arr.loc[A, "rank"] == 1
    assert abs(arr.loc[A, "swing"] - 2 * 0.8) < 4 * arr.loc[A, "swing_se"]
    assert abs(arr.loc[B, "swing"]) < 3 * arr.loc[B, "swing_se"]
    idle_rows = frame[frame.scenario == "idle"]
    assert (idle_rows.swing == 0).all()  # an identical copy: no difference to drive
    assert paired_sensitivity([fabricated("base", base_totals, None),
                               fabricated("p", plan_totals, None)]) is None


# --- wiring: files, terminal, report --------------------------------------------------


@pytest.fixture(scope="module")
def ranged() -> RunResult:
    """A small real run with fabricated draws: one drives ARR (its rank), one is noise."""
    result = run(scenario(replications=40, quarters=2))
    arr = result.totals["arr"].to_numpy()
    rank = arr.argsort().argsort() / len(arr)
    rng = np.random.default_rng(11)
    result.draws = pd.DataFrame({"replication": np.arange(len(arr)), B: 0.2 + 0.1 * rank,
                                 C: rng.uniform(0.1, 0.3, len(arr))})
    return result


@pytest.fixture(scope="module")
def plain() -> RunResult:
    return run(scenario(replications=40, quarters=2))


def test_a_run_with_ranges_writes_sensitivity_csv(ranged, plain, tmp_path) -> None:
    folder = write_run(ranged, tmp_path)
    frame = pd.read_csv(folder / "sensitivity.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert set(frame.metric) == {m for m in HEADLINE if m in ranged.totals}
    arr = frame[frame.metric == "arr"].set_index("assumption")
    assert arr.loc[B, "rank"] == 1 and arr.loc[B, "label"] == "mid win rate"
    assert (frame.metric_label == frame.metric.map(label)).all()
    assert not (write_run(plain, tmp_path / "plain") / "sensitivity.csv").exists()


def test_the_terminal_shows_the_top_drivers(ranged, plain) -> None:
    console = Console(width=200, record=True)
    print_run(console, ranged, "out/test")
    text = console.export_text()
    assert "What drives ARR at end" in text
    table = text[text.index("What drives"):text.index("Whole horizon")]
    assert table.index("mid win rate") < table.index("ae attrition")
    assert B not in text and "arr " not in table  # labels, never keys
    console = Console(width=200, record=True)
    print_run(console, plain, "out/test")
    assert "What drives" not in console.export_text()
    # given the written table (the CLI computes it once), the terminal shows the same
    console = Console(width=200, record=True)
    print_run(console, ranged, "out/test", run_sensitivity(ranged))
    assert console.export_text() == text


def test_the_terminal_shows_at_most_five_rows() -> None:
    outcomes, draws = synthetic(200, seed=12)
    for k in range(4):
        draws[f"roles.r{k}.attrition"] = np.random.default_rng(k).uniform(size=200)
    frame = sensitivity(outcomes, draws).assign(scenario="plan")
    console = Console(width=250, record=True)
    console.print(compare_drivers_table(frame, "base"))
    text = console.export_text()
    assert "What decides Δ ARR at end (plan − base" in text
    assert len(re.findall(r"│\s+[1-7] │", text)) == 5


def test_the_run_report_draws_a_tornado(ranged, plain) -> None:
    page = render_run(ranged)
    assert 'id="drivers"' in page and 'href="#drivers"' in page
    charts = re.findall(r'<svg class="tornado".*?</svg>', page, re.S)
    assert len(charts) == 3 and "What drives ARR at end" in charts[0]
    rows = re.findall(r'<g class="tornado-row"><title>([^<]*)</title>', charts[0])
    assert rows[0].startswith("mid win rate:") and rows[1].startswith("ae attrition:")
    assert B not in page.split('id="assumptions"')[0]  # keys only in the scenario's YAML
    plain_page = render_run(plain)
    assert "tornado" not in plain_page and 'id="drivers"' not in plain_page


def test_compare_writes_and_reports_the_paired_sensitivity(ranged, tmp_path) -> None:
    base = ranged
    plan = run(scenario(replications=40, quarters=2,
                        segments={"mid": {"win_rate": 0.3}}))
    plan.draws = base.draws.copy()
    plan.draws[A] = np.linspace(1.0, 1.2, len(plan.draws))
    results = [base, plan]
    table, inc = compare(results), increments(results)
    frame = paired_sensitivity(results)
    folder = write_compare(results, table, inc, tmp_path, None, sensitivity=frame)
    written = pd.read_csv(folder / "sensitivity.csv")
    assert list(written.columns) == ["scenario", *COLUMNS]
    assert set(written.assumption) == {A, B, C}
    drawn = pd.read_parquet(folder / "draws.parquet")  # what each plan drew
    assert list(drawn.columns[:2]) == ["scenario", "replication"]
    assert len(drawn) == 2 * len(base.draws)
    mine = drawn.iloc[len(base.draws):]  # the plan's rows follow the base's
    assert np.array_equal(mine[A].to_numpy(), plan.draws[A].to_numpy())
    page = render_compare(results, table, inc)
    assert 'id="drivers"' in page
    assert re.findall(r'<svg class="tornado"', page) and "what decides Δ ARR at end" in page
    no_ranges = [dataclass_without_draws(r) for r in results]
    folder = write_compare(no_ranges, table, inc, tmp_path / "plain", None,
                           sensitivity=paired_sensitivity(no_ranges))
    assert not (folder / "sensitivity.csv").exists()
    assert not (folder / "draws.parquet").exists()
    assert 'id="drivers"' not in render_compare(no_ranges, table, inc)


def dataclass_without_draws(result: RunResult) -> RunResult:
    return dataclasses.replace(result, draws=None)


def test_the_compare_command_prints_and_writes_the_drivers(ranged, tmp_path,
                                                           monkeypatch) -> None:
    """The CLI wires it: fabricated draws on every result run_compared returns."""
    from cli import main as cli_main

    monkeypatch.chdir(ROOT)

    def with_draws(scenarios, **kwargs):
        results = run_compared(scenarios, **kwargs)
        for k, result in enumerate(results):
            result.draws = ranged.draws.assign(**{A: np.linspace(1, 1.2, 40)[::1 - 2 * k]})
        return results

    monkeypatch.setattr(cli_main.api, "run_compared", with_draws)
    out = CliRunner().invoke(cli_main.main, [
        "compare", "scenarios/base.yaml", "scenarios/hire5.yaml", "--replications", "40",
        "--set", "quarters=1", "--out", str(tmp_path), "--workers", "1"])
    assert out.exit_code == 0, out.output
    assert "What decides Δ ARR at end" in out.stdout
    folder = next(tmp_path.glob("compare-*"))
    assert (folder / "sensitivity.csv").exists()
    assert 'class="tornado"' in (folder / "report.html").read_text(encoding="utf-8")
