"""Spreadsheet export: summary.xlsx for finance teams (openpyxl through pandas)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sim.results import RunResult


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def quarterly_wide(result: RunResult) -> pd.DataFrame:
    """One row per metric; columns `Q1 p10`, `Q1 p50`, `Q1 p90`, `Q1 mean`, `Q2 p10`, ..."""
    frame = result.quarterly
    wide = frame.pivot(index="metric", columns="period", values=["p10", "p50", "p90", "mean"])
    periods = list(dict.fromkeys(frame.period))
    columns = [(stat, period) for period in periods for stat in ("p10", "p50", "p90", "mean")]
    wide = wide[columns]
    wide.columns = [f"{period} {stat}" for stat, period in columns]
    order = list(dict.fromkeys(frame.metric))
    return wide.loc[order].reset_index()


def write_xlsx(results: list[RunResult], path: str | Path,
               table: pd.DataFrame | None = None) -> None:
    """One sheet per scenario (quarterly P10/P50/P90 and mean per metric), plus a
    `comparison` sheet with the paired comparison when `table` is given."""
    taken: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for result in results:
            quarterly_wide(result).to_excel(writer, sheet_name=sheet_name(result.name, taken),
                                            index=False)
        if table is not None:
            table.to_excel(writer, sheet_name=sheet_name("comparison", taken), index=False)
