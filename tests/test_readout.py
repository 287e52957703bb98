"""What a planner reads is right: whole-horizon CLV, revenue per head and per employee,
effect multipliers that refuse percentages, and terminal tables that never cut a number."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from cli.tables import QUARTER_COLUMNS
from sim.aggregate import period_metrics
from sim.api import load, run
from sim.metric_registry import fmt, unit
from sim.metrics import Layout
from sim.scenario import ScenarioError
from sim.scenario.schema import LEVER_MAX
from tests.factories import plan, scenario_dict

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
M = 365 / 12


def raw_with(layout: Layout, months: int, **values: list[float]) -> np.ndarray:
    raw = np.zeros((1, len(layout), months))
    for name, row in values.items():
        raw[0, layout.index[name]] = row
    return raw


# ---- clv over the whole horizon -------------------------------------------------------

def test_whole_horizon_clv_uses_the_horizons_average_churn_rate() -> None:
    """A book growing from 100 to 220 customers over a year, 2 churned a month: the year's
    churn is 24 over time-average customers of 160 (not the 100 at the start)."""
    p = plan(quarters=4, customers={"count": 100, "arr": 1_000_000})
    layout = Layout(["ae"], [])
    ends = [100 + 10 * k for k in range(1, 13)]
    raw = raw_with(layout, 12, customers=ends, customers_churned=[2] * 12,
                   arr=[2_200_000] * 12)
    total = {k: v[0, 0] for k, v in period_metrics(raw, layout, p, [np.arange(12)]).items()}
    # time-average customers: the mean over months of (start + end) / 2 = 160
    annual_churn = 24 / 160
    assert total["clv"] == pytest.approx((2_200_000 / 220) / annual_churn)
    # and a quarter reads the same way: Q1 averages (100+110)/2, (110+120)/2, (120+130)/2
    q1 = period_metrics(raw, layout, p, [np.arange(3)])["clv"][0, 0]
    assert q1 == pytest.approx((2_200_000 / 130) / (6 * 4 / 115))


def test_whole_horizon_churn_implied_by_clv_lies_within_the_quarters() -> None:
    """On a real run the annual churn the headline CLV implies is within the range of the
    quarters' (it was well above every quarter's when divided by the customers at start)."""
    result = run(load(BASE, ["quarters=8", "customers.churn=0.12"], replications=20))
    total = result.totals
    implied = (total["arr_per_customer"] / total["clv"]).median()
    q = result.quarterly.set_index(["period", "metric"])["p50"]
    quarters = [q[(p, "arr_per_customer")] / q[(p, "clv")]
                for p in dict.fromkeys(result.quarterly["period"])]
    assert min(quarters) * 0.95 <= implied <= max(quarters) * 1.05, (implied, quarters)


# ---- revenue per head and per employee --------------------------------------------------

def test_revenue_per_employee_adds_the_rest_of_the_company_by_hand() -> None:
    p = plan(quarters=4, company={"other_heads": 20})
    layout = Layout(["ae"], [])
    raw = raw_with(layout, 12, revenue=[100_000] * 12, head_days=[10 * M] * 12)
    total = {k: v[0, 0] for k, v in period_metrics(raw, layout, p, [np.arange(12)]).items()}
    assert total["revenue_per_head"] == pytest.approx(1_200_000 / 10)
    assert total["revenue_per_employee"] == pytest.approx(1_200_000 / 30)


def test_revenue_per_employee_on_a_tiny_deterministic_run(tmp_path: Path) -> None:
    """Two sellers who source nothing and a book of $1.2M that neither churns nor grows:
    revenue is $1.2M a year; per GTM head $600k; with 8 other heads, per employee $120k."""
    data = scenario_dict(
        replications=3, quarters=4,
        roles={"ae": {"headcount": 2, "opps_per_month": 0}},
        customers={"count": 10, "arr": 1_200_000},
        company={"other_heads": 8},
    )
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run(load(path))
    headline = result.summary["headline"]
    assert headline["revenue_per_head"]["p50"] == pytest.approx(600_000)
    assert headline["revenue_per_employee"]["p50"] == pytest.approx(120_000)
    assert list(headline).index("revenue_per_employee") == (
        list(headline).index("revenue_per_head") + 1)
    # without `company` the metric is missing, not equal to revenue per head
    plain = run(load(path, ["company=null"]))
    assert "revenue_per_employee" not in plain.summary["headline"]
    assert plain.totals["revenue_per_employee"].isna().all()


def test_company_other_heads_is_refused_when_negative(tmp_path: Path) -> None:
    path = tmp_path / "neg.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(company={"other_heads": -1})))
    with pytest.raises(ScenarioError, match=r"company\.other_heads: -1"):
        load(path)


# ---- effect multipliers ----------------------------------------------------------------

def _with_effects(tmp_path: Path, effects: dict) -> Path:
    data = scenario_dict(programs={"p": {"start": "2027-02", "effects": effects}})
    path = tmp_path / "effects.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_percentage_typed_as_a_multiplier_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as error:
        load(_with_effects(tmp_path, {"win_rate": 25}))
    message = str(error.value)
    assert "programs.p.effects.win_rate: 25" in message
    assert "1.25 means +25%" in message
    assert "\n" not in message


def test_the_command_refuses_win_rate_25_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(_with_effects(tmp_path,
                                                                     {"win_rate": 25}))])
    assert result.exit_code == 2
    assert "a multiplier: 1.25 means +25%" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("lever", sorted(LEVER_MAX))
def test_each_lever_takes_up_to_its_bound_and_no_more(tmp_path: Path, lever: str) -> None:
    high = LEVER_MAX[lever]
    load(_with_effects(tmp_path, {lever: high}))  # at the bound: accepted
    with pytest.raises(ScenarioError, match=re.escape("1.25 means +25%")):
        load(_with_effects(tmp_path, {lever: high * 1.01}))


def test_support_effects_have_the_same_bounds(tmp_path: Path) -> None:
    data = scenario_dict(roles={"coord": {"kind": "support", "segment": "mid", "headcount": 1,
                                          "covers": 4, "effects": {"selling_time": 20}}})
    path = tmp_path / "support.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match=r"roles\.coord\.effects\.selling_time: 20"):
        load(path)


def test_the_lever_bounds_are_documented() -> None:
    text = (ROOT / "docs" / "scenarios.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| (\d+(?:\.\d+)?) \|$", text, re.M))
    assert {k: float(v) for k, v in table.items()} == LEVER_MAX


# ---- terminal tables ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_output(tmp_path_factory: pytest.TempPathFactory):
    """`simrev run` of the base at 80 and 120 columns and piped, with its quarterly.csv."""
    out = tmp_path_factory.mktemp("runs")
    outputs = {}
    for width in ("80", "120", None):
        folder = out / f"w{width}"
        result = CliRunner().invoke(
            main, ["run", str(BASE), "--replications", "12", "--set", "quarters=4",
                   "--out", str(folder)],
            env={"COLUMNS": width},
        )
        assert result.exit_code == 0, result.output
        outputs[width] = result.output
    quarterly = pd.read_csv(out / "wNone" / "base" / "quarterly.csv")
    return outputs, quarterly


def _ranges(quarterly: pd.DataFrame) -> list[str]:
    rows = quarterly[quarterly.metric.isin(QUARTER_COLUMNS)]
    return [f"{fmt(r.p10, unit(r.metric))}–{fmt(r.p90, unit(r.metric))}"
            for r in rows.itertuples()]


@pytest.mark.parametrize("width", ["80", "120"])
def test_terminal_tables_fit_the_width_and_hold_every_p10_and_p90(run_output,
                                                                   width: str) -> None:
    outputs, quarterly = run_output
    text = outputs[width]
    assert max(len(line) for line in text.splitlines()) <= int(width)
    assert "…" not in text
    ranges = _ranges(quarterly)
    assert len(ranges) == 4 * len(QUARTER_COLUMNS)
    missing = [r for r in ranges if r not in text]
    assert not missing, missing
    for metric in ("Unworked", "lost to"):  # both pipeline losses are on the table
        assert metric in text


def test_piped_output_is_never_cut(run_output) -> None:
    """Not a terminal and no COLUMNS: every table in one piece and no line wrapped."""
    outputs, quarterly = run_output
    text = outputs[None]
    assert "…" not in text
    missing = [r for r in _ranges(quarterly) if r not in text]
    assert not missing, missing
    assert text.count("(continued)") == 0
    horizon = next(line for line in text.splitlines() if line.startswith("Whole horizon"))
    assert horizon.rstrip().endswith(").")  # one line, not wrapped


def test_clv_stays_finite_or_missing_when_no_customer_is_ever_on_the_book() -> None:
    p = plan(quarters=1)
    layout = Layout(["ae"], [])
    q = period_metrics(raw_with(layout, 3), layout, p, [np.arange(3)])
    assert math.isnan(q["clv"][0, 0])
