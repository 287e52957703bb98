"""Terminal tables (rich): headline metrics per quarter with P10–P90, rep distribution.

No table cuts a number: a cell shows the median with its P10–P90 range on a line of its
own, each column is exactly as wide as its widest line (a header wraps between words), and
the quarterly metrics are split over as many tables as the console's width needs (each
repeating the quarter column).
"""

from __future__ import annotations

import pandas as pd
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from sim.compare import in_words
from sim.metric_registry import COMPARED, fmt, label, unit
from sim.results import RunResult
from sim.sensitivity import SHOWN_METRIC, SHOWN_ROWS, draw_text, run_sensitivity

QUARTER_COLUMNS = ("bookings", "arr", "revenue_per_head", "heads_total", "cost_total",
                   "win_rate", "opps_unworked", "opps_lost_to_capacity")
# A column's border and padding: one space either side and one rule.
COLUMN_FRAME = 3


def spread(row: pd.Series | dict, kind: str) -> str:
    return f"{fmt(row['p50'], kind)} ({fmt(row['p10'], kind)}–{fmt(row['p90'], kind)})"


def stacked(row: pd.Series | dict, kind: str) -> str:
    """The median, and its P10–P90 range on the next line."""
    return f"{fmt(row['p50'], kind)}\n{fmt(row['p10'], kind)}–{fmt(row['p90'], kind)}"


def _width(header: str, cells: list[str]) -> int:
    """Cells' widest line, and the header's longest word (a header may wrap)."""
    lines = [line for cell in cells for line in cell.split("\n")]
    words = header.split()
    return max([cell_len(x) for x in lines] + [cell_len(w) for w in words] + [1])


def _pack(widths: list[int], first: int, room: int) -> list[list[int]]:
    """Columns (by index) per table, in order, each table fitting `room` beside the first
    column: as few tables as fit, with the columns shared out evenly among them."""

    def greedy(most: int) -> list[list[int]]:
        groups: list[list[int]] = []
        used = 0
        for i, width in enumerate(widths):
            if not groups or len(groups[-1]) >= most or used + width + COLUMN_FRAME > room:
                groups.append([])
                used = 1 + first + COLUMN_FRAME
            groups[-1].append(i)
            used += width + COLUMN_FRAME
        return groups

    fewest = greedy(len(widths))
    even = greedy(-(-len(widths) // max(1, len(fewest))))
    return even if len(even) == len(fewest) else fewest


def quarterly_tables(result: RunResult, width: int) -> list[Table]:
    """Median and P10–P90 of the quarterly metrics, split to fit `width` columns."""
    s = result.scenario
    frame = result.quarterly.set_index(["period", "metric"])
    periods = list(dict.fromkeys(result.quarterly["period"]))
    quarters = [f"{p}\n{frame.loc[(p, 'bookings'), 'quarter_label']}" for p in periods]
    columns = [(label(m), [stacked(frame.loc[(p, m)], unit(m)) for p in periods])
               for m in QUARTER_COLUMNS]
    first = _width("quarter", quarters)
    groups = _pack([_width(h, cells) for h, cells in columns], first, width)
    tables = []
    for n, group in enumerate(groups):
        title = (f"{s.name}: median and P10–P90 of {s.replications:,} replications, seed "
                 f"{s.seed}" if n == 0 else f"{s.name} (continued)")
        table = Table(title=title, title_justify="left")
        table.add_column("quarter", width=first)
        for i in group:
            header, cells = columns[i]
            table.add_column(header, justify="right", width=_width(header, cells))
        for q, quarter in enumerate(quarters):
            table.add_row(quarter, *(columns[i][1][q] for i in group),
                          end_section=q < len(quarters) - 1)
        tables.append(table)
    return tables


def quarterly_table(result: RunResult) -> Table:
    """All quarterly metrics in one table (as wide as they need)."""
    return quarterly_tables(result, 10**6)[0]


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


def print_run(console: Console, result: RunResult, folder: str,
              sensitivity: pd.DataFrame | None = None) -> None:
    """The run's tables; `sensitivity` is the written `sensitivity.csv` (computed for the
    shown metric alone if not given: a metric's rows do not depend on the others)."""
    for table in quarterly_tables(result, console.width):
        console.print(table)
    console.print(rep_table(result))
    drivers = sensitivity if sensitivity is not None else \
        run_sensitivity(result, [SHOWN_METRIC])
    if drivers is not None:
        console.print(drivers_table(drivers, SHOWN_METRIC))
    h = result.summary["headline"]
    per_employee = ""
    if "revenue_per_employee" in h:
        per_employee = (f"revenue per employee (company-wide) "
                        f"{spread(h['revenue_per_employee'], 'money')}, ")
    console.print(
        f"Whole horizon: GTM revenue per head {spread(h['revenue_per_head'], 'money')}, "
        f"{per_employee}bookings {spread(h['bookings'], 'money')}, "
        f"cost {spread(h['cost_total'], 'money')}."
    )
    console.print(f"Results written to {folder}/")


def hire_tables(curve: pd.DataFrame, role: str) -> list[Table]:
    """The hire sweep (`sim.hire_sweep.hire_curve`): one table per curve, one row per count;
    each column exactly as wide as its widest cell (headers wrap between words), so the
    table fits 80 columns without cutting a number."""
    headers = [f"{role} hired", "ARR P50", "cost P50", "extra ARR", "extra cost",
               "ARR per extra $", "marginal ARR − cost", "step pays back"]
    tables = []
    for name, part in curve.groupby("curve", sort=False):
        out = Table(title=f"Hire sweep of {role}, {name}: paired means over the base",
                    title_justify="left")
        rows = [[f"{r.hires:g}", fmt(r.arr_p50), fmt(r.cost_p50), fmt(r.extra_arr),
                 fmt(r.extra_cost), fmt(r.arr_per_extra_dollar, "ratio"), fmt(r.step_net),
                 "–" if pd.isna(r.step_net) else "yes" if r.step_net >= 0 else "no"]
                for _, r in part.iterrows()]
        for n, header in enumerate(headers):
            out.add_column(header, justify="right",
                           width=_width(header, [row[n] for row in rows]))
        for row in rows:
            out.add_row(*row)
        tables.append(out)
    return tables


def print_backtest(console: Console, bt, folder: str) -> None:
    """Per origin and quarter: actual, P50 (P10–P90), the P50's error, inside, baselines;
    then MAPE and coverage per method."""
    out = Table(title=f"Backtest: {bt.replications:,} replications per origin, seed "
                      f"{bt.seed}", title_justify="left")
    for name in ("fitted at", "quarter", "actual", "P50 (P10–P90)", "P50 error", "inside",
                 "run_rate", "capacity", "pipeline"):
        out.add_column(name, justify="left" if name in ("fitted at", "quarter") else "right")
    for _, r in bt.table.iterrows():
        error = f"{100 * r.error_pct:+.1f}%" if pd.notna(r.error_pct) else "–"
        out.add_row(r.as_of, r.quarter, fmt(r.actual, "money"), spread(r, "money"), error,
                    "yes" if r.inside else "no",
                    *(fmt(r[m], "money") if pd.notna(r[m]) else "–"
                      for m in ("run_rate", "capacity", "pipeline")))
    console.print(out)
    total = bt.summary[bt.summary["horizon"] == "all"].set_index("method")
    parts = [f"{m} {100 * total.loc[m, 'mape']:.1f}%" if pd.notna(total.loc[m, "mape"])
             else f"{m} –" for m in total.index]
    console.print(f"MAPE: {', '.join(parts)}; actual inside P10–P90 in "
                  f"{100 * total.loc['model', 'coverage']:.0f}% of {len(bt.table)}.")
    console.print(f"Results written to {folder}/")


def compare_table(table: pd.DataFrame, replications: int, seed: int) -> Table:
    out = Table(title=f"Paired comparison with the base: {replications:,} replications, seed "
                      f"{seed}, common random numbers; difference with its 95% interval",
                title_justify="left")
    rows = []
    for metric, group in table.groupby("metric", sort=False):
        kind = unit(metric)
        for i, (_, row) in enumerate(group.iterrows()):
            base = i == 0
            diff = "–" if base else (
                f"{fmt(row.diff_mean, kind)}\n({fmt(row.diff_ci_low, kind)} to "
                f"{fmt(row.diff_ci_high, kind)})")
            beats = "–" if base else f"{100 * row.share_beating_base:.0f}%"
            rows.append(([label(metric) if base else "", row.scenario, stacked(row, kind),
                          diff, beats], i == len(group) - 1))
    headers = ("metric", "scenario", "median (P10–P90)", "difference vs base (95% CI)",
               "beats base")
    for n, name in enumerate(headers):
        if n < 2:  # text: may wrap between words
            out.add_column(name, justify="left")
        else:  # numbers: exactly as wide as the widest, never cut
            out.add_column(name, justify="right",
                           width=_width(name, [cells[n] for cells, _end in rows]))
    for cells, end in rows:
        out.add_row(*cells, end_section=end)
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


DRIVER_HEADERS = ("rank", "assumption", "lowest fifth drawn", "highest fifth drawn",
                  "P50, lowest fifth", "P50, highest fifth", "swing (± noise)")


def _driver_cells(row: pd.Series, metric: str) -> list[str]:
    kind = unit(metric)
    sign = "+" if row.swing > 0 else ""
    noise = fmt(2 * row.swing_se, kind)
    return [str(int(row["rank"])), row.label, f"≤ {draw_text(row.low_fifth_to)}",
            f"≥ {draw_text(row.high_fifth_from)}", fmt(row.low_p50, kind),
            fmt(row.high_p50, kind), f"{sign}{fmt(row.swing, kind)} (±{noise})"]


def drivers_table(frame: pd.DataFrame, metric: str, title: str | None = None,
                  rows: int = SHOWN_ROWS) -> Table:
    """The top `rows` assumptions of a sensitivity frame for `metric` (a frame with a
    `scenario` column, from a comparison, gets one section per plan)."""
    what = in_words(metric)
    out = Table(title=title or (
        f"What drives {what}: its P50 among the replications whose draw of an assumption was "
        f"in the lowest and in the highest fifth; noise 2 standard errors (top {rows}, all "
        "in sensitivity.csv)"), title_justify="left")
    plans = "scenario" in frame.columns
    headers = (("plan",) if plans else ()) + DRIVER_HEADERS
    groups = list(frame.groupby("scenario", sort=False)) if plans else [("", frame)]
    cells = []
    for name, group in groups:
        part = group[group.metric == metric].head(rows)
        for i, (_, row) in enumerate(part.iterrows()):
            first = [name if i == 0 else ""] if plans else []
            cells.append((first + _driver_cells(row, metric), i == len(part) - 1))
    for n, name in enumerate(headers):
        text = name in ("plan", "assumption")
        out.add_column(name, justify="left" if text else "right",
                       width=None if text else _width(name, [c[n] for c, _ in cells]))
    for row_cells, end in cells:
        out.add_row(*row_cells, end_section=end and plans)
    return out


def compare_drivers_table(frame: pd.DataFrame, base: str) -> Table:
    """Per plan, the assumptions that decide its difference from the base in `SHOWN_METRIC`."""
    what = in_words(SHOWN_METRIC)
    return drivers_table(frame, SHOWN_METRIC, title=(
        f"What decides Δ {what} (plan − {base}, replication by replication): its P50 among "
        f"the replications whose draw of an assumption was in the lowest and in the highest "
        f"fifth; noise 2 standard errors (top {SHOWN_ROWS} per plan, all in sensitivity.csv)"))
