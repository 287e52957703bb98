"""report.html: one self-contained page; a real headless browser renders it cleanly."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from sim.api import load, run_compared
from sim.compare import compare, increments
from sim.report import render_compare, render_run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results():
    names = ("base", "hire5")
    return run_compared([load(ROOT / "scenarios" / f"{n}.yaml", replications=20,
                              overrides=["quarters=4"]) for n in names])


@pytest.fixture(scope="module")
def run_page(results) -> str:
    return render_run(results[0])


@pytest.fixture(scope="module")
def compare_page(results) -> str:
    return render_compare(results, compare(results), increments(results), None)


def assert_self_contained(page: str) -> None:
    assert len(page.encode()) < 5 * 2**20
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "<script src" not in page and "@import" not in page
    assert page.startswith("<!DOCTYPE html>")


def test_run_page_holds_the_charts_numbers_and_assumptions(run_page, results) -> None:
    assert_self_contained(run_page)
    assert run_page.count('class="fan-chart"') == 4
    for title in ("Bookings per quarter", "ARR at quarter end", "Heads at quarter end",
                  "Revenue per head"):
        assert title in run_page
    assert 'class="box-plot"' in run_page
    assert "win_rate: 0.22" in run_page  # the resolved scenario
    assert f"seed {results[0].summary['seed']}" in run_page
    p50 = results[0].summary["headline"]["bookings"]["p50"]
    assert f"${p50 / 1e6:.1f}M" in run_page


def test_compare_page_holds_paired_differences(compare_page) -> None:
    assert_self_contained(compare_page)
    assert compare_page.count('class="diff-chart"') == 7
    assert "beats base" in compare_page and "hire5" in compare_page
    assert 'class="sweep-chart"' not in compare_page


def test_compare_page_with_a_sweep_draws_the_curve() -> None:
    from sim.api import sweep

    key, values, variants = sweep(ROOT / "scenarios" / "base.yaml",
                                  "roles.ae.headcount=18,24", ["quarters=2"], replications=10)
    results = run_compared([load(ROOT / "scenarios" / "base.yaml", replications=10,
                                 overrides=["quarters=2"]), *variants])
    page = render_compare(results, compare(results), increments(results), (key, values))
    assert page.count('class="sweep-chart"') == 3
    assert "headcount=24" in page


def png_colors(path: Path) -> int:
    """Distinct colours in a PNG (8-bit RGB/RGBA, as Chromium writes) — stdlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color_type = header[:4]
    assert depth == 8 and color_type in (2, 6)
    channels = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels + 1
    colors = set()
    for row in range(0, height, max(1, height // 200)):
        line = raw[row * stride + 1:(row + 1) * stride]  # filtered bytes: enough to count
        colors.update(line[i:i + 3] for i in range(0, len(line), channels * 7))
    return len(colors)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    install = subprocess.run("apt-get update -qq && apt-get install -y -qq chromium",
                             shell=True, capture_output=True, text=True, check=False)
    found = shutil.which("chromium")
    if not found:
        pytest.skip("Debian's chromium is not installed and could not be installed here: "
                    + install.stderr.strip()[-200:])
    return found


BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.mark.parametrize("which", ["run", "compare"])
def test_a_real_browser_renders_the_report(which, run_page, compare_page, tmp_path) -> None:
    browser = chromium()
    page = tmp_path / "report.html"
    page.write_text(run_page if which == "run" else compare_page, encoding="utf-8")
    common = [browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-500:]
    assert dom.stdout.count("<svg") >= 4  # the charts are in the rendered DOM
    console_errors = [line for line in dom.stderr.splitlines()
                      if "CONSOLE" in line or "Uncaught" in line]
    assert console_errors == []
    shot = tmp_path / "shot.png"
    done = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,1600",
                           page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.exists(), done.stderr[-500:]
    assert png_colors(shot) > 8  # not a blank page
