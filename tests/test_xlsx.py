"""summary.xlsx opens with openpyxl and holds the expected sheets and values."""

from __future__ import annotations

import dataclasses
import datetime
import math
import time
import types
from pathlib import Path

import openpyxl
import openpyxl.packaging.core
import openpyxl.writer.excel
import pytest

from sim import __version__
from sim.api import load, run_compared
from sim.compare import COLUMN_LABELS, compare, in_words
from sim.metric_registry import label
from sim.outputs import write_run
from sim.xlsx import FIXED_TIME, sheet_name, write_xlsx

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    return run_compared([load(ROOT / "scenarios" / f"{n}.yaml", ["quarters=4"],
                              replications=20) for n in ("base", "hire5")])


@pytest.fixture(scope="module")
def book(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "summary.xlsx"
    write_xlsx(results, path, compare(results))
    return openpyxl.load_workbook(path)


def rows_by_metric(sheet) -> tuple[list[str], dict[str, tuple]]:
    header = [c.value for c in sheet[1]]
    return header, {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_one_sheet_per_scenario_then_comparison_and_about(book) -> None:
    assert book.sheetnames == ["base", "hire5", "comparison", "about"]


def test_scenario_sheets_hold_the_quarterly_percentiles(book, results) -> None:
    for result in results:
        header, rows = rows_by_metric(book[result.name])
        assert header[:6] == ["metric", "label", "Q1 p10", "Q1 p50", "Q1 p90", "Q1 mean"]
        assert header[-4:] == ["Q4 p10", "Q4 p50", "Q4 p90", "Q4 mean"]
        assert list(rows) == list(dict.fromkeys(result.quarterly.metric))
        for metric in ("bookings", "arr", "heads_total", "revenue_per_head", "win_rate"):
            for _, q in result.quarterly[result.quarterly.metric == metric].iterrows():
                for stat in ("p10", "p50", "p90", "mean"):
                    cell = rows[metric][header.index(f"{q.period} {stat}")]
                    assert cell == pytest.approx(q[stat]), (result.name, metric, stat)
    sheet = book["hire5"]
    formats = {row[0].value: row[3].number_format for row in sheet.iter_rows(min_row=2)}
    assert "$" in formats["bookings"] and "%" in formats["win_rate"]
    assert sheet.freeze_panes == "C2"


def test_comparison_sheet_is_the_compare_table(book, results) -> None:
    table = compare(results)
    sheet = book["comparison"]
    header = [c.value for c in sheet[1]]
    columns = list(table.columns)
    columns.insert(columns.index("metric") + 1, "label")
    assert header == [COLUMN_LABELS[c] for c in columns]
    assert not any("_" in h for h in header), "headers are words, not keys"
    assert sheet.max_row == len(table) + 1
    for n, row in enumerate(sheet.iter_rows(min_row=2, values_only=True)):
        expected = table.iloc[n]
        assert row[:3] == (expected.scenario, expected.metric, label(expected.metric))
        for column in ("mean", "p10", "p90", "diff_mean", "diff_ci_low", "diff_ci_high",
                       "share_beating_base"):
            value = expected[column]
            cell = row[header.index(COLUMN_LABELS[column])]
            assert (cell is None) if math.isnan(value) else cell == pytest.approx(value)
        assert row[header.index("verdict")] == expected.verdict
        if expected.verdict not in ("base", "no estimate"):
            assert in_words(expected.metric) in expected.verdict


def test_about_sheet_names_version_seed_and_hashes(book, results) -> None:
    values = [c for row in book["about"].iter_rows(values_only=True) for c in row]
    assert __version__ in values
    for result in results:
        assert result.scenario_hash in values and result.name in values
    assert results[0].scenario.seed in values and "2027-01" in values


def test_duplicate_and_awkward_names_get_safe_unique_sheets(results, tmp_path) -> None:
    base = results[0]
    renamed = [dataclasses.replace(base, scenario=base.scenario.model_copy(
        update={"name": name})) for name in ("comparison", "x" * 40, "x" * 40)]
    path = tmp_path / "s.xlsx"
    write_xlsx([base, dataclasses.replace(base), *renamed], path, compare(results))
    names = openpyxl.load_workbook(path).sheetnames
    assert names == ["base", "base~2", "comparison", "x" * 31, "x" * 29 + "~2",
                     "comparison~2", "about"]


def test_sheet_names_are_excel_safe_and_unique() -> None:
    taken: set[str] = set()
    long = "a" * 40
    assert sheet_name(long, taken) == "a" * 31
    assert sheet_name(long, taken) == "a" * 29 + "~2"
    assert sheet_name("A" * 40, taken) == "A" * 29 + "~3"  # Excel ignores case
    assert sheet_name("x[1]:y/z?*\\", taken) == "x_1__y_z___"
    assert sheet_name("", taken) == "sheet"
    assert all(len(name) <= 31 for name in taken)


class _Clock:
    """The clocks behind summary.xlsx's dates — time.time (zip member dates) and openpyxl's
    datetime.now (workbook created/modified) — set to a chosen instant."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, when: datetime.datetime) -> None:
        class Frozen(datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                return when.replace(tzinfo=tz) if tz else when

            @classmethod
            def utcnow(cls):
                return when

        frozen = types.SimpleNamespace(datetime=Frozen, timezone=datetime.timezone)
        self.monkeypatch.setattr(time, "time", lambda: when.timestamp())
        for module in (openpyxl.writer.excel, openpyxl.packaging.core):
            self.monkeypatch.setattr(module, "datetime", frozen)


def test_the_same_results_give_the_same_bytes_whenever_written(results, tmp_path,
                                                               monkeypatch) -> None:
    clock = _Clock(monkeypatch)
    table = compare(results)
    clock.set(datetime.datetime(2031, 5, 6, 7, 8, 9))
    write_xlsx(results, tmp_path / "a.xlsx", table)
    clock.set(datetime.datetime(2032, 11, 12, 13, 14, 15))
    write_xlsx(results, tmp_path / "b.xlsx", table)
    a, b = (tmp_path / "a.xlsx").read_bytes(), (tmp_path / "b.xlsx").read_bytes()
    assert a == b
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert book.properties.created == book.properties.modified == FIXED_TIME
    assert book.sheetnames == ["base", "hire5", "comparison", "about"]


def test_every_output_file_of_a_run_is_byte_identical_whenever_written(results, tmp_path,
                                                                       monkeypatch) -> None:
    clock = _Clock(monkeypatch)
    clock.set(datetime.datetime(2031, 5, 6, 7, 8, 9))
    first = write_run(results[0], tmp_path / "a", xlsx=True)
    clock.set(datetime.datetime(2032, 11, 12, 13, 14, 15))
    second = write_run(results[0], tmp_path / "b", xlsx=True)
    names = sorted(p.name for p in first.iterdir())
    assert "summary.xlsx" in names and "replications.parquet" in names
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
