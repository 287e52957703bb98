"""Spreadsheet export: summary.xlsx for finance teams (openpyxl).

One sheet per scenario: a row per metric, and per quarter the columns `Q1 p10`, `Q1 p50`,
`Q1 p90`, `Q1 mean`, `Q2 p10`, ...; values are plain numbers with a number format by kind
(dollars, percentages, ratios, counts), so formulas can use them. With a comparison table,
a `comparison` sheet holds it as is. An `about` sheet says what produced the workbook.

The same results give the same bytes: the workbook's created/modified dates and the zip
members' dates are fixed (1980-01-01, the earliest a zip can hold) instead of the clock.
"""

from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.metric_registry import label, unit
from sim.results import RunResult

STATS = ("p10", "p50", "p90", "mean")
FORMATS = {"money": '"$"#,##0;-"$"#,##0', "count": "#,##0.0", "days": "#,##0.0",
           "ratio": "0.00", "share": "0.0%"}
INVALID = re.compile(r"[\[\]:*?/\\]")
FIXED_TIME = datetime.datetime(1980, 1, 1)  # no clock in the file: same results, same bytes
CORE_PROPERTIES = "docProps/core.xml"


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters, no []:*?/\\)."""
    base = INVALID.sub("_", str(name)).strip("'")[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def quarterly_wide(result: RunResult) -> pd.DataFrame:
    """One row per metric; columns `Q1 p10`, `Q1 p50`, `Q1 p90`, `Q1 mean`, `Q2 p10`, ..."""
    frame = result.quarterly
    wide = frame.pivot(index="metric", columns="period", values=list(STATS))
    periods = list(dict.fromkeys(frame.period))
    columns = [(stat, period) for period in periods for stat in STATS]
    wide = wide[columns]
    wide.columns = [f"{period} {stat}" for stat, period in columns]
    order = list(dict.fromkeys(frame.metric))
    return wide.loc[order].reset_index()


def _cell(value: object) -> object:
    """What a cell holds: numbers as floats, a missing number as an empty cell."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


def _write(sheet, frame: pd.DataFrame, formats: list[str | None] | None = None,
           widths: dict[int, float] | None = None) -> None:
    """A frame as a table: bold header, frozen first row and column, number formats."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([str(c) for c in frame.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, row in enumerate(frame.itertuples(index=False)):
        sheet.append([_cell(v) for v in row])
        number_format = formats[n] if formats else None
        if number_format:
            for cell in sheet[sheet.max_row][1:]:
                if isinstance(cell.value, float):
                    cell.number_format = number_format
    sheet.freeze_panes = "B2"
    if len(frame):
        sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(frame.columns, start=1):
        width = (widths or {}).get(i) or max(10, min(40, len(str(column)) + 2))
        sheet.column_dimensions[get_column_letter(i)].width = width


def _comparison(sheet, table: pd.DataFrame) -> None:
    from sim.compare import COLUMN_LABELS

    table = table.copy()
    if "metric" in table:
        table.insert(list(table.columns).index("metric") + 1, "label",
                     [label(str(m)) for m in table["metric"]])
    columns = list(table.columns)
    _write(sheet, table.rename(columns=COLUMN_LABELS),
           widths={1: 22, 2: 22, 3: 26, len(table.columns): 70})
    if "metric" not in columns:
        return
    same_unit = [i + 1 for i, c in enumerate(columns)
                 if c in ("mean", "p10", "p50", "p90") or str(c).startswith("diff_")]
    share = [i + 1 for i, c in enumerate(columns) if c == "share_beating_base"]
    for row, metric in enumerate(table["metric"], start=2):
        for col in same_unit:
            sheet.cell(row=row, column=col).number_format = FORMATS[unit(str(metric))]
        for col in share:
            sheet.cell(row=row, column=col).number_format = FORMATS["share"]


def _about(sheet, results: list[tuple[RunResult, str]]) -> None:
    from openpyxl.styles import Font

    rows: list[list[object]] = [
        ["simrev version", __version__],
        ["what", "quarterly P10/P50/P90 and mean per metric over the replications; "
                 "flows are sums over the quarter, stocks are values at its end"],
        [],
        ["scenario", "sheet", "seed", "replications", "quarters", "start", "scenario hash",
         "description"],
    ]
    header_row = len(rows)
    for result, name in results:
        s = result.summary
        rows.append([result.name, name, s.get("seed"), s.get("replications"), s.get("quarters"),
                     s.get("start"), result.scenario_hash, s.get("description", "")])
    rows += [[], ["quarter", "starts", "calendar"]]
    quarter_row = len(rows)
    first = results[0][0].quarterly.drop_duplicates("period")
    rows += [[p, start, label] for p, start, label in
             zip(first.period, first.period_start, first.quarter_label, strict=True)]
    for row in rows:
        sheet.append(row)
    for r in (1, 2, header_row, quarter_row):
        sheet.cell(row=r, column=1).font = Font(bold=True)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGH", (22, 22, 8, 13, 9, 9, 66, 60), strict=True):
        sheet.column_dimensions[col].width = width


def write_xlsx(results: list[RunResult], path: str | Path,
               table: pd.DataFrame | None = None) -> None:
    """One sheet per scenario (quarterly P10/P50/P90 and mean per metric), a `comparison`
    sheet with the paired comparison when `table` is given, and an `about` sheet."""
    from openpyxl import Workbook

    if not results:
        raise ValueError("write_xlsx needs at least one result")
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    named = []
    for result in results:
        name = sheet_name(result.name, taken)
        named.append((result, name))
        wide = quarterly_wide(result)
        wide.insert(1, "label", [label(m) for m in wide.metric])
        _write(book.create_sheet(name), wide,
               formats=[FORMATS[unit(m)] for m in wide.metric], widths={1: 22, 2: 26})
        book[name].freeze_panes = "C2"
    if table is not None:
        _comparison(book.create_sheet(sheet_name("comparison", taken)), table)
    _about(book.create_sheet(sheet_name("about", taken)), named)
    save_reproducibly(book, path)


def save_reproducibly(book, path: str | Path) -> None:
    """Save `book` with fixed dates: in its properties and on every zip member.

    openpyxl stamps the modified date with the clock when saving, and zipfile stamps each
    member; the saved zip is rewritten member by member with FIXED_TIME instead.
    """
    from openpyxl.xml.functions import tostring

    buffer = io.BytesIO()
    book.save(buffer)
    book.properties.created = book.properties.modified = FIXED_TIME
    core = tostring(book.properties.to_tree())
    with zipfile.ZipFile(buffer) as saved, zipfile.ZipFile(path, "w") as out:
        for info in saved.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            member.compress_type = info.compress_type
            member.external_attr = 0o600 << 16
            member.create_system = 3  # the same bytes whatever the platform
            out.writestr(member, core if info.filename == CORE_PROPERTIES else saved.read(info))
