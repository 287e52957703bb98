"""The backtest report: per origin, the forecast fan against the actuals and the baselines.

One self-contained HTML page (inline CSS and SVG, no scripts), in the style of the run report.
"""

from __future__ import annotations

import math

import pandas as pd

from sim import __version__
from sim.report.figures import (
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    _band,
    _esc,
    _legend,
    _scale,
    _svg,
    _y_axis,
    color,
    finite,
    fmt,
    nice_ticks,
)
from sim.report.page import _page, _table

BASELINE_STYLE = {"run_rate": ("#ff7f0e", "6 3"), "capacity": ("#9467bd", "2 3"),
                  "pipeline": ("#2ca02c", "8 3 2 3")}
ACTUAL = "#111"


def backtest_chart(part: pd.DataFrame) -> str:
    """One origin: the model's P10-P90 band and P50 by quarter, the actuals as black dots
    and each baseline as a dashed line."""
    labels = list(part["quarter"])
    series = ("model", list(part["p10"]), list(part["p50"]), list(part["p90"]))
    values = [v for col in ("p10", "p50", "p90", "actual", *BASELINE_STYLE)
              for v in part[col] if finite(v)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if lo >= 0 and lo < 0.35 * hi:
        lo = 0.0
    ticks = nice_ticks(lo, hi)
    plot_h = 190
    x0, x1 = LEFT + 24, WIDTH - RIGHT - 24
    step = (x1 - x0) / max(1, len(labels) - 1)
    xs = [x0 + step * i if len(labels) > 1 else (x0 + x1) / 2 for i in range(len(labels))]
    y = _scale(ticks[0], ticks[-1], TOP + 10 + plot_h, TOP + 10)
    base = TOP + 10 + plot_h
    body = _y_axis(ticks, y, "money", LEFT, WIDTH - RIGHT, "bookings per quarter")
    for i, label in enumerate(labels):
        body.append(f'<text class="x-tick" x="{xs[i]:.1f}" y="{base + 15}" '
                    f'text-anchor="middle" font-size="11">{_esc(label)}</text>')
    body += _band(series, xs, y, color(0), labels, "money")
    for name, (c, dash) in BASELINE_STYLE.items():
        pts = [(xs[i], v) for i, v in enumerate(part[name]) if finite(v)]
        if pts:
            line = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in pts)
            body.append(f'<polyline class="baseline" data-name="{name}" points="{line}" '
                        f'fill="none" stroke="{c}" stroke-width="1.6" stroke-dasharray="{dash}"'
                        f'><title>{_esc(name)}</title></polyline>')
    for i, v in enumerate(part["actual"]):
        if finite(v):
            tip = f"actual, {labels[i]}: {fmt(v)}"
            body.append(f'<circle class="actual" cx="{xs[i]:.1f}" cy="{y(v):.1f}" r="4.5" '
                        f'fill="{ACTUAL}"><title>{_esc(tip)}</title></circle>')
    names = ["model P10–P90, P50", "actual", *BASELINE_STYLE]
    colors = [color(0), ACTUAL, *(c for c, _ in BASELINE_STYLE.values())]
    legend, used = _legend(names, base + 36, WIDTH, colors)
    origin = part["as_of"].iloc[0]
    return _svg("backtest-chart", f"Fitted at {origin}: forecast vs actual", body + legend,
                WIDTH, base + 40 + used, "bookings per quarter")


def _money(v: float) -> str:
    return fmt(v, "money", 2) if finite(v) else "–"


def _pct(v: float) -> str:
    return f"{100 * v:+.1f}%" if finite(v) else "–"


def render_backtest(table: pd.DataFrame, summary: pd.DataFrame, title: str,
                    notes: list[str], seed: int, replications: int) -> str:
    """The page: summary (MAPE, coverage, mean score per method), one chart per origin and
    the per-quarter table."""
    rows = []
    for _, r in summary[summary["horizon"] == "all"].iterrows():
        rows.append([r["method"], str(r["forecasts"]),
                     f"{100 * r['mape']:.1f}%" if finite(r["mape"]) else "–",
                     _money(r["mae"]), _money(r["score"]),
                     f"{100 * r['coverage']:.0f}%" if finite(r["coverage"]) else ""])
    head = ["method", "forecasts", "MAPE", "mean abs. error", "mean CRPS", "inside P10–P90"]
    summary_html = _table(head, rows, "summary")
    charts = "".join(backtest_chart(part) for _, part in table.groupby("as_of", sort=True))
    detail = []
    for _, r in table.iterrows():
        detail.append([r["as_of"], r["quarter"], _money(r["actual"]), _money(r["p10"]),
                       _money(r["p50"]), _money(r["p90"]), _pct(r["error_pct"]),
                       "yes" if r["inside"] else "no", _money(r["score"]),
                       _money(r["run_rate"]), _money(r["capacity"]), _money(r["pipeline"])])
    detail_head = ["fitted at", "quarter", "actual", "P10", "P50", "P90", "P50 error",
                   "inside", "CRPS", "run_rate", "capacity", "pipeline"]
    notes_html = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    coverage = table["inside"].mean() if len(table) else math.nan
    sections = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">{len(table)} forecast quarter(s) from '
        f'{table["as_of"].nunique()} origin(s); actual inside P10–P90 in '
        f'{100 * coverage:.0f}% of them.</p>',
        "<h2>Summary</h2>", summary_html,
        '<p class="note">MAPE: mean |forecast − actual| / actual (the model\'s forecast is its '
        "P50). CRPS: the continuous ranked probability score of the simulated law (a point "
        "forecast's is its absolute error); lower is better.</p>",
        "<h2>Forecast against actuals</h2>", f'<div class="charts">{charts}</div>',
        "<h2>By quarter</h2>", '<div class="scroll">'
        + _table(detail_head, detail, "detail", text_columns=2) + "</div>",
        f"<h2>Notes</h2><ul class=\"note\">{notes_html}</ul>",
    ]
    footer = (f"simrev {_esc(__version__)} · seed {seed} · {replications:,} replications "
              "per origin")
    return _page(title, sections, footer)
