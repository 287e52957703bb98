"""One self-contained HTML page per run or comparison: inline CSS and SVG, no scripts.

The page opens offline (nothing is fetched: no CDN, no fonts, no images by address) and
prints on paper. Every piece of text from a scenario or a result is escaped.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from sim import __version__
from sim.compare import in_words
from sim.hire_sweep import HireSweep, hire_curve, payback_lines
from sim.metric_registry import COMPARED, REGISTRY, label, unit
from sim.recommend import ARR_PER_EXTRA_DOLLAR, Recommendation, label_for
from sim.report.figures import (
    box_plot,
    color,
    diff_chart,
    fan_chart,
    finite,
    fmt,
    hire_chart,
    sweep_chart,
    tornado_chart,
)
from sim.results import RunResult
from sim.scenario import scenario_to_yaml
from sim.sensitivity import SHOWN_METRIC, draw_text, paired_sensitivity, run_sensitivity

# The fan charts by quarter: metric, title, what the value is.
FANS: tuple[tuple[str, str, str], ...] = (
    ("bookings", "Bookings per quarter", "sum over the quarter"),
    ("arr", "ARR at quarter end", "at the quarter's end"),
    ("heads_total", "Heads at quarter end", "all roles, at the quarter's end"),
    ("revenue_per_head", "GTM revenue per head (annualized)",
     "annualized revenue / average go-to-market heads"),
    ("opps_lost_to_capacity", "Opportunities lost to capacity",
     "self-sourced, not created: the seller was full (sum over the quarter)"),
)
SWEPT: tuple[str, ...] = ("revenue_per_head", "bookings", "arr")
# What drives the answer: tornado charts of a run, the metric of its table first; a
# comparison draws one per plan for the first of them, as a paired difference.
DRIVEN: tuple[str, ...] = (SHOWN_METRIC, "bookings", "cost_total")
DRIVERS_SHOWN = 10  # assumptions per tornado and table

STYLE = """
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;
margin:24px auto;padding:0 20px;color:#222;max-width:1180px;line-height:1.4;background:#fff}
h1{font-size:24px;margin-bottom:4px}
h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#555;font-size:13px}
nav{font-size:13px;margin:10px 0}
nav a{margin-right:14px;color:#1f5f99}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #d4d4d4;padding:4px 8px;text-align:right;vertical-align:top;
white-space:nowrap}
th{background:#f3f5f7;white-space:normal}
td.text,th.text{text-align:left}
td.group{white-space:normal;min-width:120px}
tr.base td{background:#fafafa}
tr.group-start td{border-top:2px solid #999}
.scroll{overflow-x:auto;max-width:100%}
.key{color:#888;font-size:11px;margin-left:6px}
td.group .key{margin-left:0}
.swatch{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}
.verdict{min-width:200px;max-width:340px;text-align:left;font-size:12px;white-space:normal}
.good{color:#1a7f37}
.bad{color:#b42318}
.charts{display:flex;flex-wrap:wrap;gap:14px}
.charts svg{border:1px solid #eee;max-width:100%;height:auto}
pre{background:#f6f6f6;padding:10px;font-size:12px;overflow:auto;max-height:460px}
details summary{cursor:pointer;font-weight:600;margin:8px 0}
.note{font-size:12px;color:#555}
.recommend{font-size:16px;background:#f3f8f3;border-left:4px solid #1a7f37;padding:10px 14px;
margin:14px 0}
footer{color:#666;font-size:12px;margin-top:36px;border-top:1px solid #ddd;padding-top:8px}
@media print{pre{max-height:none}.charts svg{border:none}nav{display:none}}
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


def value(metric: str, number: float | None) -> str:
    """A metric's value as the tables show it."""
    return fmt(number, unit(metric), 2 if unit(metric) == "money" else None)


def signed(metric: str, number: float | None) -> str:
    text = value(metric, number)
    return "+" + text if finite(number) and number > 0 else text


def _page(title: str, sections: list[str], footer: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"generator\" content=\"simrev " + _esc(__version__) + "\">"
            f"<title>{_esc(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(sections) + f"<footer>{footer}</footer></body></html>\n")


def _nav(items: list[tuple[str, str]]) -> str:
    return "<nav>" + "".join(f'<a href="#{a}">{_esc(t)}</a>' for a, t in items) + "</nav>"


def _table(header: list[str], rows: list[list[str]], cls: str, text_columns: int = 1,
           row_attrs: list[str] | None = None, escape: bool = True) -> str:
    """A table; the first `text_columns` columns are left-aligned text, the rest numbers."""
    def cell(tag: str, i: int, content: str) -> str:
        align = ' class="text"' if i < text_columns else ""
        return f"<{tag}{align}>{_esc(content) if escape else content}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join(
        f"<tr{row_attrs[n] if row_attrs else ''}>"
        + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>"
        for n, row in enumerate(rows))
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _swatch(index: int) -> str:
    return f'<span class="swatch" style="background:{color(index)}"></span>'


def _series(result: RunResult, metric: str) -> tuple[list[str], list[str], list, list, list]:
    frame = result.quarterly[result.quarterly.metric == metric]
    return (list(frame.period), list(frame.quarter_label), list(frame.p10), list(frame.p50),
            list(frame.p90))


def _cohort_order(cohort: str) -> tuple[int, int]:
    match = re.fullmatch(r"Q(\d+)", str(cohort))
    return (1, int(match.group(1))) if match else (0, 0)


def _cohort_label(starts: dict[str, object], cohort: str) -> str:
    """`starts`: each quarter's label by period (Q1, Q2, ...)."""
    if cohort == "today":
        return "today's team"
    start = starts.get(cohort)
    return f"hired {cohort}" + (f"\n{start}" if isinstance(start, str) else "")


def cohorts(result: RunResult) -> list[tuple[str, dict]]:
    """Annual bookings of sellers employed a full year, by hire cohort: the box plot data."""
    reps = result.reps
    full = reps[reps.months_employed >= 12.0 - 1e-9]
    quarters = result.quarterly.drop_duplicates("period")
    starts = dict(zip(quarters.period, quarters.quarter_label, strict=True))
    # one pass over the rows (each group keeps the rows' order), not one mask per cohort
    bookings = dict(tuple(full.groupby("cohort", sort=False)["annual_bookings"]))
    groups = []
    for cohort in sorted(bookings, key=_cohort_order):
        values = bookings[cohort].dropna().to_numpy(float)
        if len(values):
            q = pd.Series(values).quantile([0.1, 0.25, 0.5, 0.75, 0.9]).tolist()
        else:
            q = [math.nan] * 5
        groups.append((_cohort_label(starts, cohort),
                       {"p10": q[0], "p25": q[1], "median": q[2], "p75": q[3], "p90": q[4],
                        "sellers": len(values)}))
    return groups


def _rep_section(result: RunResult, index: int = 0, heading: str = "h3") -> str:
    dist = result.summary.get("rep_distribution", {})
    groups = cohorts(result)
    text = (f"<p>Annual bookings of sellers employed at least a full year of the horizon, "
            f"over all replications: median {_esc(fmt(dist.get('median')))}, 10% trimmed mean "
            f"{_esc(fmt(dist.get('trimmed_mean_10')))}, quartiles "
            f"{_esc(fmt(dist.get('p25')))}–{_esc(fmt(dist.get('p75')))} "
            f"({int(dist.get('sellers') or 0):,} seller-years). Medians, because a few whale "
            "deals distort means; cohorts hired too late to complete a year are absent.</p>")
    chart = box_plot(f"{result.name}: annual bookings per seller by hire cohort", groups,
                     subtitle="whiskers P10–P90, box quartiles, line median, n seller-years",
                     fill=color(index))
    rows = [[lab.replace("\n", " from "), f"{g['sellers']:,}",
             *(fmt(g[k]) for k in ("median", "p25", "p75", "p10", "p90"))] for lab, g in groups]
    table = _table(["cohort", "seller-years", "median", "P25", "P75", "P10", "P90"], rows,
                   "cohorts")
    return (f"<{heading}>{_esc(result.name)}</{heading}>" if heading else "") + text + \
        f'<div class="charts">{chart}</div>' + table


def _assumptions(result: RunResult, collapsed: bool = False) -> str:
    yaml = f'<pre class="assumptions">{_esc(scenario_to_yaml(result.scenario))}</pre>'
    title = f"{_esc(result.name)} <span class=\"key\">{_esc(result.scenario_hash[:12])}</span>"
    return f"<details{'' if collapsed else ' open'}><summary>{title}</summary>{yaml}</details>"


def _footer(results: list[RunResult]) -> str:
    first = results[0]
    lines = [f"simrev {_esc(__version__)} · seed {_esc(first.summary.get('seed'))} · "
             f"{int(first.summary.get('replications') or 0):,} replications · "
             f"{_esc(first.summary.get('quarters'))} quarters from "
             f"{_esc(first.summary.get('start'))}"]
    for r in results:
        lines.append(f"{_esc(r.name)}: seed {_esc(r.summary.get('seed'))}, "
                     f"{int(r.summary.get('replications') or 0):,} replications, "
                     f"scenario hash <code>{_esc(r.scenario_hash)}</code>")
    return "<br>".join(lines)


def _fans(results: list[RunResult], metrics: tuple[tuple[str, str, str], ...]) -> str:
    charts = []
    reps = int(results[0].summary.get("replications") or 0)
    for metric, title, what in metrics:
        series, labels, starts = [], [], []
        for result in results:
            labels, starts, p10, p50, p90 = _series(result, metric)
            series.append((result.name, p10, p50, p90))
        charts.append(fan_chart(title, labels, series, unit(metric), sublabels=starts,
                                subtitle=f"{what}; P50 line, P10–P90 band, {reps:,} replications",
                                y_label=label(metric)))
    return '<div class="charts">' + "".join(charts) + "</div>"


DRIVERS_NOTE = ("Each ranged assumption was drawn once per replication. Bars: the P50 of the "
                "outcome among the replications whose draw was in the lowest fifth (blue) and "
                "the highest fifth (orange), from the P50 over all replications (dashed). "
                "Swing: highest fifth minus lowest; noise: 2 × its bootstrap standard error — "
                "a swing smaller than that is not an effect the run can tell apart.")


def _drivers_table(part: pd.DataFrame, metric: str) -> str:
    """The top rows of a sensitivity frame for one metric, as a table."""
    rows = []
    for _, r in part.head(DRIVERS_SHOWN).iterrows():
        clear = finite(r.swing_se) and abs(r.swing) > 2 * r.swing_se
        rows.append([str(int(r["rank"])), r.label, f"≤ {draw_text(r.low_fifth_to)}",
                     f"≥ {draw_text(r.high_fifth_from)}", value(metric, r.low_p50),
                     value(metric, r.high_p50), signed(metric, r.swing),
                     "±" + value(metric, 2 * r.swing_se),
                     "yes" if clear else "no (within noise)"])
    return _table(["rank", "assumption", "lowest fifth drawn", "highest fifth drawn",
                   "P50, lowest fifth", "P50, highest fifth", "swing", "noise",
                   "clear of noise"], rows, "drivers", text_columns=2)


def _tornado(part: pd.DataFrame, title: str, centre: float, metric: str) -> str:
    rows = [(r.label, r.low_p50, r.high_p50, draw_text(r.low_fifth_to),
             draw_text(r.high_fifth_from)) for _, r in part.head(DRIVERS_SHOWN).iterrows()]
    return tornado_chart(title, rows, centre, unit(metric),
                         subtitle="P50 in the lowest and highest fifth of each assumption's "
                                  "draws")


def _drivers_run(result: RunResult, frame: pd.DataFrame) -> str:
    """A run's "What drives the answer" section: tornadoes and the first one's table."""
    charts, first = [], None
    for metric in DRIVEN:
        part = frame[frame.metric == metric]
        if part.empty:
            continue
        first = first or metric
        centre = float(result.totals[metric].median())
        charts.append(_tornado(part, f"What drives {in_words(metric)}", centre, metric))
    table = "" if first is None else (
        f"<h3>{_esc(label(first))}</h3>" + _drivers_table(frame[frame.metric == first], first))
    return ('<h2 id="drivers">What drives the answer</h2>'
            f'<p class="note">{_esc(DRIVERS_NOTE)} Every headline metric is in '
            "sensitivity.csv.</p>"
            '<div class="charts">' + "".join(charts) + "</div>" + table)


def _drivers_compare(results: list[RunResult], frame: pd.DataFrame) -> str:
    """A comparison's section: per plan, what decides its difference from the base."""
    base = results[0]
    metric = DRIVEN[0]
    charts, tables = [], []
    for plan in results[1:]:
        part = frame[(frame.scenario == plan.name) & (frame.metric == metric)]
        if part.empty:
            continue
        centre = float((plan.totals[metric] - base.totals[metric]).median())
        charts.append(_tornado(part, f"{plan.name}: what decides Δ {label(metric)}", centre,
                               metric))
        tables.append(f"<h3>{_esc(plan.name)}: Δ {_esc(label(metric))} vs "
                      f"{_esc(base.name)}</h3>" + _drivers_table(part, metric))
    return ('<h2 id="drivers">What decides whether a plan beats the base</h2>'
            f'<p class="note">The outcome is the paired difference plan − base, replication by '
            f"replication. {_esc(DRIVERS_NOTE)} Every compared metric is in "
            "sensitivity.csv.</p>"
            '<div class="charts">' + "".join(charts) + "</div>" + "".join(tables))


def render_run(result: RunResult, sensitivity: pd.DataFrame | None = None) -> str:
    """The report of one scenario's run: a complete HTML page.

    `sensitivity` is the run's `sim.sensitivity.run_sensitivity` frame (computed here when
    not given); a run with ranges gets a "What drives the answer" section.
    """
    s = result.scenario
    if sensitivity is None:
        sensitivity = run_sensitivity(result)
    summary = result.summary
    headline = summary["headline"]
    rows = [[f"{_esc(label(m))}<span class=\"key\">{_esc(m)}</span>",
             *(_esc(value(m, headline[m][k])) for k in ("mean", "p10", "p50", "p90"))]
            for m in headline]
    attrs = [f' data-metric="{_esc(m)}"' for m in headline]
    sections = [
        f"<header><h1>simrev report: {_esc(s.name)}</h1><p>{_esc(s.description)}</p>"
        f'<p class="meta">{int(summary.get("replications") or 0):,} replications · seed '
        f"{_esc(summary.get('seed'))} · {_esc(summary.get('quarters'))} quarters from "
        f"{_esc(summary.get('start'))} · simrev {_esc(__version__)}</p></header>",
        _nav([("headline", "Headline"),
              *([("drivers", "What drives the answer")] if sensitivity is not None else []),
              ("quarters", "By quarter"), ("reps", "Rep distribution"),
              ("assumptions", "Assumptions")]),
        '<h2 id="headline">Headline (whole horizon)</h2>',
        '<p class="note">Flows summed over the horizon, stocks at its end, ratios from those; '
        "P10/P50/P90 across replications.</p>",
        _table(["metric", "mean", "P10", "P50", "P90"], rows, "headline", row_attrs=attrs,
               escape=False),
        _drivers_run(result, sensitivity) if sensitivity is not None else "",
        '<h2 id="quarters">By quarter</h2>', _fans([result], FANS),
        '<h2 id="reps">Rep distribution by hire cohort</h2>', _rep_section(result, 0, ""),
        '<h2 id="assumptions">Assumptions (the resolved scenario)</h2>', _assumptions(result),
    ]
    return _page(f"simrev report: {s.name}", sections, _footer([result]))


def _base_rows(table: pd.DataFrame, base: RunResult) -> pd.Series:
    if "verdict" in table:
        return table["verdict"] == "base"
    return table["scenario"] == base.name


def _compare_table(results: list[RunResult], table: pd.DataFrame) -> str:
    index = {r.name: i for i, r in reversed(list(enumerate(results)))}
    is_base = _base_rows(table, results[0])
    rows, attrs = [], []
    for metric in dict.fromkeys(table.metric):
        part = table[table.metric == metric]
        higher = COMPARED.get(metric, True)
        for n, (i, r) in enumerate(part.iterrows()):
            base = bool(is_base.loc[i])
            k = unit(metric)
            scen = _swatch(index.get(r.scenario, 0)) + _esc(r.scenario)
            if base:
                diff, beats, verdict = "–", "–", "base"
                cls = ""
            else:
                diff = (f"{signed(metric, r.diff_mean)} ({value(metric, r.diff_ci_low)} to "
                        f"{value(metric, r.diff_ci_high)})")
                beats = (f"{100 * r.share_beating_base:.0f}%"
                         if finite(r.share_beating_base) else "–")
                verdict = str(r.verdict)
                good = (r.diff_ci_low > 0) if higher else (r.diff_ci_high < 0)
                bad = (r.diff_ci_high < 0) if higher else (r.diff_ci_low > 0)
                cls = " good" if good else " bad" if bad else ""
            metric_cell = (f'<td class="text group" rowspan="{len(part)}">'
                           f'{_esc(label(metric))}<br><span class="key">'
                           f'{"higher" if higher else "lower"} is better</span></td>'
                           ) if n == 0 else ""
            rows.append(
                metric_cell + f'<td class="text">{scen}</td>'
                f"<td>{_esc(fmt(r['mean'], k))}</td>"
                f"<td>{_esc(fmt(r.p10, k))} – {_esc(fmt(r.p90, k))}</td>"
                f"<td>{_esc(diff)}</td><td>{_esc(beats)}</td>"
                f'<td class="verdict{cls}">{_esc(verdict)}</td>')
            classes = " ".join(c for c in ("base" * base, "group-start" * (n == 0)) if c)
            attrs.append((f'class="{classes}" ' if classes else "")
                         + f'data-metric="{_esc(metric)}" data-scenario="{_esc(r.scenario)}"')
    head = "".join(f'<th class="text">{h}</th>' if h in ("metric", "scenario", "verdict")
                   else f"<th>{h}</th>" for h in
                   ("metric", "scenario", "mean", "P10 – P90", "difference vs base (95% CI)",
                    "share beating base", "verdict"))
    body = "".join(f"<tr {a}>{r}</tr>" for a, r in zip(attrs, rows, strict=True))
    return (f'<div class="scroll"><table class="compare"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _diff_charts(results: list[RunResult], table: pd.DataFrame) -> str:
    index = {r.name: i for i, r in reversed(list(enumerate(results)))}
    is_base = _base_rows(table, results[0])
    base = results[0].name
    charts = []
    for metric in dict.fromkeys(table.metric):
        part = table[(table.metric == metric) & ~is_base]
        rows = [(r.scenario, r.diff_mean, r.diff_ci_low, r.diff_ci_high)
                for _, r in part.iterrows()]
        colors = [color(index.get(r.scenario, 1)) for _, r in part.iterrows()]
        better = "higher" if COMPARED.get(metric, True) else "lower"
        charts.append(diff_chart(f"Δ {label(metric)} vs {base}", rows, unit(metric),
                                 subtitle=f"paired difference, 95% CI; {better} is better",
                                 colors=colors))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _sweep_section(results: list[RunResult], key: str, values: list[str]) -> str:
    values = [str(v) for v in values][: max(0, len(results) - 1)]
    variants = results[len(results) - len(values):]
    reps = int(results[0].summary.get("replications") or 0)
    charts = []
    for metric in SWEPT:
        stats = [v.summary["headline"].get(metric, {}) for v in variants]
        charts.append(sweep_chart(
            f"{label(metric)} by {key.rsplit('.', 1)[-1]}", key, values,
            [s.get("p10") for s in stats], [s.get("p50") for s in stats],
            [s.get("p90") for s in stats], unit(metric),
            subtitle=f"whole horizon; P50 line, P10–P90 band, {reps:,} replications"))
    numbers = []
    for v in values:
        try:
            numbers.append(float(v))
        except ValueError:
            numbers.append(math.nan)
    leaf = key.rsplit(".", 1)[-1]
    rows = []
    for k, (v, result) in enumerate(zip(values, variants, strict=True)):
        means = {m: float(result.totals[m].mean()) for m in ("bookings", "arr")}
        row = [v, result.name]
        row += [fmt(result.summary["headline"].get(m, {}).get("p50"), unit(m)) for m in SWEPT]
        for m in ("bookings", "arr"):
            step = numbers[k] - numbers[k - 1] if k else math.nan
            if k and finite(step) and step != 0:
                prev = float(variants[k - 1].totals[m].mean())
                row.append(signed(m, (means[m] - prev) / step))
            else:
                row.append("–")
        rows.append(row)
    table = _table([leaf, "scenario", *(f"{label(m)} P50" for m in SWEPT),
                    f"extra bookings per +1 {leaf}", f"extra ARR per +1 {leaf}"], rows,
                   "sweep", text_columns=2)
    return ('<h2 id="sweep">Sweep over ' + _esc(key) + "</h2>"
            '<p class="note">Each value ran as a variant of the base with the same random '
            "streams; the last two columns are the change in mean from the previous value per "
            "unit of it: when they shrink, returns diminish.</p>"
            '<div class="charts">' + "".join(charts) + "</div>" + table)


def _recommendation(results: list[RunResult], recommendation: Recommendation) -> str:
    """The sentence, then each plan's criterion, gain over the base and chance of being best."""
    index = {r.name: i for i, r in reversed(list(enumerate(results)))}
    objective = recommendation.objective
    gain_metric = "arr" if objective == ARR_PER_EXTRA_DOLLAR else objective
    value_unit = "ratio" if objective == ARR_PER_EXTRA_DOLLAR else unit(objective)
    rows = []
    for _, r in recommendation.ranking.iterrows():
        rows.append([_swatch(index.get(r.scenario, 1)) + _esc(r.scenario),
                     _esc(fmt(r.value, value_unit, 2 if value_unit == "money" else None)),
                     _esc(f"{signed(gain_metric, r.gain)} ({value(gain_metric, r.gain_ci_low)}"
                          f" to {value(gain_metric, r.gain_ci_high)})"),
                     _esc(signed("cost_total", r.extra_cost)),
                     "yes" if r.beats_base else "no",
                     _esc(fmt(r.p_best, "share", 0))])
    criterion = label_for(objective)
    gain = "ARR" if gain_metric == "arr" else label(gain_metric)
    if objective == ARR_PER_EXTRA_DOLLAR:
        how = ("the paired mean gain in ARR at the end over the paired mean extra total cost, "
               "which ranks plans at equal budget")
    else:
        how = f"{'higher' if REGISTRY[objective].higher_is_better else 'lower'} is better"
    return (f'<p class="recommend">{_esc(recommendation.sentence)}</p>'
            + _table(["plan", criterion, f"{gain} vs base (95% CI)", "extra cost",
                      "beats base", "best in"], rows, "recommendation", escape=False)
            + f'<p class="note">Criterion: {_esc(criterion)}, {how}. <i>Beats base</i>: the '
            "95% CI of the gain excludes 0 on the good side; <i>best in</i>: the share of "
            "replications in which the plan is the best of those that beat the base. Plans "
            "whose paired difference's 95% CI includes 0 are called a tie (see "
            "docs/model.md, Recommendation).</p>")


def _step_text(row: pd.Series) -> str:
    return (f"{signed('arr', row.step_net)} ({value('arr', row.step_net_ci_low)} to "
            f"{value('arr', row.step_net_ci_high)})" if finite(row.step_net) else "–")


def _hire_section(results: list[RunResult], hires: HireSweep) -> str:
    """The hire sweep: ARR, cost and ARR per extra dollar against the hires, the payback
    marker, and the sweep's table."""
    curve = hire_curve(results, hires)
    reps = int(results[0].summary.get("replications") or 0)
    role = hires.roles[0]
    groups = list(curve.groupby("curve", sort=False))
    markers = []
    for name, part in groups:
        for _, row in part[part.stops_paying_back].iterrows():
            markers.append((float(row.hires), f"{name}: the hires from "
                            f"{part.hires[part.hires < row.hires].max():g} to {row.hires:g} "
                            f"add less ARR by the horizon's end than they cost over it "
                            f"(marginal ARR − cost {_step_text(row)})"))
    charts = []
    for title, prefix, kind in (("ARR at the horizon's end", "arr", "money"),
                                ("Total cost over the horizon", "cost", "money"),
                                ("ARR per extra dollar", "ratio", "ratio")):
        lines = [(name, list(part.hires), list(part[f"{prefix}_p10"]),
                  list(part[f"{prefix}_p50"]), list(part[f"{prefix}_p90"]))
                 for name, part in groups]
        charts.append(hire_chart(f"{title} by {role} hired", lines, kind,
                                 x_label=f"{role} hired (requisitions opened)", markers=markers,
                                 subtitle=f"P50 line, P10–P90 band, {reps:,} replications"))
    rows = [[str(r.curve), f"{r.hires:g}", str(r.scenario),
             f"{fmt(r.arr_p50)} ({fmt(r.arr_p10)}–{fmt(r.arr_p90)})",
             f"{fmt(r.cost_p50)} ({fmt(r.cost_p10)}–{fmt(r.cost_p90)})",
             signed("arr", r.extra_arr), signed("cost_total", r.extra_cost),
             fmt(r.arr_per_extra_dollar, "ratio"), _step_text(r),
             "stops paying back" if r.stops_paying_back else ""]
            for _, r in curve.iterrows()]
    table = _table(["curve", f"{role} hired", "scenario", "ARR P50 (P10–P90)",
                    "cost P50 (P10–P90)", "extra ARR", "extra cost", "ARR per extra $",
                    "marginal ARR − cost vs previous (95% CI)", ""], rows, "hire-sweep",
                   text_columns=1)
    return ('<h2 id="hire-sweep">Hire sweep: ' + _esc(", ".join(hires.roles)) + "</h2>"
            '<p class="note">Each count is the base plus a <code>hiring</code> entry (requisitions '
            "filled after the time to hire, with hire cost, ramp, the managers they pull in and "
            "thinner territories on new seats), run with the base's random streams. Extra ARR "
            "and cost are paired means over the base; ARR per extra dollar is their ratio, its "
            "band the P10–P90 of the per-replication ratio. The dashed line marks the first "
            "step whose marginal ARR − cost (the extra ARR at the horizon's end from those "
            "hires minus their extra cost over it, paired by replication) is below zero: "
            "where the marginal hires stop paying back within the horizon.</p>"
            + "".join(f'<p class="payback">{_esc(line)}</p>'
                      for line in payback_lines(curve, role))
            + '<div class="charts">' + "".join(charts) + "</div>" + table)


def render_compare(results: list[RunResult], table: pd.DataFrame, increments: pd.DataFrame,
                   sweep: tuple[str, list[str]] | None = None,
                   sensitivity: pd.DataFrame | None = None,
                   recommendation: Recommendation | None = None,
                   hires: HireSweep | None = None) -> str:
    """The report of a paired comparison (the first result is the base): a complete page.

    `table` and `increments` come from `sim.compare.compare` / `increments`; `sweep` is
    (key path, values) when the last len(values) results are variants of the base;
    `sensitivity` is `sim.sensitivity.paired_sensitivity`'s frame (computed here when not
    given): with ranges, a section says what decides each plan's difference.
    `recommendation` (from `sim.recommend.recommend`) opens the page when given.
    `hires` is the hire sweep whose variants are the last results.
    """
    if sensitivity is None:
        sensitivity = paired_sensitivity(results)
    base = results[0]
    summary = base.summary
    names = ", ".join(r.name for r in results)
    inc_rows = [[_swatch(i + 1) + _esc(r.scenario), _esc(signed("cost_total",
                                                                r.incremental_cost)),
                 _esc(signed("arr", r.incremental_arr)),
                 _esc(fmt(r.arr_per_extra_dollar, "ratio"))]
                for i, (_, r) in enumerate(increments.iterrows())]
    nav = [("recommendation", "Recommendation")] if recommendation is not None else []
    nav += [("headline", "Comparison"), ("differences", "Paired differences"),
            ("increments", "Increments")]
    if sensitivity is not None:
        nav.append(("drivers", "What decides"))
    nav.append(("quarters", "By quarter"))
    if sweep is not None:
        nav.append(("sweep", "Sweep"))
    if hires is not None:
        nav.append(("hire-sweep", "Hire sweep"))
    nav += [("reps", "Rep distribution"), ("assumptions", "Assumptions")]
    sections = [
        f"<header><h1>simrev compare: {_esc(names)}</h1>"
        f"<p>Every plan ran with the base's seed and replications (common random numbers), "
        f"so replication r of each plan saw the same random draws; differences are taken "
        f"replication by replication against <b>{_esc(base.name)}</b>.</p>"
        f'<p class="meta">{int(summary.get("replications") or 0):,} replications · seed '
        f"{_esc(summary.get('seed'))} · simrev {_esc(__version__)}</p></header>",
        _nav(nav),
        *(['<h2 id="recommendation">Recommendation</h2>',
           _recommendation(results, recommendation)] if recommendation is not None else []),
        '<h2 id="headline">Headline comparison (whole horizon)</h2>',
        _compare_table(results, table),
        '<h2 id="differences">Paired differences from the base</h2>',
        '<p class="note">Dot: mean of the per-replication differences; bar: its 95% '
        "confidence interval. A bar clear of the dashed zero line is a difference the "
        "simulation can tell apart from noise.</p>",
        _diff_charts(results, table),
        '<h2 id="increments">What the extra money buys</h2>',
        _table(["scenario", "incremental cost", "incremental ARR", "ARR per extra $"], inc_rows,
               "increments", escape=False),
        _drivers_compare(results, sensitivity) if sensitivity is not None else "",
        '<h2 id="quarters">By quarter</h2>', _fans(results, FANS[:2]),
    ]
    if sweep is not None:
        sections.append(_sweep_section(results, sweep[0], list(sweep[1])))
    if hires is not None:
        sections.append(_hire_section(results, hires))
    sections.append('<h2 id="reps">Rep distribution by hire cohort</h2>')
    sections += [_rep_section(r, i) for i, r in enumerate(results)]
    sections.append('<h2 id="assumptions">Assumptions (the resolved scenarios)</h2>')
    if len(results) > 1:
        sections.append('<p class="note">The base is open; click a plan to read its '
                        "scenario.</p>")
    sections += [_assumptions(r, collapsed=i > 0) for i, r in enumerate(results)]
    return _page(f"simrev compare: {names}", sections, _footer(results))
