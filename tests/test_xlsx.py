"""summary.xlsx opens with openpyxl and holds the expected sheets and values."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from sim.api import load, run_compared
from sim.compare import compare
from sim.xlsx import sheet_name, write_xlsx

ROOT = Path(__file__).resolve().parent.parent


def test_workbook_sheets_and_values(tmp_path: Path) -> None:
    results = run_compared([load(ROOT / "scenarios" / f"{n}.yaml", replications=10,
                                 overrides=["quarters=2"]) for n in ("base", "hire5")])
    table = compare(results)
    path = tmp_path / "summary.xlsx"
    write_xlsx(results, path, table)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["base", "hire5", "comparison"]
    sheet = book["hire5"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["metric", "Q1 p10", "Q1 p50", "Q1 p90", "Q1 mean"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    expected = results[1].quarterly.query("metric == 'bookings' and period == 'Q2'").iloc[0]
    assert rows["bookings"][header.index("Q2 p50")] == pytest.approx(expected.p50)
    comparison = book["comparison"]
    assert [c.value for c in comparison[1]][:3] == ["scenario", "metric", "mean"]
    assert comparison.max_row == len(table) + 1


def test_sheet_names_are_excel_safe_and_unique() -> None:
    taken: set[str] = set()
    long = "a" * 40
    assert sheet_name(long, taken) == "a" * 31
    assert sheet_name(long, taken) == "a" * 29 + "~2"
    assert sheet_name("x[1]:y", taken) == "x_1__y"
