"""report.html: one self-contained page; a real headless browser renders it cleanly."""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from sim import __version__
from sim.api import load, run_compared, sweep
from sim.compare import compare, increments
from sim.report import render_compare, render_run
from sim.report.figures import nice_ticks, tick_labels
from sim.scenario import scenario_to_yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SMALL = ["quarters=4"]


@pytest.fixture(scope="module")
def results():
    """base, hire5 and two headcount variants of base: 20 replications, 4 quarters."""
    key, values, variants = sweep(SCENARIOS / "base.yaml", "roles.ae.headcount=18,24", SMALL,
                                  replications=20)
    loaded = [load(SCENARIOS / f"{n}.yaml", SMALL, replications=20) for n in ("base", "hire5")]
    return run_compared([*loaded, *variants]), (key, values)


@pytest.fixture(scope="module")
def run_page(results) -> str:
    return render_run(results[0][0])


@pytest.fixture(scope="module")
def compare_page(results) -> str:
    runs = results[0][:2]
    return render_compare(runs, compare(runs), increments(runs))


@pytest.fixture(scope="module")
def sweep_page(results) -> str:
    runs, swept = results
    return render_compare(runs, compare(runs), increments(runs), swept)


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert len(page.encode("utf-8")) < 5 * 2**20
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<script[^>]*\bsrc", page, re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    # every href is a link inside the page
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', page))


def charts(page: str, cls: str) -> list[str]:
    return re.findall(rf'<svg class="{cls}".*?</svg>', page, re.S)


def assert_accessible_charts(page: str) -> None:
    for svg in re.findall(r"<svg[^>]*>.*?</svg>", page, re.S):
        opening = svg[: svg.index(">") + 1]
        assert 'role="img"' in opening and 'aria-label="' in opening
        assert re.search(r"<svg[^>]*><title>[^<]+</title>", svg)


class Tables(HTMLParser):
    """Rows of every table: (row attributes, [cell texts])."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[dict, list[str]]]] = {}
        self.table = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table = attrs.get("class", "")
            self.rows.setdefault(self.table, [])
        elif tag == "tr":
            self.rows[self.table].append((attrs, []))
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "span" and self.cell is not None and attrs.get("class") == "key":
            self.cell.append("\0")  # the metric key after the label

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[self.table][-1][1].append("".join(self.cell).split("\0")[0].strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def parse_number(text: str) -> tuple[float, float]:
    """'$14.26M' -> (14.26e6, half a unit of the last digit), '22.1%' -> (0.221, ...)."""
    m = re.fullmatch(r"(-?)\$?([\d,]+(?:\.(\d+))?)([Mk%]?)", text.strip())
    assert m, text
    sign, number, decimals, unit = m.groups()
    scale = {"M": 1e6, "k": 1e3, "%": 0.01, "": 1.0}[unit]
    half = 0.5 * 10 ** -len(decimals or "") * scale
    return (-1 if sign else 1) * float(number.replace(",", "")) * scale, half


def test_run_page_is_one_self_contained_file(run_page) -> None:
    assert_self_contained(run_page)
    assert_accessible_charts(run_page)
    assert "<script" not in run_page  # no JavaScript at all


def test_run_page_headline_numbers_match_the_summary(run_page, results) -> None:
    result = results[0][0]
    headline = result.summary["headline"]
    parser = Tables()
    parser.feed(run_page)
    header, *rows = parser.rows["headline"]
    assert header[1] == ["metric", "mean", "P10", "P50", "P90"]
    assert [attrs["data-metric"] for attrs, _ in rows] == list(headline)
    for attrs, cells in rows:
        stats = headline[attrs["data-metric"]]
        for text, stat in zip(cells[1:], ("mean", "p10", "p50", "p90"), strict=True):
            shown, half = parse_number(text)
            assert shown == pytest.approx(stats[stat], abs=half * 1.001 + 1e-9), (attrs, stat)


def test_run_page_holds_the_fan_charts_by_quarter(run_page, results) -> None:
    result = results[0][0]
    fans = charts(run_page, "fan-chart")
    assert len(fans) == 5
    titles = ("Bookings per quarter", "ARR at quarter end", "Heads at quarter end",
              "GTM revenue per head (annualized)", "Opportunities lost to capacity")
    for svg, title in zip(fans, titles, strict=True):
        assert f'aria-label="{title}"' in svg and f"<title>{title}</title>" in svg
        assert svg.count('class="band"') == 1 and svg.count('class="median"') == 1
        ticks = re.findall(r'class="x-tick"[^>]*>([^<]+)<', svg)
        assert ticks == ["Q1", "Q2", "Q3", "Q4"]
        assert "2027Q1" in svg and "2027Q4" in svg  # the quarters' calendar labels
    bookings = fans[0]
    assert re.search(r">\$\d+(\.\d)?M<", bookings)  # money axis like $1.5M
    p50 = result.quarterly.query("metric == 'bookings' and period == 'Q2'").p50.iloc[0]
    assert html.escape(f"Q2: P50 ${p50 / 1e6:.1f}M") in bookings  # the point's tooltip


def test_run_page_holds_the_rep_distribution_and_assumptions(run_page, results) -> None:
    result = results[0][0]
    boxes = charts(run_page, "box-plot")
    assert len(boxes) == 1
    full = result.reps[result.reps.months_employed >= 12 - 1e-9]
    counts = full.groupby("cohort").size()
    shown = [int(n.replace(",", "")) for n in re.findall(r">n=([\d,]+)<", boxes[0])]
    assert sorted(shown) == sorted(counts.tolist())
    assert boxes[0].count('class="box"') == (counts > 0).sum()
    median = result.summary["rep_distribution"]["median"]
    assert f"median ${median / 1e3:.0f}k" in run_page
    yaml = scenario_to_yaml(result.scenario)
    assert f'<pre class="assumptions">{html.escape(yaml)}</pre>' in run_page
    assert "win_rate: 0.22" in run_page


def test_run_page_footer_names_seed_replications_version_and_hash(run_page, results) -> None:
    result = results[0][0]
    footer = run_page[run_page.index("<footer>"):]
    assert f"seed {result.scenario.seed}" in footer
    assert "20 replications" in footer
    assert f"simrev {__version__}" in footer
    assert result.scenario_hash in footer and len(result.scenario_hash) == 64


def test_every_text_is_escaped(results) -> None:
    result = results[0][0]
    evil = "<script>alert('x')</script> & <b>bold</b>"
    scenario = result.scenario.model_copy(update={"description": evil})
    page = render_run(dataclasses.replace(result, scenario=scenario))
    assert "<script" not in page and "<b>bold" not in page
    assert html.escape(evil) in page


def test_compare_page_holds_the_paired_differences(compare_page, results) -> None:
    runs = results[0][:2]
    table = compare(runs)
    assert_self_contained(compare_page)
    assert_accessible_charts(compare_page)
    diffs = charts(compare_page, "diff-chart")
    assert len(diffs) == table.metric.nunique() == 7
    assert all(svg.count('class="interval"') == 1 and 'class="zero"' in svg for svg in diffs)
    assert not charts(compare_page, "sweep-chart")
    fans = charts(compare_page, "fan-chart")
    assert len(fans) == 2 and all(svg.count('class="band"') == 2 for svg in fans)
    assert len(charts(compare_page, "box-plot")) == 2
    assert compare_page.count('<pre class="assumptions">') == 2
    parser = Tables()
    parser.feed(compare_page)
    rows = {(a["data-scenario"], a["data-metric"]): cells
            for a, cells in parser.rows["compare"][1:]}
    assert len(rows) == len(table)
    row = table.query("scenario == 'hire5' and metric == 'bookings'").iloc[0]
    cells = rows[("hire5", "bookings")]
    assert cells[-1] == row.verdict
    diff = re.fullmatch(r"\+?(\S+) \((\S+) to (\S+)\)", cells[-3])
    assert diff, cells
    for text, number in zip(diff.groups(), (row.diff_mean, row.diff_ci_low, row.diff_ci_high),
                            strict=True):
        shown, half = parse_number(text)
        assert shown == pytest.approx(number, abs=half * 1.001)
    assert cells[-2] == f"{100 * row.share_beating_base:.0f}%"
    assert "incremental cost" in compare_page and 'class="increments"' in compare_page


def test_compare_page_opens_with_the_recommendation(results) -> None:
    from sim.recommend import recommend

    runs = results[0][:2]
    advice = recommend(runs)
    page = render_compare(runs, compare(runs), increments(runs), recommendation=advice)
    assert_self_contained(page)
    assert 'href="#recommendation"' in page
    assert page.index('id="recommendation"') < page.index('id="headline"')
    assert f'<p class="recommend">{html.escape(advice.sentence)}</p>' in page
    assert "ARR per extra dollar" in page and "best in" in page


def test_compare_page_with_a_sweep_draws_the_curve(sweep_page, results) -> None:
    runs, (key, values) = results
    assert_self_contained(sweep_page)
    curves = charts(sweep_page, "sweep-chart")
    assert len(curves) == 3
    for svg in curves:
        assert re.findall(r'class="x-tick"[^>]*>([^<]+)<', svg) == values
        assert key in svg and svg.count('class="band"') == 1
    # numeric values sit to scale on x: 18 at the left, 24 at the right
    xs = [float(x) for x in re.findall(r'<text class="x-tick" x="([\d.]+)"', curves[0])]
    assert xs[0] < xs[1]
    parser = Tables()
    parser.feed(sweep_page)
    sweep_rows = parser.rows["sweep"][1:]
    assert [cells[0] for _, cells in sweep_rows] == values
    assert [cells[1] for _, cells in sweep_rows] == [r.name for r in runs[-2:]]
    assert len(charts(sweep_page, "diff-chart")) == 7
    assert sweep_page.count('<pre class="assumptions">') == len(runs)


def test_an_identical_copy_shows_zero_differences(results) -> None:
    base = results[0][0]
    runs = [base, dataclasses.replace(base)]  # the same runs, as a copy of the scenario would
    page = render_compare(runs, compare(runs), increments(runs))
    assert_self_contained(page)
    parser = Tables()
    parser.feed(page)
    copies = [cells for a, cells in parser.rows["compare"][1:]
              if "base" not in a.get("class", "").split()]
    assert len(copies) == 7
    assert all(re.fullmatch(r"(\$0|0\.00) \((\$0|0\.00) to (\$0|0\.00)\)", c[-3]) for c in copies)


def test_nice_ticks_are_round_and_labels_distinct() -> None:
    assert nice_ticks(13.8e6, 26.9e6) == [1.0e7, 1.5e7, 2.0e7, 2.5e7, 3.0e7]
    assert nice_ticks(0, 0) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert tick_labels([1.0e6, 1.05e6, 1.1e6], "money") == ["$1.00M", "$1.05M", "$1.10M"]
    assert tick_labels([0, 2e6, 4e6], "money") == ["$0", "$2M", "$4M"]
    assert tick_labels([0, 5e5, 1e6, 1.5e6], "money") == ["$0", "$500k", "$1.0M", "$1.5M"]
    assert tick_labels([0, 500, 1000, 1500], "money") == ["$0", "$500", "$1,000", "$1,500"]
    assert tick_labels([0.2, 0.25], "share") == ["20%", "25%"]


# --- a real browser --------------------------------------------------------------------------

def png_pixels(path: Path) -> np.ndarray:
    """A screenshot as an array (height, width, 3), decoded by Pillow."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def chromium() -> str:
    """Debian's chromium (.ci/run installs it); the browser tests skip without it."""
    found = shutil.which("chromium")
    if not found:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return found


BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND"]  # offline: nothing can be fetched


def browse(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [chromium(), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
               page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    return done


def console_errors(stderr: str) -> list[str]:
    """Lines in which the page wrote to its console or threw."""
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "Console error" in line]


def test_the_console_check_sees_a_broken_page(tmp_path) -> None:
    """The check below is not vacuous: a page that throws is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom');"
                    "notAFunction();</script>", encoding="utf-8")
    done = browse(page, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    errors = console_errors(done.stderr)
    assert any("boom" in e for e in errors) and any("Uncaught" in e for e in errors)


@pytest.mark.parametrize("which", ["run", "sweep"])
def test_a_real_browser_renders_the_report(which, run_page, sweep_page, tmp_path) -> None:
    text = run_page if which == "run" else sweep_page
    page = tmp_path / "report.html"
    page.write_text(text, encoding="utf-8")
    dom = browse(page, tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert console_errors(dom.stderr) == []
    expected = ({"fan-chart": 5, "box-plot": 1} if which == "run" else
                {"fan-chart": 2, "diff-chart": 7, "sweep-chart": 3, "box-plot": 4})
    for cls, count in expected.items():  # the charts are in the DOM the browser built
        assert dom.stdout.count(f'<svg class="{cls}"') == count, cls
    shot = tmp_path / "shot.png"
    browse(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2000",
           "--hide-scrollbars")
    assert shot.exists() and shot.stat().st_size > 20_000
    pixels = png_pixels(shot)
    assert pixels.shape == (2000, 1200, 3)
    colors = np.unique(pixels.reshape(-1, 3)[::7], axis=0)
    assert len(colors) > 50  # text, bands, lines: not a blank page
    ink = (pixels.astype(int).sum(axis=2) < 600).mean()
    assert 0.005 < ink < 0.5
    r, g, b = (pixels[..., k].astype(int) for k in range(3))
    blue = ((b - r > 60) & (b > 120)).sum()  # the base's bands and P50 lines (#1f77b4)
    assert blue > 500, blue
    if which == "sweep":
        red = ((r - b > 80) & (r - g > 80)).sum()  # hire5's series and intervals (#d62728)
        assert red > 100, red
