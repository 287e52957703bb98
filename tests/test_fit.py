"""`simrev fit`: export -> commented scenario + start state + report, and its bad input."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from sim import api
from sim import fit as fitmod
from sim.crm import month_after, read_export, read_roster
from sim.estimate import Estimate
from sim.outputs import MARKER
from tests.synthetic_crm import Truth, synthetic_cut, write_export

TRUTH = Truth(sellers=15, months=12)
AS_OF = "2024-01-01"


def write_roster(roster: pd.DataFrame, path: Path) -> Path:
    pd.DataFrame({"seller": roster["seller"], "start": roster["start"].dt.strftime("%Y-%m-%d"),
                  "leave": roster["leave"].dt.strftime("%Y-%m-%d").fillna(""),
                  "role": roster["role"]}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("crm")
    frame, roster, _ = synthetic_cut(TRUTH, seed=3, as_of=AS_OF)
    return (write_export(frame, where / "opportunities.csv"),
            write_roster(roster, where / "roster.csv"))


@pytest.fixture(scope="module")
def fitted(files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, object]:
    """`simrev fit` run once; the folder and the same fit made through the library."""
    export, roster = files
    out = tmp_path_factory.mktemp("fit") / "fitted"
    result = invoke("fit", export, "--as-of", AS_OF, "--out", out, "--roster", roster,
                    "--name", "acme")
    assert result.exit_code == 0, result.stderr
    library = fitmod.fit_export(read_export(export, as_of=AS_OF), read_roster(roster),
                                name="acme")
    return out, library


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def _number(value: object) -> float:
    """A written value: a plain number, or a range's `likely` (the estimate)."""
    return float(value["likely"]) if isinstance(value, dict) and "likely" in value \
        else float(value)


def test_fit_writes_the_folder(fitted) -> None:
    out, _ = fitted
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MARKER, "acme.yaml", "acme-state.csv", "fit.txt", "fit.html"])
    assert '"kind": "fit"' in (out / MARKER).read_text()


def test_fitted_scenario_validates_and_runs(fitted, tmp_path: Path) -> None:
    out, _ = fitted
    result = invoke("validate", out / "acme.yaml")
    assert result.exit_code == 0, result.stderr
    result = invoke("run", out / "acme.yaml", "--replications", "4", "--workers", "1",
                    "--out", tmp_path / "runs", "--quiet")
    assert result.exit_code == 0, result.stderr
    quarterly = pd.read_csv(tmp_path / "runs" / "acme" / "quarterly.csv")
    bookings = quarterly[quarterly.metric == "bookings"]
    assert len(bookings) == 4 and (bookings["mean"] > 0).all()


def test_scenario_starts_the_month_after_the_cut(fitted) -> None:
    out, _ = fitted
    scenario = api.load(out / "acme.yaml")
    assert scenario.start == "2024-02"
    assert f"{month_after(pd.Timestamp('2017-06-30')):%Y-%m}" == "2017-07"


def test_values_in_the_yaml_match_the_estimates(fitted) -> None:
    """The written numbers are the estimators' (to the 4 significant digits written)."""
    out, library = fitted
    data = yaml.safe_load((out / "acme.yaml").read_text())
    fit = library.fit
    seg, ae = data["segments"]["crm"], data["roles"]["ae"]

    def close(written: object, value: float) -> None:
        assert _number(written) == pytest.approx(value, rel=1e-3)

    close(ae["opps_per_month"], fit.rates.pooled.value)
    close(ae["attrition"], fit.attrition.rate.value)
    if fitmod.accepts("no_decision"):
        close(seg["win_rate"], fit.outcomes.win_rate.value)
        close(seg["no_decision"]["share"], fit.outcomes.no_decision.value)
    else:  # won among all opportunities: decided ones' win rate x the share that decides
        close(seg["win_rate"], fit.outcomes.win_rate.value * (1 - fit.outcomes.no_decision.value))
    if "mean" in seg["cycle_days"]:
        close(seg["cycle_days"]["mean"], fit.cycle.mean.value)
        close(seg["cycle_days"]["cv"], fit.cycle.cv.value)
    if "mean" in seg["deal_size"]:
        close(seg["deal_size"]["mean"], fit.deal_size.mean.value)
        close(seg["deal_size"]["cv"], fit.deal_size.cv.value)
    # Headcount: the roster's sellers present at the cut.
    _, roster, cut = synthetic_cut(TRUTH, seed=3, as_of=AS_OF)
    present = roster["leave"].isna() | (roster["leave"] > cut)
    assert ae["headcount"] == int(present.sum())
    # The fitted numbers are close to the truth that generated them (sanity, 4 se).
    assert abs(fit.rates.pooled.value - TRUTH.rate) < 4 * fit.rates.pooled.se
    assert abs(fit.outcomes.win_rate.value - TRUTH.win_rate) < 4 * fit.outcomes.win_rate.se


def test_each_fitted_value_is_commented(fitted) -> None:
    """Every fitted key has a comment above it naming its estimate, se and n."""
    out, library = fitted
    lines = (out / "acme.yaml").read_text().splitlines()
    for entry in library.entries:
        if entry.estimate is None or entry.path[-1] == "cv":
            continue  # a cv's estimate is in the comment above its distribution's mean
        key = entry.path[-1]
        at = next(i for i, line in enumerate(lines) if re.match(rf"\s*{key}:", line)
                  and all(p in "\n".join(lines[:i]) for p in entry.path[:-1]))
        above = []
        for line in reversed(lines[:at]):
            if not line.strip().startswith("#"):
                break
            above.insert(0, line.strip().lstrip("# "))
        text = " ".join(above)
        assert "se " in text and "n = " in text, (key, text)
        assert f"{entry.estimate.n:,}" in text, (key, text)
    assert lines[0].startswith("# Fitted by simrev fit from opportunities.csv as of 2024-01-01")


def test_ranges_are_sized_from_the_errors() -> None:
    """A range is the estimate ± sqrt(6) se, clipped to the key's bounds, mode = estimate."""
    entry = fitmod.Entry(("x",), 0.3, estimate=Estimate(0.3, 0.01, 100), low=0.0, high=1.0)
    lo, hi = fitmod.range_of(entry)
    assert lo == pytest.approx(0.3 - math.sqrt(6) * 0.01, rel=1e-3)
    assert hi == pytest.approx(0.3 + math.sqrt(6) * 0.01, rel=1e-3)
    clipped = fitmod.Entry(("x",), 0.02, estimate=Estimate(0.02, 0.05, 1), low=0.0, high=1.0)
    assert fitmod.range_of(clipped) == (0, pytest.approx(0.02 + math.sqrt(6) * 0.05, rel=1e-3))
    positive = fitmod.Entry(("x",), 50.0, estimate=Estimate(50.0, 40.0, 3), low=0.0,
                            positive=True)
    assert fitmod.range_of(positive)[0] == 5  # a positive key's range starts above 0
    no_error = fitmod.Entry(("x",), 0.3, estimate=Estimate(0.3, math.nan, 0))
    assert fitmod.range_of(no_error) is None
    written = fitmod.scenario_data([entry], ranges=True)["x"]
    assert written == {"between": [0.2755, 0.3245], "likely": 0.3}
    assert fitmod.scenario_data([entry], ranges=False)["x"] == 0.3


def test_state_file_holds_the_open_pipeline_and_the_sellers(fitted, files) -> None:
    out, library = fitted
    state = pd.read_csv(out / "acme-state.csv", keep_default_na=False)
    assert list(state.columns) == list(fitmod.STATE_COLUMNS)
    export = read_export(files[0], as_of=AS_OF)
    open_ = export.opportunities[export.opportunities["outcome"] == "open"]
    opps = state[state["record"] == "opportunity"]
    sellers = state[state["record"] == "seller"]
    assert len(opps) == len(open_) > 0
    assert sorted(opps["seller"]) == sorted(open_["owner"])
    assert sorted(opps["id"]) == sorted(open_["id"])
    start = pd.Timestamp(library.scenario["start"] + "-01")  # ages at the scenario's start
    ages = (start - open_["created"]).dt.days
    assert sorted(opps["age_days"].astype(int)) == sorted(ages)
    assert len(sellers) == library.scenario["roles"]["ae"]["headcount"]
    assert (sellers["tenure_months"].astype(float) >= 0).all()
    if fitmod.accepts("start_state"):
        assert library.scenario["start_state"] == "acme-state.csv"
    else:  # the steady start pins today's tenures instead
        tenures = library.scenario["roles"]["ae"]["tenure_months"]
        assert tenures == [fitmod.round_sig(t, 3) for t in
                           sellers["tenure_months"].astype(float)] or len(tenures) == len(sellers)


def test_report_lists_data_rejections_and_warnings(files, tmp_path: Path) -> None:
    """fit.txt says what was estimated from how much data, rows not used by reason, and
    the warnings (here: too short a history for seasonality)."""
    export, roster = files
    bad = tmp_path / "with-bad-rows.csv"
    text = export.read_text().splitlines()
    header = text[0]
    extra = ["x1,s000-0,,2023-05-01,Closed Won,100,seats,inbound",  # no created date
             "x2,s000-0,2023-05-01,2023-04-01,Closed Won,100,seats,inbound",  # close first
             "x3,s000-0,2023-05-01,,Prospecting,lots,seats,inbound"]  # amount not a number
    bad.write_text("\n".join([header, *text[1:], *extra]) + "\n")
    result = invoke("fit", bad, "--as-of", AS_OF, "--out", tmp_path / "f")
    assert result.exit_code == 0, result.stderr
    report = (tmp_path / "f" / "fit.txt").read_text()
    assert "1  no created date" in report
    assert "1  close date before created date" in report
    assert "1  amount not a number" in report
    assert "too short to estimate seasonality" in report
    assert "opportunities per seller-month" in report and "roles.ae.opps_per_month" in report
    assert "no roster" in report  # the fit says tenure and attrition are inferred
    page = (tmp_path / "f" / "fit.html").read_text()
    assert page.startswith("<!doctype html>") and "too short to estimate seasonality" in page
    assert "warning:" in result.output


def test_a_fitted_folder_is_replaced_but_nothing_else(files, tmp_path: Path) -> None:
    export, _ = files
    out = tmp_path / "fitted"
    assert invoke("fit", export, "--as-of", AS_OF, "--out", out).exit_code == 0
    again = invoke("fit", export, "--as-of", "2023-12-01", "--out", out)
    assert again.exit_code == 0, again.stderr  # our own fit folder: replaced
    assert 'start: "2024-01"' in (out / "crm.yaml").read_text()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    result = invoke("fit", export, "--as-of", AS_OF, "--out", mine)
    assert result.exit_code == 2
    assert "will not replace it" in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def _bad_cases(tmp_path: Path, export: Path) -> list[tuple[list[object], str]]:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    missing_col = tmp_path / "no-owner.csv"
    frame = pd.read_csv(export).drop(columns=["Opportunity Owner"])
    frame.to_csv(missing_col, index=False)
    bad_dates = tmp_path / "bad-dates.csv"
    frame = pd.read_csv(export, dtype=str)
    frame.loc[5, "Created Date"] = "yesterday"
    frame.to_csv(bad_dates, index=False)
    no_decided = tmp_path / "undecided.csv"
    frame = pd.read_csv(export, dtype=str).head(50)
    frame["Stage"] = "Prospecting"
    frame.loc[0, "Stage"] = "Closed Won"
    frame.loc[1, "Stage"] = "Closed Lost"
    frame.loc[[0, 1], "Close Date"] = "2030-01-01"  # decided after the cut: open at it
    frame.to_csv(no_decided, index=False)
    out = tmp_path / "out"
    return [
        ([tmp_path / "absent.csv", "--as-of", AS_OF, "--out", out], "no such file"),
        ([empty, "--as-of", AS_OF, "--out", out], "the file is empty"),
        ([missing_col, "--as-of", AS_OF, "--out", out], "no column for owner"),
        ([bad_dates, "--as-of", AS_OF, "--out", out], "expected dates"),
        ([export, "--as-of", "2001-01-01", "--out", out], "before the first created date"),
        ([export, "--as-of", "2031-01-01", "--out", out], "after the export's last"),
        ([export, "--as-of", "01/02/2024", "--out", out], "expected a date YYYY-MM-DD"),
        ([export, "--as-of", AS_OF, "--out", out, "--won", "Signed"], "matches no stage"),
        ([export, "--as-of", AS_OF, "--out", out, "--columns", "owner=Rep"], "no such column"),
        ([export, "--as-of", AS_OF, "--out", out, "--name", "Bad Name"], "--name"),
        ([export, "--as-of", AS_OF, "--out", tmp_path / "Bad Dir"], "--out"),
        ([export, "--as-of", AS_OF, "--out", out, "--roster", tmp_path / "nope.csv"],
         "no such file"),
        ([no_decided, "--as-of", AS_OF, "--out", out], "too little data"),
    ]


def test_bad_input_is_one_line_exit_2_nothing_written(files, tmp_path: Path) -> None:
    export, _ = files
    for args, expected in _bad_cases(tmp_path, export):
        before = sorted(p.name for p in tmp_path.iterdir())
        result = invoke("fit", *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
        assert "Traceback" not in result.output
        assert sorted(p.name for p in tmp_path.iterdir()) == before, args


def test_fit_scenario_for_backtests(files, tmp_path: Path) -> None:
    export, roster = files
    scenario, state = fitmod.fit_scenario(read_export(export, as_of=AS_OF),
                                          read_roster(roster), "bt", folder=tmp_path / "bt")
    assert scenario.name == "bt" and state == tmp_path / "bt" / "bt-state.csv"
    assert state.is_file()


def test_time_to_hire_from_roster_gaps() -> None:
    day = pd.Timestamp
    roster = pd.DataFrame({
        "seller": list("abcdefgh"),
        "start": [day("2023-01-01")] * 4 + [day("2023-03-11"), day("2023-05-01"),
                                             day("2023-08-31"), day("2024-06-01")],
        "leave": [day("2023-02-09"), day("2023-04-01"), day("2023-07-02"), pd.NaT,
                  pd.NaT, pd.NaT, pd.NaT, pd.NaT],
        "role": "ae"})
    hire = fitmod.time_to_hire(roster, day("2024-01-01"))
    assert hire.n == 3 and hire.value == pytest.approx((30 + 30 + 60) / 3)
    assert fitmod.time_to_hire(roster.iloc[:6], day("2024-01-01")) is None  # two gaps


def test_sellers_with_few_opportunities_are_one_warning_naming_them() -> None:
    """The estimator counts them and the fit names them: one line, not two."""
    root = Path(__file__).resolve().parent.parent
    export = read_export(root / "examples" / "crm-export.csv", as_of="2024-06-30")
    fitted = fitmod.fit_export(export, None, name="crm")
    few = [w for w in fitted.warnings if "fewer than 5 opportunities" in w]
    assert few == ["1 seller(s) with fewer than 5 opportunities (their rates are shrunk to "
                   "the pooled one): ae-13"]
