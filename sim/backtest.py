"""Backtests: fit on what a CRM export knew at a date, simulate, score against what happened.

For each origin (`as_of`, and with `rolling=K` the K calendar quarter ends before it) the
export is cut at the origin (rows created after it dropped, closes after it open again),
fitted (`sim.fit.fit_scenario`), simulated for `quarters` quarters from the month after the
origin, and scored against the bookings the whole export shows in those quarters. Beside the
model, three baselines a planner would otherwise use, all from what was knowable at the
origin: `run_rate`, `capacity` and `pipeline`. Definitions and choices are in
docs/backtest.md; nothing here prints.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import estimate
from sim.aggregate import quarter_label
from sim.crm import (
    CUT_NOTES,
    REASONS,
    CrmError,
    Export,
    knowable_at,
    month_after,
    parse_as_of,
    read_export,
    read_roster,
)

QUANTILES = (0.1, 0.5, 0.9)
METHODS = ("model", "run_rate", "capacity", "pipeline")
# An export "covers" a quarter when its last created or close date is at most this many days
# before the quarter's last day: an export pulled on a quiet last week still counts.
END_SLACK_DAYS = 7
MAX_QUARTERS = 8
MAX_ROLLING = 20
DAY = pd.Timedelta(days=1)
# The columns of `backtest.csv`, in order.
COLUMNS = ("as_of", "quarter", "horizon", "start", "end", "actual", "p10", "p50", "p90",
           "error", "error_pct", "inside", "score", "pinball", "run_rate", "capacity",
           "pipeline", "run_rate_error_pct", "capacity_error_pct", "pipeline_error_pct")

# A fitter: (export cut at the origin, roster as known then or None, scenario name, a folder
# for the files it writes) -> the fitted scenario (and the path of its start state, if any).
Fitter = Callable[[Export, "pd.DataFrame | None", str, Path], object]


class BacktestError(CrmError):
    """Bad backtest input: one line, exit 2 (a `CrmError`, hence a `ScenarioError`)."""


# ------------------------------------------------------------------------- calendar


def quarter_windows(as_of: object, quarters: int) -> pd.DataFrame:
    """The forecast quarters of an origin: `horizon` (1..n), `quarter` (label), `start`,
    `end` (exclusive), three months each from the month after `as_of`."""
    first = month_after(as_of)
    starts = [first + pd.DateOffset(months=3 * k) for k in range(quarters)]
    ends = [s + pd.DateOffset(months=3) for s in starts]
    return pd.DataFrame({"horizon": np.arange(1, quarters + 1),
                         "quarter": [quarter_label(f"{s:%Y-%m}", 0) for s in starts],
                         "start": pd.to_datetime(starts), "end": pd.to_datetime(ends)})


def previous_quarter_ends(as_of: object, count: int) -> list[pd.Timestamp]:
    """The `count` calendar quarter ends strictly before `as_of`, latest first."""
    as_of = pd.Timestamp(as_of)
    end = as_of.to_period("Q").start_time - DAY  # the last quarter end before as_of's quarter
    out = []
    for _ in range(count):
        out.append(end)
        end = end.to_period("Q").start_time - DAY
    return out


def origins(as_of: object, rolling: int = 0) -> list[pd.Timestamp]:
    """`as_of` and the `rolling` quarter ends before it, oldest first."""
    return sorted([pd.Timestamp(as_of), *previous_quarter_ends(as_of, rolling)])


def trailing_quarter(as_of: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The three whole months ending on or before `as_of` ([start, end), end exclusive):
    the calendar quarter itself when `as_of` is a quarter end."""
    as_of = pd.Timestamp(as_of)
    end = month_after(as_of) if as_of == as_of.to_period("M").end_time.normalize() \
        else as_of.to_period("M").start_time
    return end - pd.DateOffset(months=3), end


# --------------------------------------------------------------------------- the cut


def cut_export(full: Export, as_of: object) -> Export:
    """The export as it was knowable at `as_of`, from one read of the whole export: rows
    created after it are counted as rejected ("created after --as-of"), and a decision
    after it is open again (as `read_export(..., as_of=as_of)` would give)."""
    as_of = pd.Timestamp(as_of)
    f = full.opportunities
    keep = (f["created"] <= as_of).to_numpy()
    frame, known = knowable_at(f[keep].reset_index(drop=True), as_of)
    counts = dict(full.rejected)
    if (~keep).any():
        counts["created after --as-of"] = counts.get("created after --as-of", 0) + \
            int((~keep).sum())
    rejected = {r: counts[r] for r in REASONS if counts.get(r)}
    notes = [n for n in full.notes if not any(c in n for c in CUT_NOTES)] + known
    return Export(frame, as_of, rejected, dict(full.column_map), dict(full.stages), notes)


def roster_at(roster: pd.DataFrame | None, as_of: object) -> pd.DataFrame | None:
    """The roster as known at `as_of`: sellers who had started; a later leave not yet known."""
    if roster is None:
        return None
    as_of = pd.Timestamp(as_of)
    r = roster[roster["start"].isna() | (roster["start"] <= as_of)].copy()
    r["leave"] = r["leave"].where(r["leave"] <= as_of)
    return r.reset_index(drop=True)


# --------------------------------------------------------------------------- actuals


def actuals(opportunities: pd.DataFrame, windows: pd.DataFrame) -> np.ndarray:
    """Bookings per window: the amounts of deals won with a close date in [start, end).
    A win without an amount adds nothing (counted in `unsized_wins`)."""
    won = opportunities[opportunities["outcome"] == "won"]
    closed = won["closed"].to_numpy(dtype="datetime64[ns]")
    amount = won["amount"].to_numpy(dtype=float)
    out = []
    for start, end in zip(windows["start"], windows["end"], strict=True):
        inside = (closed >= start.to_datetime64()) & (closed < end.to_datetime64())
        out.append(float(np.nansum(amount[inside])))
    return np.array(out)


def unsized_wins(opportunities: pd.DataFrame, windows: pd.DataFrame) -> int:
    """Wins without an amount closed in the windows (their bookings are unknown)."""
    won = opportunities[(opportunities["outcome"] == "won") & opportunities["amount"].isna()]
    lo, hi = windows["start"].min(), windows["end"].max()
    return int(((won["closed"] >= lo) & (won["closed"] < hi)).sum())


# ------------------------------------------------------------------------- baselines


@dataclass(frozen=True)
class Baselines:
    """The three baselines of one origin, per forecast quarter, and what they came from."""

    run_rate: np.ndarray
    capacity: np.ndarray
    pipeline: np.ndarray
    sellers: int  # active at the cut
    opps_per_seller_quarter: float
    win_rate: float  # among decided deals
    mean_deal: float
    open_opportunities: int
    notes: tuple[str, ...] = ()


def active_sellers(c: estimate.Cut, roster: pd.DataFrame | None = None) -> int:
    """Sellers present at the cut: on the roster (started, not left) among the roles that own
    opportunities, else owners who have not fallen silent (`estimate._activity`)."""
    if roster is not None and len(roster):
        owners = set(c.frame["owner"].astype(str))
        r = roster[roster["start"].isna() | (roster["start"] <= c.as_of)]
        selling = set(r.loc[r["seller"].astype(str).isin(owners), "role"])
        r = r[r["role"].isin(selling) | r["seller"].astype(str).isin(owners)]
        present = r["leave"].isna() | (r["leave"] > c.as_of)
        return int(present.sum())
    return int((~estimate._activity(c)["left"]).sum())


def decision_curve(c: estimate.Cut) -> tuple[np.ndarray, np.ndarray]:
    """Ages (days) and D(age): the Aalen-Johansen probability of being decided (won or lost)
    by each age, censored at the cut; its plateau below 1 is the never-decided share."""
    ages, counts = estimate._age_table(c.age, c.won, c.lost)
    cw, cl, _ = estimate.aalen_johansen(counts)
    return ages, cw + cl


def _at(ages: np.ndarray, curve: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The step function `curve` (a value at each of `ages`) at `x`; 0 before the first age,
    flat after the last (nothing is known beyond the oldest age seen)."""
    i = np.searchsorted(ages, x, side="right") - 1
    return np.where(i >= 0, curve[np.clip(i, 0, None)], 0.0)


def close_shares(ages: np.ndarray, curve: np.ndarray, age_now: np.ndarray,
                 windows: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """P(decided with a close date in each window | still open at the cut, aged `age_now`):
    (D(a + e - 1) - D(a + s - 1)) / (1 - D(a)), with s, e the window's start and end in days
    after the cut. Shape (opportunities, windows)."""
    s = ((windows["start"] - as_of) / DAY).to_numpy(dtype=float)
    e = ((windows["end"] - as_of) / DAY).to_numpy(dtype=float)
    a = age_now.astype(float)[:, None]
    alive = 1.0 - _at(ages, curve, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (_at(ages, curve, a + e - 1) - _at(ages, curve, a + s - 1)) / alive
    return np.where(alive > 1e-12, share, 0.0)


def baselines(export: Export, windows: pd.DataFrame, roster: pd.DataFrame | None = None,
              seed: int = estimate.SEED) -> Baselines:
    """The three baselines from what `export` (cut at its `as_of`) knew, per window.

    - `run_rate`: the bookings of the trailing quarter (`trailing_quarter`) repeated; NaN
      when that quarter starts before the export's first created date.
    - `capacity`: active sellers x opportunities per seller per quarter (the pooled creation
      rate x 3) x win rate (among decided deals) x mean won deal size, the same every
      quarter: the spreadsheet formula, which knows neither timing nor never-decided deals.
    - `pipeline`: each open opportunity's amount (the mean won deal size when unknown) x the
      win rate x the probability that it is decided with a close date in the quarter, given
      its age at the cut, from the censored decision-age curve (`close_shares`). Only the
      deals open at the cut: it falls in later quarters.
    """
    as_of = export.as_of
    c = estimate.cut(export.opportunities, as_of)
    notes: list[str] = []
    lo, hi = trailing_quarter(as_of)
    frame = c.frame
    if frame["created"].min() > lo:
        run_rate = math.nan
        notes.append(f"run_rate: the trailing quarter starts {lo:%Y-%m-%d}, before the "
                     "export's first opportunity: not computed")
    else:
        won = frame[(frame["outcome"] == "won") & (frame["closed"] >= lo) & (frame["closed"] < hi)]
        run_rate = float(np.nansum(won["amount"].to_numpy(dtype=float)))
    rates = estimate.creation_rates(c, as_of, roster, seed)
    outcome = estimate.outcomes(c, as_of, seed)
    size = estimate.deal_size(c, as_of, seed)
    sellers = active_sellers(c, roster)
    per_quarter = 3.0 * rates.pooled.value
    win, mean = outcome.win_rate.value, size.mean.value
    capacity = sellers * per_quarter * win * mean
    open_ = c.frame["outcome"].to_numpy() == "open"
    if open_.any() and (c.won | c.lost).any():
        ages, curve = decision_curve(c)
        shares = close_shares(ages, curve, c.age[open_], windows, as_of)
        amounts = c.frame["amount"].to_numpy(dtype=float)[open_]
        unknown = ~np.isfinite(amounts)
        if unknown.any():
            notes.append(f"pipeline: {int(unknown.sum()):,} open opportunities without an "
                         "amount valued at the mean won deal size")
        amounts = np.where(unknown, mean, amounts)
        pipeline = win * (amounts @ shares)
    else:
        pipeline = np.zeros(len(windows))
    n = len(windows)
    return Baselines(np.full(n, run_rate), np.full(n, capacity), np.asarray(pipeline, float),
                     sellers, per_quarter, win, mean, int(open_.sum()), tuple(notes))


# --------------------------------------------------------------------------- scoring


def pinball(actual: float, predicted: Sequence[float],
            levels: Sequence[float] = QUANTILES) -> float:
    """The pinball (quantile) loss averaged over `levels`: for level t and quantile q,
    t (y - q) when y >= q, else (1 - t) (q - y)."""
    y = float(actual)
    losses = [t * (y - q) if y >= q else (1 - t) * (q - y)
              for t, q in zip(levels, predicted, strict=True)]
    return float(np.mean(losses))


def crps(samples: Sequence[float], actual: float) -> float:
    """The continuous ranked probability score of the empirical law of `samples` at
    `actual`: E|X - y| - E|X - X'| / 2 (0 is perfect; a point forecast scores its absolute
    error). Exact for the samples, O(n log n)."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    if n == 0:
        return math.nan
    first = float(np.mean(np.abs(x - actual)))
    # E|X - X'| = 2 / n^2 * sum_i (2i - n - 1) x_(i), i = 1..n
    spread = 2.0 / (n * n) * float(np.dot(2 * np.arange(1, n + 1) - n - 1, x))
    return first - spread / 2


def percent_error(forecast: float | np.ndarray, actual: float | np.ndarray) -> np.ndarray:
    """(forecast - actual) / actual; NaN where the actual is 0."""
    f, y = np.asarray(forecast, dtype=float), np.asarray(actual, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0, (f - y) / y, np.nan)


def score(samples: Sequence[float], actual: float) -> dict[str, float | bool]:
    """One quarter's forecast against its actual: p10, p50, p90, error of the P50 (and as a
    share of the actual), inside P10-P90, CRPS (`score`) and pinball loss."""
    x = np.asarray(samples, dtype=float)
    p10, p50, p90 = (float(v) for v in np.quantile(x, QUANTILES))
    return {"actual": float(actual), "p10": p10, "p50": p50, "p90": p90,
            "error": p50 - actual, "error_pct": float(percent_error(p50, actual)),
            "inside": bool(p10 <= actual <= p90), "score": crps(x, actual),
            "pinball": pinball(actual, (p10, p50, p90))}


def mape(forecast: Iterable[float], actual: Iterable[float]) -> float:
    """Mean absolute percentage error over the pairs with a forecast and a non-zero actual."""
    err = np.abs(percent_error(np.fromiter(forecast, float), np.fromiter(actual, float)))
    err = err[np.isfinite(err)]
    return float(err.mean()) if err.size else math.nan


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Per method and horizon (`all`, then 1..n): forecasts scored, MAPE, mean absolute
    error, mean CRPS (a baseline's is its absolute error) and, for the model, coverage
    (the share of actuals inside P10-P90)."""
    rows = []
    groups = [("all", table)] + [(str(h), g) for h, g in table.groupby("horizon", sort=True)]
    for horizon, g in groups:
        y = g["actual"].to_numpy(dtype=float)
        for method in METHODS:
            f = g["p50" if method == "model" else method].to_numpy(dtype=float)
            ok = np.isfinite(f)
            scores = g["score"].to_numpy(float) if method == "model" else np.abs(f - y)
            rows.append({
                "method": method, "horizon": horizon, "forecasts": int(ok.sum()),
                "mape": mape(f[ok], y[ok]),
                "mae": float(np.mean(np.abs(f[ok] - y[ok]))) if ok.any() else math.nan,
                "score": float(np.mean(scores[ok])) if ok.any() else math.nan,
                "coverage": float(g["inside"].mean()) if method == "model" else math.nan})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- orchestration


@dataclass
class Backtest:
    """What a backtest produced: one row per origin and quarter, the summary, the notes."""

    table: pd.DataFrame  # COLUMNS
    summary: pd.DataFrame  # see `summarize`
    export: str
    quarters: int
    replications: int
    seed: int
    notes: list[str] = field(default_factory=list)
    baselines: dict[str, Baselines] = field(default_factory=dict)  # by origin YYYY-MM-DD


def _fit_with_sim_fit(export: Export, roster: pd.DataFrame | None, name: str,
                      folder: Path) -> object:
    """`sim.fit.fit_scenario` (the `simrev fit` library), writing its files in `folder`."""
    from sim.fit import fit_scenario

    return fit_scenario(export, roster=roster, name=name, folder=folder)


def _scenario_of(fitted: object):
    """The Scenario out of a fitter's answer: a Scenario or a (Scenario, state path) pair."""
    from sim.scenario import Scenario

    if isinstance(fitted, tuple):
        fitted = fitted[0]
    if not isinstance(fitted, Scenario):
        raise TypeError(f"the fitter returned {type(fitted).__name__}, not a Scenario")
    return fitted


def _covered(full: Export, as_of: pd.Timestamp, quarters: int, file: str) -> None:
    """One line unless the export reaches the end of the last forecast quarter (within
    `END_SLACK_DAYS`) and holds an opportunity created on or before `as_of`."""
    first = full.opportunities["created"].min()
    last = full.as_of
    if as_of < first:
        raise BacktestError(file, "--as-of", f"{as_of:%Y-%m-%d}", "before the first created "
                            f"date in the export ({first:%Y-%m-%d}); expected a date from "
                            f"{first:%Y-%m-%d}")
    end = quarter_windows(as_of, quarters)["end"].iloc[-1] - DAY
    if last < end - pd.Timedelta(days=END_SLACK_DAYS):
        # The latest month end whose forecast quarters the export still covers.
        latest = (last + pd.Timedelta(days=END_SLACK_DAYS) + DAY).to_period("M")
        latest = (latest - 3 * quarters).to_timestamp() - DAY
        raise BacktestError(file, "--as-of", f"{as_of:%Y-%m-%d}", f"too late to leave "
                            f"{quarters} quarter(s) of actuals: they run to {end:%Y-%m-%d} "
                            f"but the export ends {last:%Y-%m-%d}; expected --as-of on or "
                            f"before {latest:%Y-%m-%d} (or fewer --quarters)")


def check_options(quarters: object, rolling: object, replications: object) -> None:
    """One line for a count out of range."""
    for option, value, low, high in (("--quarters", quarters, 1, MAX_QUARTERS),
                                     ("--rolling", rolling, 0, MAX_ROLLING),
                                     ("--replications", replications, 2, 100_000)):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise BacktestError("simrev", option, str(value),
                                f"expected a whole number from {low} to {high:,}")


def backtest(export_path: str | os.PathLike[str], as_of: object, quarters: int = 2,
             rolling: int = 0, *, columns: str | Mapping[str, str] | None = None,
             won: str | Iterable[str] | None = None, lost: str | Iterable[str] | None = None,
             roster: str | os.PathLike[str] | None = None, replications: int = 200,
             seed: int = 2024, workers: int | None = 1, fitter: Fitter | None = None,
             progress: Callable[[str], None] | None = None) -> Backtest:
    """Backtest the fitted model on an export at `as_of` and `rolling` earlier quarter ends.

    Reads the export once (all of it: what happened), then per origin cuts it at the origin,
    fits (`fitter`, default `sim.fit.fit_scenario`), simulates `quarters` quarters with
    `replications` and `seed` (`sim.api.run`) and scores them with the baselines. Bad input
    (a file, mapping or date that does not fit) raises `CrmError`/`BacktestError`.
    """
    from sim import api

    check_options(quarters, rolling, replications)
    full = read_export(export_path, as_of=None, columns=columns, won=won, lost=lost)
    file = os.fspath(export_path)
    as_of = parse_as_of(as_of, file)
    _covered(full, as_of, quarters, file)
    points = origins(as_of, rolling)
    first = full.opportunities["created"].min()
    if points[0] < first:
        raise BacktestError(file, "--rolling", str(rolling), f"the earliest origin "
                            f"{points[0]:%Y-%m-%d} is before the first created date in the "
                            f"export ({first:%Y-%m-%d}); expected fewer --rolling origins or "
                            "a later --as-of")
    people = read_roster(roster) if roster is not None else None
    fit = fitter or _fit_with_sim_fit
    notes = [f"export: {len(full.opportunities):,} usable opportunities from "
             f"{first:%Y-%m-%d} to {full.as_of:%Y-%m-%d}"]
    if full.rejected:
        notes.append("rows not used: " + ", ".join(f"{n:,} {r}"
                                                     for r, n in full.rejected.items()))
    rows, kept = [], {}
    with tempfile.TemporaryDirectory(prefix="simrev-backtest-") as work:
        for k, origin in enumerate(points):
            if progress is not None:
                progress(f"origin {k + 1}/{len(points)}: {origin:%Y-%m-%d}")
            windows = quarter_windows(origin, quarters)
            cut = cut_export(full, origin)
            known = roster_at(people, origin)
            folder = Path(work) / f"origin-{k}"  # the fit writes it (a new folder)
            scenario = _scenario_of(fit(cut, known, f"backtest-{origin:%Y%m%d}", folder))
            scenario = scenario.model_copy(update={"replications": replications, "seed": seed,
                                                   "quarters": quarters})
            result = api.run(scenario, workers=workers)
            samples = _bookings(result, windows)
            truth = actuals(full.opportunities, windows)
            base = baselines(cut, windows, known)
            kept[f"{origin:%Y-%m-%d}"] = base
            notes += [f"{origin:%Y-%m-%d}: {n}" for n in base.notes]
            missing = unsized_wins(full.opportunities, windows)
            if missing:
                notes.append(f"{origin:%Y-%m-%d}: {missing:,} wins without an amount in the "
                             "forecast quarters add nothing to the actuals")
            for i, w in windows.iterrows():
                row = {"as_of": f"{origin:%Y-%m-%d}", "quarter": w["quarter"],
                       "horizon": int(w["horizon"]), "start": f"{w['start']:%Y-%m-%d}",
                       "end": f"{w['end'] - DAY:%Y-%m-%d}"}
                row.update(score(samples[:, i], truth[i]))
                for method in ("run_rate", "capacity", "pipeline"):
                    value = float(getattr(base, method)[i])
                    row[method] = value
                    row[f"{method}_error_pct"] = float(percent_error(value, truth[i]))
                rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return Backtest(table, summarize(table), file, quarters, replications, seed, notes, kept)


def write_backtest(bt: Backtest, out_parent: str | os.PathLike[str],
                   name: str = "backtest") -> Path:
    """Write `out_parent/name/` atomically (`backtest.csv`, `summary.csv`, `report.html`),
    replacing only a backtest folder simrev wrote under that name; returns the folder."""
    from sim.outputs import write_atomically, write_csv
    from sim.report.backtest_page import render_backtest

    def fill(folder: Path) -> None:
        write_csv(bt.table, folder / "backtest.csv")
        write_csv(bt.summary, folder / "summary.csv")
        title = f"Backtest of {Path(bt.export).name}"
        (folder / "report.html").write_text(
            render_backtest(bt.table, bt.summary, title, bt.notes, bt.seed, bt.replications),
            encoding="utf-8")

    return write_atomically(out_parent, name, fill, kind="backtest")


def _bookings(result, windows: pd.DataFrame) -> np.ndarray:
    """Simulated bookings, (replications, quarters), checked to start where the windows do."""
    reps = result.replications
    b = reps[reps["metric"] == "bookings"]
    wide = b.pivot(index="replication", columns="period", values="value")
    labels = [f"Q{h}" for h in windows["horizon"]]
    starts = b.drop_duplicates("period").set_index("period")["period_start"]
    expected = [f"{s:%Y-%m}" for s in windows["start"]]
    if [str(starts.get(q)) for q in labels] != expected:
        raise RuntimeError(f"the fitted scenario's quarters start {list(starts)}, not "
                           f"{expected} (the month after --as-of)")
    return wide[labels].to_numpy(dtype=float)


__all__ = ["Backtest", "BacktestError", "Baselines", "COLUMNS", "METHODS", "actuals",
           "backtest", "baselines", "close_shares", "crps", "cut_export", "mape",
           "month_after", "origins", "percent_error", "pinball", "previous_quarter_ends",
           "quarter_label", "quarter_windows", "score", "summarize", "trailing_quarter",
           "write_backtest"]
