"""From per-replication raw arrays to the tidy frames and the summary of a run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import __version__
from sim.metric_registry import HEADLINE
from sim.metrics import _quiet
from sim.model import layout_for
from sim.periods import (  # noqa: F401 - period_metrics, customers_average: re-exported
    Periods,
    customers_average,
    metric_rows,
    period_metrics,
)
from sim.plan import Plan, month_of
from sim.ranges import draws_frame
from sim.results import RunResult
from sim.scenario import Scenario, scenario_hash
from sim.scenario.schema import month_label, parse_month
from sim.sellers import REPS_COLUMNS, csv_header, label_codes

STAT_COLUMNS = ("mean", "sd", "p10", "p50", "p90")


def quarter_label(start: str, offset: int) -> str:
    """The calendar label of the quarter that starts `offset` months after `start`: `2027Q1`
    when it is a calendar quarter, else its months, `2027-02..04` (`2027-11..2028-01` when
    it spans a new year)."""
    first, last = month_label(start, offset), month_label(start, offset + 2)
    year, month = parse_month(first)
    if (month - 1) % 3 == 0:
        return f"{year}Q{(month - 1) // 3 + 1}"
    return f"{first}..{last[5:]}" if last[:4] == first[:4] else f"{first}..{last}"


def day_label(start: str, day: float) -> str:
    return month_label(start, month_of(day))


def tidy(summary: dict[str, np.ndarray], names: list[str], labels: list[str],
         starts: list[str], calendar: list[str] | None = None) -> pd.DataFrame:
    """One row per period x metric (periods outer, `names` inner) with the columns of
    `summary` (mean, sd, p10, p50, p90 of each, in that row order), and each quarter's
    calendar label (`quarter_label`) when `calendar` is given."""
    columns = {"period": np.repeat(labels, len(names)),
               "period_start": np.repeat(starts, len(names))}
    if calendar is not None:
        columns["quarter_label"] = np.repeat(calendar, len(names))
    columns["metric"] = np.tile(names, len(labels))
    frame = pd.DataFrame(columns)
    for column in STAT_COLUMNS:
        frame[column] = summary[column]
    return frame


def replication_frame(
    values: np.ndarray, names: list[str], labels: list[str], starts: list[str],
    calendar: list[str]
) -> pd.DataFrame:
    """One row per replication x quarter x metric (for paired analysis later); `values`:
    replications x (quarters x metrics), each replication's quarters period by period."""
    reps = values.shape[0]
    n_metrics, periods = len(names), len(labels)
    period_codes = np.tile(np.repeat(np.arange(periods, dtype=np.int16), n_metrics), reps)
    metric_codes = np.tile(np.arange(n_metrics, dtype=np.int16), reps * periods)
    return pd.DataFrame(
        {
            "replication": np.repeat(np.arange(reps, dtype=np.int32), periods * n_metrics),
            "period": pd.Categorical.from_codes(period_codes, categories=labels),
            "period_start": pd.Categorical.from_codes(period_codes, categories=starts),
            "quarter_label": pd.Categorical.from_codes(period_codes, categories=calendar),
            "metric": pd.Categorical.from_codes(metric_codes, categories=names),
            "value": values.reshape(-1),
        }
    )


QUANTILES = np.true_divide([10, 50, 90], 100)  # p10, p50, p90, as np.percentile takes them


def summarize(values: np.ndarray) -> dict[str, np.ndarray]:
    """`sim.metrics.stats` of a (replications, columns) array, the same numbers: mean, sd,
    p10, p50, p90 of each column, ignoring missing values. Mean and sd take numpy's
    nanmean and nanstd steps (the same sums over replications, in the same order) on one
    copy of the values with missing ones zeroed; percentiles from `percentiles`."""
    missing = np.isnan(values)
    zeroed = values.copy()
    np.copyto(zeroed, 0, where=missing)
    count = np.sum(~missing, axis=0, dtype=np.intp)
    with np.errstate(all="ignore"):
        mean = np.divide(np.sum(zeroed, axis=0), count)
        np.subtract(zeroed, mean, out=zeroed)
        np.copyto(zeroed, 0, where=missing)
        np.multiply(zeroed, zeroed, out=zeroed)
        sd = np.sqrt(np.divide(np.sum(zeroed, axis=0), count - 1))
    sd = np.where(count > 1, sd, np.where(count == 1, 0.0, np.nan))
    p10, p50, p90 = percentiles(values)
    return {"mean": mean, "sd": sd, "p10": p10, "p50": p50, "p90": p90}


def percentiles(values: np.ndarray) -> np.ndarray:
    """`np.nanpercentile(values, [10, 50, 90], axis=0)` of a (replications, columns) array,
    the same numbers, shape (3, columns): every column sorted once (missing values last)
    and the order statistics around each percentile interpolated as numpy's 'linear'
    method does. The order statistics are values, whichever way they are found; only a
    zero could be -0.0 or 0.0 in a column holding both, and such a column is left to
    numpy itself."""
    reps, columns = values.shape
    if columns == 0 or reps == 0:
        return np.full((len(QUANTILES), columns), np.nan)
    ordered = values.T.copy(order="C")  # never sorts `values` itself
    ordered.sort(axis=1)
    n = np.count_nonzero(~np.isnan(ordered), axis=1)
    # numpy: virtual index (n - 1) * q, neighbours floor and floor + 1, both the last
    # value at or past the end, gamma the virtual index minus the lower neighbour
    virtual = (n - 1)[None, :] * QUANTILES[:, None]
    lower = np.floor(virtual)
    upper = lower + 1
    past = virtual >= (n - 1)[None, :]
    lower[past] = -1
    upper[past] = -1
    lower, upper = lower.astype(np.intp), upper.astype(np.intp)
    gamma = virtual - lower
    size = np.broadcast_to(n[None, :], lower.shape)
    lower = np.where(lower < 0, lower + size, lower)
    upper = np.where(upper < 0, upper + size, upper)
    empty = n == 0
    lower[:, empty] = 0
    upper[:, empty] = 0
    a = np.take_along_axis(ordered, lower.T, axis=1).T
    b = np.take_along_axis(ordered, upper.T, axis=1).T
    with np.errstate(all="ignore"):
        diff = b - a
        out = a + diff * gamma
        np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    out[:, empty] = np.nan
    # a selected zero in a column with zeros of both signs: numpy's own pick of the sign
    touched = np.flatnonzero(((a == 0) | (b == 0)).any(axis=0))
    if len(touched):
        zeros = values[:, touched] == 0
        negative = np.signbit(values[:, touched])
        mixed = touched[(zeros & negative).any(axis=0) & (zeros & ~negative).any(axis=0)]
        for j in mixed.tolist():
            column = values[:, j]
            with np.errstate(all="ignore"), _quiet():
                out[:, j] = np.nanpercentile(column, [10, 50, 90])
    return out


def seller_frame(sellers: np.ndarray, plan: Plan, start: str,
                 codes: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
                 ) -> pd.DataFrame:
    """reps.csv: one row per seller per replication, from the workers' structured array
    (`sim.sellers.SELLER_DTYPE`, derived columns filled): columns and look-ups only (each
    text column taken from its few distinct texts, as pandas holds them); `codes`:
    `sim.sellers.label_codes(sellers, start)` when already at hand."""
    codes = dict(label_codes(sellers, start) if codes is None else codes)
    codes["role"] = (sellers["role"], np.array([r.name for r in plan.roles], dtype=object))
    if len(sellers):
        text = {name: pd.Series(table).array.take(code) for name, (code, table) in codes.items()}
    else:
        text = {name: table[code] for name, (code, table) in codes.items()}
    return pd.DataFrame({
        "replication": sellers["replication"], "role": text["role"],
        "seat": sellers["seat"], "occupant": sellers["occupant"], "hired": text["hired"],
        "left": text["left"], "cohort": text["cohort"], "skill": sellers["skill"],
        "months_employed": sellers["months_employed"], "opportunities": sellers["opps"],
        "wins": sellers["wins"], "bookings": sellers["bookings"],
        "annual_bookings": sellers["annual_bookings"],
    }, columns=list(REPS_COLUMNS))


def cohort_label(hired_day: float) -> str:
    """`today` for today's team, else the quarter of the horizon the seller started in."""
    if hired_day < 0:
        return "today"
    return f"Q{month_of(hired_day) // 3 + 1}"


def distribution(values: np.ndarray) -> dict[str, float]:
    """Median, 10% trimmed mean and quartiles (medians: a few whale deals distort means)."""
    if len(values) == 0:
        return {"sellers": 0, "median": math.nan, "trimmed_mean_10": math.nan,
                "p25": math.nan, "p75": math.nan}
    ordered = np.sort(values)
    cut = int(0.1 * len(ordered))
    trimmed = ordered[cut : len(ordered) - cut] if len(ordered) > 2 * cut else ordered
    p25, p50, p75 = np.percentile(ordered, [25, 50, 75])
    return {"sellers": int(len(values)), "median": float(p50),
            "trimmed_mean_10": float(trimmed.mean()), "p25": float(p25), "p75": float(p75)}


def rep_distribution(sellers: pd.DataFrame) -> dict:
    """Annual bookings of sellers employed at least a full year of the horizon."""
    codes, cohorts = pd.factorize(sellers["cohort"])
    return seller_distribution(sellers["months_employed"].to_numpy(float),
                               sellers["annual_bookings"].to_numpy(float), codes, cohorts)


def seller_distribution(months_employed: np.ndarray, annual_bookings: np.ndarray,
                        cohort_codes: np.ndarray, cohorts: np.ndarray) -> dict:
    """`rep_distribution` from columns: a seller's cohort is `cohorts[cohort_codes[i]]`;
    cohorts in the order of their names, each seller's values in row order."""
    full_year = months_employed >= 12.0 - 1e-9
    values, codes = annual_bookings[full_year], cohort_codes[full_year]
    result = distribution(values)
    present = sorted((str(cohorts[c]), c) for c in np.unique(codes).tolist())
    result["by_cohort"] = {name: distribution(values[codes == c]) for name, c in present}
    return result


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def build_result(scenario: Scenario, plan: Plan, raw: np.ndarray | None, sellers: np.ndarray,
                 reps_csv: bytes | None = None, metrics: np.ndarray | None = None
                 ) -> RunResult:
    """Tidy frames and the summary of a run from its replications (`sim.runner.gather`):
    `metrics`, each replication's row of `sim.periods.metric_rows` as the workers derived
    them (else derived here from `raw`, replications x raw metrics x months), the sellers,
    and `reps_csv`, reps.csv's rows as the workers rendered them."""
    layout = layout_for(plan)
    where = Periods(plan, layout)
    rows = metric_rows(raw, layout, plan) if metrics is None else metrics
    replications = int(rows.shape[0])
    names = list(where.names)
    months, quarters = where.months, where.quarters
    total = {name: rows[:, where.total.start + i] for i, name in enumerate(names)}
    m_labels = [f"M{k + 1}" for k in range(months)]
    m_starts = [month_label(scenario.start, k) for k in range(months)]
    q_labels = [f"Q{q + 1}" for q in range(quarters)]
    q_starts = [month_label(scenario.start, 3 * q) for q in range(quarters)]
    q_calendar = [quarter_label(scenario.start, 3 * q) for q in range(quarters)]
    periods = summarize(rows[:, : where.quarterly.stop])  # every month's and quarter's
    codes = label_codes(sellers, scenario.start)
    reps = seller_frame(sellers, plan, scenario.start, codes)
    summary = {
        "name": scenario.name,
        "description": scenario.description,
        "scenario_hash": scenario_hash(scenario),
        "seed": scenario.seed,
        "replications": replications,
        "quarters": scenario.quarters,
        "start": scenario.start,
        "simrev_version": __version__,
        "headline": headline(total, headline_metrics(plan)),
        "rep_distribution": _json_ready(seller_distribution(
            sellers["months_employed"], sellers["annual_bookings"],
            *codes["cohort"])),
    }
    return RunResult(
        scenario=scenario,
        scenario_hash=summary["scenario_hash"],
        monthly=tidy({k: v[where.monthly] for k, v in periods.items()}, names, m_labels,
                     m_starts),
        quarterly=tidy({k: v[where.quarterly] for k, v in periods.items()}, names, q_labels,
                       q_starts, q_calendar),
        replications=replication_frame(rows[:, where.quarterly], names, q_labels, q_starts,
                                       q_calendar),
        reps=reps,
        reps_csv=None if reps_csv is None else csv_header() + reps_csv,
        summary=summary,
        totals=pd.DataFrame(total).rename_axis("replication"),
        draws=draws_frame(plan.seed, replications, plan.ranges),
    )


def headline(total: dict[str, np.ndarray], metrics: tuple[str, ...]) -> dict[str, dict]:
    """Mean, p10, p50 and p90 over replications of each of `metrics` for the horizon, as
    `sim.metrics.stats` gives them for each metric alone (NaN: None)."""
    if not metrics:
        return {}
    values = np.stack([total[m] for m in metrics])  # metrics x replications
    with np.errstate(all="ignore"), _quiet():
        # along each metric's contiguous row: the sums of `stats` on (replications, 1)
        mean = np.nanmean(values, axis=1)
    p10, p50, p90 = percentiles(values.T)
    return {m: {"mean": _clean(mean[i]), "p10": _clean(p10[i]), "p50": _clean(p50[i]),
                "p90": _clean(p90[i])} for i, m in enumerate(metrics)}


def headline_metrics(plan: Plan) -> tuple[str, ...]:
    """The headline's metrics: revenue per employee too where the company's size is set."""
    if plan.other_heads is None:
        return HEADLINE
    at = HEADLINE.index("revenue_per_head") + 1
    return (*HEADLINE[:at], "revenue_per_employee", *HEADLINE[at:])


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, float):
        return _clean(value)
    return value
