"""One self-contained HTML page per run or comparison (inline SVG and CSS only)."""

from __future__ import annotations

import html
import math

import pandas as pd

from sim import __version__
from sim.compare import COMPARED
from sim.report.figures import box_plot, diff_chart, fan_chart, money, plain, sweep_chart
from sim.results import RunResult
from sim.scenario import scenario_to_yaml

FANS = (("bookings", "Bookings per quarter", money), ("arr", "ARR at quarter end", money),
        ("heads_total", "Heads at quarter end", plain),
        ("revenue_per_head", "Revenue per head (annualized)", money))
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;
color:#222;max-width:1200px}h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;
padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}pre{background:#f6f6f6;padding:10px;
font-size:12px;overflow:auto;max-height:420px}footer{color:#666;font-size:12px;margin-top:30px}
"""
LABELS = {"revenue_per_head": "revenue per head", "bookings": "bookings",
          "arr": "ARR at end", "cost_total": "total cost",
          "bookings_per_seller": "bookings per seller",
          "sales_expense_ratio": "sales expense ratio", "magic_number": "magic number"}


def _fmt(metric: str, value: float) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if metric in ("win_rate", "new_logo_share"):
        return f"{100 * value:.1f}%"
    if metric in ("sales_expense_ratio", "magic_number"):
        return f"{value:.2f}"
    if metric.startswith(("heads", "sellers", "customers", "opps")):
        return f"{value:,.1f}"
    return money(value)


def _page(title: str, sections: list[str], footer: str) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(sections) + f"<footer>{footer}</footer></body></html>\n")


def _table(header: list[str], rows: list[list[str]], cls: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _series(result: RunResult, metric: str) -> tuple[list[str], list, list, list]:
    frame = result.quarterly[result.quarterly.metric == metric]
    return (list(frame.period), list(frame.p10), list(frame.p50), list(frame.p90))


def _cohorts(result: RunResult) -> list[tuple[str, dict]]:
    reps = result.reps
    full = reps[reps.months_employed >= 12.0 - 1e-9]
    groups = []
    for cohort, group in full.groupby("cohort", sort=True):
        values = group.annual_bookings.dropna()
        q = (values.quantile([0.1, 0.25, 0.5, 0.75, 0.9]).tolist() if len(values)
             else [math.nan] * 5)
        label = "today's team" if cohort == "today" else f"hired {cohort}"
        groups.append((label, {"p10": q[0], "p25": q[1], "median": q[2], "p75": q[3],
                               "p90": q[4], "sellers": len(values)}))
    return groups


def _footer(results: list[RunResult]) -> str:
    first = results[0].summary
    hashes = ", ".join(f"{r.name} {r.scenario_hash[:12]}" for r in results)
    return html.escape(f"simrev {__version__} · seed {first['seed']} · "
                       f"{first['replications']:,} replications · scenario hashes: {hashes}")


def _assumptions(result: RunResult) -> str:
    return (f"<h3>{html.escape(result.name)}</h3>"
            f"<pre>{html.escape(scenario_to_yaml(result.scenario))}</pre>")


def render_run(result: RunResult) -> str:
    """The report of one scenario's run."""
    s = result.scenario
    headline = result.summary["headline"]
    rows = [[name, *(_fmt(name, headline[name][k]) for k in ("mean", "p10", "p50", "p90"))]
            for name in headline]
    charts = []
    for metric, title, fmt in FANS:
        labels, p10, p50, p90 = _series(result, metric)
        charts.append(fan_chart(title, labels, [(s.name, p10, p50, p90)], fmt))
    dist = result.summary["rep_distribution"]
    sections = [
        f"<h1>simrev: {html.escape(s.name)}</h1><p>{html.escape(s.description)}</p>",
        "<h2>Headline (whole horizon)</h2>",
        _table(["metric", "mean", "P10", "P50", "P90"], rows, "headline"),
        "<h2>By quarter: median with the P10–P90 band</h2>",
        '<div class="charts">' + "".join(charts) + "</div>",
        "<h2>Rep distribution</h2>",
        f"<p>Annual bookings of sellers employed a full year: median {money(dist['median'])}, "
        f"10% trimmed mean {money(dist['trimmed_mean_10'])}, quartiles "
        f"{money(dist['p25'])}–{money(dist['p75'])} ({dist['sellers']:,} seller-years).</p>",
        box_plot("Annual bookings per seller by hire cohort (P10, quartiles, median, P90)",
                 _cohorts(result)),
        "<h2>Assumptions</h2>", _assumptions(result),
    ]
    return _page(f"simrev: {s.name}", sections, _footer([result]))


def render_compare(results: list[RunResult], table: pd.DataFrame, increments: pd.DataFrame,
                   sweep: tuple[str, list[str]] | None = None) -> str:
    """The report of a paired comparison (the first result is the base)."""
    base = results[0]
    rows = []
    for _, r in table.iterrows():
        is_base = r.scenario == base.name
        diff = "–" if is_base else (
            f"{_fmt(r.metric, r.diff_mean)} ({_fmt(r.metric, r.diff_ci_low)} to "
            f"{_fmt(r.metric, r.diff_ci_high)})")
        beats = "–" if is_base else f"{100 * r.share_beating_base:.0f}%"
        rows.append([LABELS.get(r.metric, r.metric), r.scenario, _fmt(r.metric, r["mean"]),
                     f"{_fmt(r.metric, r.p10)} – {_fmt(r.metric, r.p90)}", diff, beats,
                     "" if is_base else r.verdict])
    diffs = []
    for metric in COMPARED:
        part = table[(table.metric == metric) & (table.scenario != base.name)]
        data = [(r.scenario, r.diff_mean, r.diff_ci_low, r.diff_ci_high)
                for _, r in part.iterrows()]
        fmt = (lambda v: f"{v:.2f}") if metric in ("sales_expense_ratio", "magic_number") \
            else money
        diffs.append(diff_chart(f"Δ {LABELS[metric]} vs {base.name} (95% CI)", data, fmt))
    fans = []
    for metric, title, fmt in FANS[:2]:
        series = []
        labels: list[str] = []
        for result in results:
            labels, p10, p50, p90 = _series(result, metric)
            series.append((result.name, p10, p50, p90))
        fans.append(fan_chart(title, labels, series, fmt))
    sections = [
        f"<h1>simrev compare: {html.escape(', '.join(r.name for r in results))}</h1>",
        f"<p>Every plan ran with the base's seed and replications (common random numbers); "
        f"differences are paired, replication by replication, against "
        f"<b>{html.escape(base.name)}</b>.</p>",
        "<h2>Headline comparison (whole horizon)</h2>",
        _table(["metric", "scenario", "mean", "P10 – P90", "difference vs base (95% CI)",
                "beats base", "verdict"], rows, "compare"),
        "<h2>Paired differences</h2>", '<div class="charts">' + "".join(diffs) + "</div>",
        "<h2>What the extra money buys</h2>",
        _table(["scenario", "incremental cost", "incremental ARR", "ARR per extra $"],
               [[r.scenario, money(r.incremental_cost), money(r.incremental_arr),
                 plain(r.arr_per_extra_dollar)] for _, r in increments.iterrows()],
               "increments"),
        "<h2>By quarter</h2>", '<div class="charts">' + "".join(fans) + "</div>",
    ]
    if sweep is not None:
        key, values = sweep
        variants = results[len(results) - len(values):]
        charts = []
        for metric, title in (("revenue_per_head", "Revenue per head"),
                              ("bookings", "Bookings, whole horizon"), ("arr", "ARR at end")):
            stats = [v.summary["headline"][metric] for v in variants]
            charts.append(sweep_chart(f"{title} by {key}", key, values,
                                      [s["p10"] for s in stats], [s["p50"] for s in stats],
                                      [s["p90"] for s in stats]))
        sections += [f"<h2>Sweep over {html.escape(key)}</h2>",
                     '<div class="charts">' + "".join(charts) + "</div>"]
    sections.append("<h2>Rep distribution by hire cohort</h2>")
    sections.append('<div class="charts">' + "".join(
        box_plot(f"{r.name}: annual bookings per seller", _cohorts(r)) for r in results)
        + "</div>")
    sections.append("<h2>Assumptions</h2>")
    sections += [_assumptions(r) for r in results]
    return _page("simrev compare", sections, _footer(results))
