"""Terminal tables (rich): headline metrics per quarter with P10–P90, rep distribution."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from sim.metric_registry import COMPARED, fmt, label, unit
from sim.results import RunResult

QUARTER_COLUMNS = ("bookings", "arr", "revenue_per_head", "heads_total", "cost_total",
                   "win_rate", "opps_unworked")


def spread(row: pd.Series | dict, kind: str) -> str:
    return f"{fmt(row['p50'], kind)} ({fmt(row['p10'], kind)}–{fmt(row['p90'], kind)})"


def quarterly_table(result: RunResult) -> Table:
    s = result.scenario
    table = Table(
        title=f"{s.name}: median (P10–P90) of {s.replications:,} replications, seed {s.seed}",
        title_justify="left",
    )
    table.add_column("quarter")
    for metric in QUARTER_COLUMNS:
        table.add_column(label(metric), justify="right")
    frame = result.quarterly.set_index(["period", "metric"])
    for period in dict.fromkeys(result.quarterly["period"]):
        start = frame.loc[(period, "bookings"), "period_start"]
        cells = [spread(frame.loc[(period, metric)], unit(metric)) for metric in QUARTER_COLUMNS]
        table.add_row(f"{period} {start}", *cells)
    return table


def rep_table(result: RunResult) -> Table:
    dist = result.summary["rep_distribution"]
    table = Table(
        title="Annual bookings per seller (sellers employed a full year of the horizon)",
        title_justify="left",
    )
    for name in ("cohort", "sellers", "median", "10% trimmed mean", "P25", "P75"):
        table.add_column(name, justify="left" if name == "cohort" else "right")

    def add(label: str, d: dict) -> None:
        table.add_row(label, f"{d['sellers']:,}", fmt(d["median"]), fmt(d["trimmed_mean_10"]),
                      fmt(d["p25"]), fmt(d["p75"]))

    add("all", dist)
    for cohort, d in dist.get("by_cohort", {}).items():
        add("today's team" if cohort == "today" else f"hired in {cohort}", d)
    return table


def print_run(console: Console, result: RunResult, folder: str) -> None:
    console.print(quarterly_table(result))
    console.print(rep_table(result))
    h = result.summary["headline"]
    console.print(
        f"Whole horizon: revenue per head {spread(h['revenue_per_head'], 'money')}, "
        f"bookings {spread(h['bookings'], 'money')}, "
        f"cost {spread(h['cost_total'], 'money')}."
    )
    console.print(f"Results written to {folder}/")


def compare_table(table: pd.DataFrame, replications: int, seed: int) -> Table:
    out = Table(title=f"Paired comparison with the base: {replications:,} replications, seed "
                      f"{seed}, common random numbers; difference with its 95% interval",
                title_justify="left")
    for name in ("metric", "scenario", "median (P10–P90)", "difference vs base (95% CI)",
                 "beats base"):
        out.add_column(name, justify="left" if name in ("metric", "scenario") else "right")
    for metric, rows in table.groupby("metric", sort=False):
        kind = unit(metric)
        for i, (_, row) in enumerate(rows.iterrows()):
            base = i == 0
            diff = "–" if base else (
                f"{fmt(row.diff_mean, kind)} ({fmt(row.diff_ci_low, kind)} to "
                f"{fmt(row.diff_ci_high, kind)})")
            beats = "–" if base else f"{100 * row.share_beating_base:.0f}%"
            out.add_row(label(metric) if base else "", row.scenario,
                        spread(row, kind), diff, beats, end_section=i == len(rows) - 1)
    return out


def increments_table(increments: pd.DataFrame) -> Table:
    out = Table(title="What the extra money buys (paired means over the horizon)",
                title_justify="left")
    for name in ("scenario", "incremental cost", "incremental ARR", "ARR per extra $"):
        out.add_column(name, justify="left" if name == "scenario" else "right")
    for _, row in increments.iterrows():
        out.add_row(row.scenario, fmt(row.incremental_cost), fmt(row.incremental_arr),
                    fmt(row.arr_per_extra_dollar, "ratio"))
    return out


def leaders(table: pd.DataFrame) -> list[str]:
    """One verdict line per metric: which plan leads and whether it is clear of the base."""
    lines = []
    for metric, rows in table.groupby("metric", sort=False):
        higher = COMPARED[metric]
        means = rows["mean"].dropna()
        what = label(metric)
        if means.empty:
            lines.append(f"{what}: no estimate (too short a horizon).")
            continue
        best = rows.loc[means.idxmax() if higher else means.idxmin()]
        if best.verdict == "base":
            lines.append(f"{what}: the base leads.")
        else:
            lines.append(f"{what}: {best.scenario} leads; {best.verdict}.")
    return lines
