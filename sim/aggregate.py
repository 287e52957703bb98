"""From per-replication raw arrays to the tidy frames and the summary of a run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import __version__
from sim.metric_registry import HEADLINE
from sim.metrics import Layout, derive, periodize, stats
from sim.model import layout_for
from sim.plan import Plan, month_of
from sim.ranges import draws_frame
from sim.results import RunResult
from sim.scenario import Scenario, scenario_hash
from sim.scenario.schema import month_label, parse_month
from sim.sellers import REPS_COLUMNS, csv_header
from sim.sellers import labels as seller_labels

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


def period_metrics(
    raw: np.ndarray, layout: Layout, plan: Plan, groups: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """Every output metric per replication and period (replications x periods)."""
    agg = periodize(raw, layout, groups)
    months = np.array([len(g) for g in groups], dtype=float)
    return derive(agg, layout, months, customers_average(raw, layout, plan, groups),
                  plan.other_heads)


def customers_average(
    raw: np.ndarray, layout: Layout, plan: Plan, groups: list[np.ndarray]
) -> np.ndarray:
    """Time-average customers of each period (replications x periods): the mean over its
    months of (customers at the month's start + at its end) / 2."""
    end = raw[:, layout.index["customers"], :]
    start = np.concatenate(
        [np.full((len(raw), 1), float(plan.customers_count)), end[:, :-1]], axis=1
    )
    month_avg = (start + end) / 2
    return np.stack([month_avg[:, g].mean(axis=1) for g in groups], axis=1)


def tidy(values: dict[str, np.ndarray], labels: list[str], starts: list[str],
         calendar: list[str] | None = None) -> pd.DataFrame:
    """One row per period x metric with mean, sd, p10, p50, p90 over replications (and each
    quarter's calendar label, `quarter_label`, when `calendar` is given)."""
    names = list(values)
    stacked = np.stack([values[n] for n in names], axis=1)  # (reps, metrics, periods)
    summary = stats(stacked)
    periods = len(labels)
    columns = {"period": np.repeat(labels, len(names)),
               "period_start": np.repeat(starts, len(names))}
    if calendar is not None:
        columns["quarter_label"] = np.repeat(calendar, len(names))
    columns["metric"] = np.tile(names, periods)
    frame = pd.DataFrame(columns)
    for column in STAT_COLUMNS:
        frame[column] = summary[column].T.reshape(-1)
    return frame


def replication_frame(
    values: dict[str, np.ndarray], labels: list[str], starts: list[str], calendar: list[str]
) -> pd.DataFrame:
    """One row per replication x quarter x metric (for paired analysis later)."""
    names = list(values)
    stacked = np.stack([values[n] for n in names], axis=1)  # (reps, metrics, periods)
    reps, n_metrics, periods = stacked.shape
    order = np.transpose(stacked, (0, 2, 1)).reshape(-1)  # replication, period, metric
    period_codes = np.tile(np.repeat(np.arange(periods, dtype=np.int16), n_metrics), reps)
    metric_codes = np.tile(np.arange(n_metrics, dtype=np.int16), reps * periods)
    return pd.DataFrame(
        {
            "replication": np.repeat(np.arange(reps, dtype=np.int32), periods * n_metrics),
            "period": pd.Categorical.from_codes(period_codes, categories=labels),
            "period_start": pd.Categorical.from_codes(period_codes, categories=starts),
            "quarter_label": pd.Categorical.from_codes(period_codes, categories=calendar),
            "metric": pd.Categorical.from_codes(metric_codes, categories=names),
            "value": order,
        }
    )


def seller_frame(sellers: np.ndarray, plan: Plan, start: str) -> pd.DataFrame:
    """reps.csv: one row per seller per replication, from the workers' structured array
    (`sim.sellers.SELLER_DTYPE`, derived columns filled): columns and look-ups only."""
    hired, left, cohort = seller_labels(sellers, start)
    roles = np.array([r.name for r in plan.roles], dtype=object)
    return pd.DataFrame({
        "replication": sellers["replication"], "role": roles[sellers["role"]],
        "seat": sellers["seat"], "occupant": sellers["occupant"], "hired": hired,
        "left": left, "cohort": cohort, "skill": sellers["skill"],
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
    full_year = sellers[sellers["months_employed"] >= 12.0 - 1e-9]
    result = distribution(full_year["annual_bookings"].to_numpy(float))
    result["by_cohort"] = {
        cohort: distribution(group["annual_bookings"].to_numpy(float))
        for cohort, group in full_year.groupby("cohort", sort=True)
    }
    return result


def _clean(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def build_result(scenario: Scenario, plan: Plan, raw: np.ndarray, sellers: np.ndarray,
                 reps_csv: bytes | None = None) -> RunResult:
    """Tidy frames and the summary of a run from its raw replication arrays and sellers
    (`sim.runner.gather`); `reps_csv`: reps.csv's rows as the workers rendered them."""
    layout = layout_for(plan)
    months = plan.months
    quarters = months // 3
    month_groups = [np.array([k]) for k in range(months)]
    quarter_groups = [np.arange(3 * q, 3 * q + 3) for q in range(quarters)]
    monthly = period_metrics(raw, layout, plan, month_groups)
    quarterly = period_metrics(raw, layout, plan, quarter_groups)
    total = {k: v[:, 0] for k, v in period_metrics(raw, layout, plan, [np.arange(months)]).items()}
    total["magic_number"] = _horizon_magic_number(quarterly)
    m_labels = [f"M{k + 1}" for k in range(months)]
    m_starts = [month_label(scenario.start, k) for k in range(months)]
    q_labels = [f"Q{q + 1}" for q in range(quarters)]
    q_starts = [month_label(scenario.start, 3 * q) for q in range(quarters)]
    q_calendar = [quarter_label(scenario.start, 3 * q) for q in range(quarters)]
    reps = seller_frame(sellers, plan, scenario.start)
    headline = {}
    for name in headline_metrics(plan):
        s = stats(total[name][:, None])
        headline[name] = {k: _clean(s[k][0]) for k in ("mean", "p10", "p50", "p90")}
    summary = {
        "name": scenario.name,
        "description": scenario.description,
        "scenario_hash": scenario_hash(scenario),
        "seed": scenario.seed,
        "replications": int(raw.shape[0]),
        "quarters": scenario.quarters,
        "start": scenario.start,
        "simrev_version": __version__,
        "headline": headline,
        "rep_distribution": _json_ready(rep_distribution(reps)),
    }
    return RunResult(
        scenario=scenario,
        scenario_hash=summary["scenario_hash"],
        monthly=tidy(monthly, m_labels, m_starts),
        quarterly=tidy(quarterly, q_labels, q_starts, q_calendar),
        replications=replication_frame(quarterly, q_labels, q_starts, q_calendar),
        reps=reps,
        reps_csv=None if reps_csv is None else csv_header() + reps_csv,
        summary=summary,
        totals=pd.DataFrame({name: total[name] for name in layout.outputs}).rename_axis(
            "replication"
        ),
        draws=draws_frame(plan.seed, int(raw.shape[0]), plan.ranges),
    )


def headline_metrics(plan: Plan) -> tuple[str, ...]:
    """The headline's metrics: revenue per employee too where the company's size is set."""
    if plan.other_heads is None:
        return HEADLINE
    at = HEADLINE.index("revenue_per_head") + 1
    return (*HEADLINE[:at], "revenue_per_employee", *HEADLINE[at:])


def _horizon_magic_number(quarterly: dict[str, np.ndarray]) -> np.ndarray:
    """Net new ARR of quarters 2..n over the cost of quarters 1..n-1."""
    net_new = quarterly["net_new_arr"][:, 1:].sum(axis=1)
    cost = quarterly["cost_total"][:, :-1].sum(axis=1)
    out = np.full(net_new.shape, np.nan)
    np.divide(net_new, cost, out=out, where=cost != 0)
    return out


def _json_ready(value: object) -> object:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, float):
        return _clean(value)
    return value
