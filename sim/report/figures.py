"""Figures as plain inline SVG: data in, an `<svg>` string out (no scripts, no CDN).

Every figure is an `<svg class="..." role="img" aria-label="...">` with a `<title>`, so a
screen reader and a test can find it; points carry `<title>` tooltips, which browsers show
on hover without any JavaScript. Values are formatted by kind: ``money`` ($1.2M),
``count`` (34.5), ``ratio`` (0.32) or ``share`` (22.1%).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence

from sim.metric_registry import fmt as format_value

WIDTH = 560
LEFT, RIGHT, TOP = 74, 18, 34
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
          "#e377c2", "#7f7f7f", "#bcbd22")
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"'

Series = tuple[str, Sequence[float], Sequence[float], Sequence[float]]  # name, p10, p50, p90


def color(index: int) -> str:
    """The colour of the index-th scenario (0 is the base), the same in every figure."""
    return COLORS[index % len(COLORS)]


def finite(value: float | None) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def fmt(value: float | None, kind: str = "money", digits: int | None = None) -> str:
    """A value for a chart: as in tables, but money to one decimal of millions ($1.2M)."""
    return format_value(value, kind, 1 if digits is None and kind == "money" else digits)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (finite(lo) and finite(hi)):
        lo, hi = 0.0, 1.0
    if hi <= lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    start = math.floor(lo / step + 1e-9) * step
    stop = math.ceil(hi / step - 1e-9) * step
    n = int(round((stop - start) / step))
    return [round(start + i * step, 12) for i in range(n + 1)]


def _read(text: str) -> float | None:
    """The number a label shows: '$1.5M' -> 1.5e6, '22%' -> 0.22, '1,200' -> 1200."""
    match = re.fullmatch(r"(-?)\$?([\d,]*\.?\d+)([Mk%]?)", text)
    if not match:
        return None
    sign, digits, unit = match.groups()
    scale = {"M": 1e6, "k": 1e3, "%": 0.01, "": 1.0}[unit]
    return (-1 if sign else 1) * float(digits.replace(",", "")) * scale


def tick_labels(ticks: Sequence[float], kind: str) -> list[str]:
    """Labels with the fewest digits that show every tick exactly."""
    def exact(labels: list[str]) -> bool:
        shown = [_read(text) for text in labels]
        return all(v is not None and abs(v - t) <= 1e-9 * max(1.0, abs(t))
                   for v, t in zip(shown, ticks, strict=True))

    for digits in range(4):
        labels = [fmt(t, kind, digits) for t in ticks]
        if exact(labels):
            return labels
    if kind == "money":
        return [f"{'-' if t < 0 else ''}${abs(t):,.0f}" for t in ticks]
    return [f"{t:,.6g}" for t in ticks]


def _scale(lo: float, hi: float, a: float, b: float) -> Callable[[float], float]:
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    return lambda v: a + (v - lo) / (hi - lo) * (b - a)


def _esc(text: object) -> str:
    return html.escape(str(text))


def _svg(kind: str, title: str, body: list[str], width: float, height: float,
         subtitle: str = "") -> str:
    t = _esc(title)
    sub = (f'<text x="{width / 2:.0f}" y="{TOP - 6}" text-anchor="middle" font-size="11" '
           f'fill="#555">{_esc(subtitle)}</text>') if subtitle else ""
    return (f'<svg class="{kind}" role="img" aria-label="{t}" viewBox="0 0 {width:.0f} '
            f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg" {FONT}>'
            f'<title>{t}</title><rect width="100%" height="100%" fill="#fff"/>'
            f'<text x="{width / 2:.0f}" y="{TOP - 20 if subtitle else TOP - 12}" '
            f'text-anchor="middle" font-size="14" font-weight="bold">{t}</text>{sub}'
            + "".join(body) + "</svg>")


def _y_axis(ticks: Sequence[float], y: Callable[[float], float], kind: str, x0: float,
            x1: float, label: str = "") -> list[str]:
    out = []
    for tick, text in zip(ticks, tick_labels(ticks, kind), strict=True):
        out.append(f'<line class="grid" x1="{x0:.1f}" x2="{x1:.1f}" y1="{y(tick):.1f}" '
                   f'y2="{y(tick):.1f}" stroke="{"#999" if tick == 0 else "#e3e3e3"}"/>')
        out.append(f'<text x="{x0 - 6:.1f}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{_esc(text)}</text>')
    if label:
        mid = (y(ticks[0]) + y(ticks[-1])) / 2
        out.append(f'<text transform="translate(14 {mid:.1f}) rotate(-90)" '
                   f'text-anchor="middle" font-size="11" fill="#555">{_esc(label)}</text>')
    return out


def _legend(names: Sequence[str], y0: float, width: float,
            colors: Sequence[str] | None = None) -> tuple[list[str], float]:
    """Swatches and names in rows below a plot; returns the parts and the height used."""
    out, x, y = [], LEFT, y0
    for k, name in enumerate(names):
        w = 26 + 6.6 * len(name)
        if x + w > width - RIGHT and x > LEFT:
            x, y = LEFT, y + 16
        c = colors[k] if colors else color(k)
        out.append(f'<g class="legend-item"><rect x="{x:.1f}" y="{y - 9:.1f}" width="14" '
                   f'height="10" fill="{c}" fill-opacity="0.35" stroke="{c}"/>'
                   f'<text x="{x + 18:.1f}" y="{y:.1f}" font-size="11">{_esc(name)}</text></g>')
        x += w + 10
    return out, (y - y0 + 18) if names else 0


def _band(series: Series, xs: Sequence[float], y: Callable[[float], float], c: str,
          labels: Sequence[str], kind: str) -> list[str]:
    name, p10, p50, p90 = series
    points = [i for i in range(len(xs)) if all(finite(v[i]) for v in (p10, p50, p90))]
    if not points:
        return []
    upper = " ".join(f"{xs[i]:.1f},{y(p90[i]):.1f}" for i in points)
    lower = " ".join(f"{xs[i]:.1f},{y(p10[i]):.1f}" for i in reversed(points))
    line = " ".join(f"{xs[i]:.1f},{y(p50[i]):.1f}" for i in points)
    out = [f'<g class="series" data-name="{_esc(name)}">',
           f'<polygon class="band" points="{upper} {lower}" fill="{c}" fill-opacity="0.16" '
           f'stroke="{c}" stroke-opacity="0.35" stroke-width="0.8"/>',
           f'<polyline class="median" points="{line}" fill="none" stroke="{c}" '
           'stroke-width="2.2"/>']
    for i in points:
        tip = (f"{name}, {labels[i]}: P50 {fmt(p50[i], kind)} "
               f"(P10 {fmt(p10[i], kind)} – P90 {fmt(p90[i], kind)})")
        out.append(f'<circle cx="{xs[i]:.1f}" cy="{y(p50[i]):.1f}" r="3" fill="{c}">'
                   f'<title>{_esc(tip)}</title></circle>')
    out.append("</g>")
    return out


def _y_range(series: Sequence[Series], zero: bool) -> tuple[float, float]:
    values = [v for _, p10, p50, p90 in series for v in (*p10, *p50, *p90) if finite(v)]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    if zero and lo >= 0 and lo < 0.35 * hi:
        lo = 0.0  # close enough to zero: show it, so the eye reads proportions right
    return lo, hi


def fan_chart(title: str, labels: Sequence[str], series: Sequence[Series],
              kind: str = "money", sublabels: Sequence[str] = (), subtitle: str = "",
              y_label: str = "", colors: Sequence[str] | None = None) -> str:
    """Per period (x), the P10–P90 band and the P50 line of each series."""
    plot_h = 190
    lo, hi = _y_range(series, zero=True)
    ticks = nice_ticks(lo, hi)
    x0, x1 = LEFT + 12, WIDTH - RIGHT - 12
    step = (x1 - x0) / max(1, len(labels) - 1)
    xs = [x0 + step * i if len(labels) > 1 else (x0 + x1) / 2 for i in range(len(labels))]
    y = _scale(ticks[0], ticks[-1], TOP + 10 + plot_h, TOP + 10)
    base = TOP + 10 + plot_h
    body = _y_axis(ticks, y, kind, LEFT, WIDTH - RIGHT, y_label)
    every = max(1, math.ceil(len(labels) / 12))
    for i, label in enumerate(labels):
        if i % every:
            continue
        body.append(f'<text class="x-tick" x="{xs[i]:.1f}" y="{base + 15}" '
                    f'text-anchor="middle" font-size="11">{_esc(label)}</text>')
        if i < len(sublabels):
            body.append(f'<text x="{xs[i]:.1f}" y="{base + 28}" text-anchor="middle" '
                        f'font-size="9" fill="#666">{_esc(sublabels[i])}</text>')
    for k, s in enumerate(series):
        c = colors[k] if colors else color(k)
        body += _band(s, xs, y, c, labels, kind)
    height = base + 36
    legend, used = ([], 0.0)
    if len(series) > 1:
        legend, used = _legend([s[0] for s in series], height + 4, WIDTH, colors)
    body += legend
    return _svg("fan-chart", title, body, WIDTH, height + used + 4, subtitle)


def box_plot(title: str, groups: Sequence[tuple[str, dict]], kind: str = "money",
             subtitle: str = "", fill: str = COLORS[0]) -> str:
    """One box per group: whiskers at P10/P90, box at the quartiles, median line, count.

    Each group is (label, {'p10', 'p25', 'median', 'p75', 'p90', 'sellers'}).
    """
    plot_h = 180
    values = [g[k] for _, g in groups for k in ("p10", "p90") if finite(g.get(k))]
    lo, hi = (min(0.0, min(values)), max(values)) if values else (0.0, 1.0)
    ticks = nice_ticks(lo, hi)
    width = max(WIDTH, 96 * len(groups) + LEFT + RIGHT)
    y = _scale(ticks[0], ticks[-1], TOP + 10 + plot_h, TOP + 10)
    base = TOP + 10 + plot_h
    body = _y_axis(ticks, y, kind, LEFT, width - RIGHT, "annual bookings")
    step = (width - LEFT - RIGHT) / max(1, len(groups))
    for i, (label, g) in enumerate(groups):
        cx = LEFT + step * (i + 0.5)
        half = min(28, step / 3)
        n = int(g.get("sellers") or 0)
        lines = str(label).split("\n")
        for j, line in enumerate(lines):
            look = 'font-size="11"' if j == 0 else 'font-size="9" fill="#666"'
            body.append(f'<text class="x-tick" x="{cx:.1f}" y="{base + 15 + 12 * j}" '
                        f'text-anchor="middle" {look}>{_esc(line)}</text>')
        body.append(f'<text class="count" x="{cx:.1f}" y="{base + 17 + 12 * len(lines)}" '
                    f'text-anchor="middle" font-size="10" fill="#555">n={n:,}</text>')
        keys = ("p10", "p25", "median", "p75", "p90")
        if not all(finite(g.get(k)) for k in keys):
            body.append(f'<text x="{cx:.1f}" y="{base - 8}" text-anchor="middle" '
                        'font-size="10" fill="#888">no full-year sellers</text>')
            continue
        tip = (f"{' '.join(lines)}: median {fmt(g['median'], kind)}, quartiles "
               f"{fmt(g['p25'], kind)}–"
               f"{fmt(g['p75'], kind)}, P10 {fmt(g['p10'], kind)}, P90 {fmt(g['p90'], kind)}, "
               f"{n:,} seller-years")
        top, bottom = y(g["p75"]), y(g["p25"])
        body.append(
            f'<g class="box-group"><title>{_esc(tip)}</title>'
            f'<line class="whisker" x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(g["p90"]):.1f}" '
            f'y2="{y(g["p10"]):.1f}" stroke="#555"/>'
            + "".join(f'<line x1="{cx - half / 2:.1f}" x2="{cx + half / 2:.1f}" y1="{y(g[k]):.1f}"'
                      f' y2="{y(g[k]):.1f}" stroke="#555"/>' for k in ("p10", "p90"))
            + f'<rect class="box" x="{cx - half:.1f}" y="{top:.1f}" width="{2 * half:.1f}" '
            f'height="{max(1.0, bottom - top):.1f}" fill="{fill}" fill-opacity="0.3" '
            f'stroke="{fill}"/>'
            f'<line class="box-median" x1="{cx - half:.1f}" x2="{cx + half:.1f}" '
            f'y1="{y(g["median"]):.1f}" y2="{y(g["median"]):.1f}" stroke="#000" '
            'stroke-width="2.2"/></g>')
    extra = 12 * max((len(str(lab).split("\n")) for lab, _ in groups), default=1)
    return _svg("box-plot", title, body, width, base + 26 + extra, subtitle)


def diff_chart(title: str, rows: Sequence[tuple[str, float, float, float]],
               kind: str = "money", subtitle: str = "",
               colors: Sequence[str] | None = None) -> str:
    """Paired differences (scenario, diff, ci_low, ci_high) as interval bars around 0."""
    longest = max((len(r[0]) for r in rows), default=4)
    label_w = min(190, max(60, 6.4 * longest + 10))
    names = [r[0] if len(r[0]) * 6.4 + 10 <= label_w else r[0][:27] + "…" for r in rows]
    x0, x1 = LEFT - 60 + label_w, WIDTH - RIGHT - 40
    values = [v for _, d, a, b in rows for v in (d, a, b) if finite(v)] + [0.0]
    ticks = nice_ticks(min(values), max(values), 4)
    x = _scale(ticks[0], ticks[-1], x0, x1)
    row_h, top = 26, TOP + 8
    bottom = top + row_h * max(1, len(rows))
    body = []
    for tick, text in zip(ticks, tick_labels(ticks, kind), strict=True):
        style = ('class="zero" stroke="#666" stroke-dasharray="4 3"' if tick == 0
                 else 'class="grid" stroke="#e3e3e3"')
        body.append(f'<line {style} x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top:.1f}" '
                    f'y2="{bottom:.1f}"/>'
                    f'<text x="{x(tick):.1f}" y="{bottom + 14:.1f}" text-anchor="middle" '
                    f'font-size="10">{_esc(text)}</text>')
    for i, ((name, d, a, b), short) in enumerate(zip(rows, names, strict=True)):
        cy = top + row_h * (i + 0.5)
        body.append(f'<text x="{x0 - 8:.1f}" y="{cy + 4:.1f}" text-anchor="end" '
                    f'font-size="11">{_esc(short)}<title>{_esc(name)}</title></text>')
        if not all(finite(v) for v in (d, a, b)):
            body.append(f'<text x="{x0:.1f}" y="{cy + 4:.1f}" font-size="10" fill="#888">'
                        'no estimate</text>')
            continue
        c = colors[i] if colors else color(i + 1)
        tip = f"{name}: {fmt(d, kind)} (95% CI {fmt(a, kind)} to {fmt(b, kind)})"
        body.append(
            f'<g class="interval-row"><title>{_esc(tip)}</title>'
            f'<line class="interval" x1="{x(a):.1f}" x2="{x(b):.1f}" y1="{cy:.1f}" '
            f'y2="{cy:.1f}" stroke="{c}" stroke-width="3"/>'
            + "".join(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{cy - 6:.1f}" '
                      f'y2="{cy + 6:.1f}" stroke="{c}" stroke-width="2"/>' for v in (a, b))
            + f'<circle cx="{x(d):.1f}" cy="{cy:.1f}" r="4.5" fill="{c}"/>'
            f'<text x="{max(x(a), x(b)) + 7:.1f}" y="{cy + 4:.1f}" font-size="10">'
            f'{_esc(fmt(d, kind))}</text></g>')
    return _svg("diff-chart", title, body, WIDTH, bottom + 24, subtitle)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def sweep_chart(title: str, key: str, values: Sequence[str], p10: Sequence[float],
                p50: Sequence[float], p90: Sequence[float], kind: str = "money",
                subtitle: str = "") -> str:
    """The varied value on x (to scale when numeric), P50 with its P10–P90 band on y."""
    plot_h = 190
    lo, hi = _y_range([("", p10, p50, p90)], zero=False)
    ticks = nice_ticks(lo, hi)
    y = _scale(ticks[0], ticks[-1], TOP + 10 + plot_h, TOP + 10)
    base = TOP + 10 + plot_h
    x0, x1 = LEFT + 16, WIDTH - RIGHT - 16
    numbers = [_number(v) for v in values]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers) > 1:
        x = _scale(min(numbers), max(numbers), x0, x1)
        xs = [x(n) for n in numbers]
    else:
        step = (x1 - x0) / max(1, len(values) - 1)
        xs = [x0 + step * i if len(values) > 1 else (x0 + x1) / 2 for i in range(len(values))]
    body = _y_axis(ticks, y, kind, LEFT, WIDTH - RIGHT)
    for xv, v in zip(xs, values, strict=True):
        body.append(f'<line x1="{xv:.1f}" x2="{xv:.1f}" y1="{base}" y2="{base + 4}" '
                    f'stroke="#666"/><text class="x-tick" x="{xv:.1f}" y="{base + 16}" '
                    f'text-anchor="middle" font-size="11">{_esc(v)}</text>')
    body.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{base + 32}" text-anchor="middle" '
                f'font-size="11" fill="#555">{_esc(key)}</text>')
    leaf = key.rsplit(".", 1)[-1]
    labels = [f"{leaf} = {v}" for v in values]
    body += _band((title, p10, p50, p90), xs, y, COLORS[0], labels, kind)
    for xv, value in zip(xs, p50, strict=True):
        if finite(value):
            body.append(f'<text class="point-label" x="{xv:.1f}" y="{y(value) - 8:.1f}" '
                        f'text-anchor="middle" font-size="10">{_esc(fmt(value, kind))}</text>')
    return _svg("sweep-chart", title, body, WIDTH, base + 42, subtitle)


# name, low-fifth outcome, high-fifth outcome, low-fifth draws text, high-fifth draws text
TornadoRow = tuple[str, float, float, str, str]
LOW_COLOR, HIGH_COLOR = "#1f77b4", "#ff7f0e"


def tornado_chart(title: str, rows: Sequence[TornadoRow], centre: float,
                  kind: str = "money", subtitle: str = "") -> str:
    """One row per assumption, largest effect first: a bar from `centre` (the outcome's
    P50 over all replications) to its P50 among the lowest fifth of the assumption's draws,
    and one to its P50 among the highest fifth."""
    longest = max((len(r[0]) for r in rows), default=4)
    label_w = min(190, max(60, 6.4 * longest + 10))
    names = [r[0] if len(r[0]) * 6.4 + 10 <= label_w else r[0][:27] + "…" for r in rows]
    x0, x1 = LEFT - 60 + label_w, WIDTH - RIGHT - 40
    values = [v for _, a, b, _, _ in rows for v in (a, b) if finite(v)]
    values += [centre] if finite(centre) else []
    ticks = nice_ticks(min(values, default=0.0), max(values, default=1.0), 4)
    x = _scale(ticks[0], ticks[-1], x0, x1)
    mid = centre if finite(centre) else ticks[0]
    row_h, top = 26, TOP + 8
    bottom = top + row_h * max(1, len(rows))
    body = []
    for tick, text in zip(ticks, tick_labels(ticks, kind), strict=True):
        body.append(f'<line class="grid" stroke="#e3e3e3" x1="{x(tick):.1f}" '
                    f'x2="{x(tick):.1f}" y1="{top:.1f}" y2="{bottom:.1f}"/>'
                    f'<text x="{x(tick):.1f}" y="{bottom + 14:.1f}" text-anchor="middle" '
                    f'font-size="10">{_esc(text)}</text>')
    for i, ((name, low, high, low_draw, high_draw), short) in enumerate(
            zip(rows, names, strict=True)):
        cy = top + row_h * (i + 0.5)
        body.append(f'<text x="{x0 - 8:.1f}" y="{cy + 4:.1f}" text-anchor="end" '
                    f'font-size="11">{_esc(short)}<title>{_esc(name)}</title></text>')
        if not (finite(low) and finite(high)):
            body.append(f'<text x="{x0:.1f}" y="{cy + 4:.1f}" font-size="10" fill="#888">'
                        'no estimate</text>')
            continue
        tip = (f"{name}: P50 {fmt(low, kind)} when drawn at or below {low_draw}, "
               f"{fmt(high, kind)} when drawn at or above {high_draw}")
        bars = []
        for end, c, cls in ((low, LOW_COLOR, "low"), (high, HIGH_COLOR, "high")):
            a, b = sorted((x(mid), x(end)))
            bars.append(f'<rect class="{cls}" x="{a:.1f}" y="{cy - 8:.1f}" '
                        f'width="{max(1.0, b - a):.1f}" height="16" fill="{c}" '
                        f'fill-opacity="0.55" stroke="{c}"/>')
        body.append(f'<g class="tornado-row"><title>{_esc(tip)}</title>' + "".join(bars)
                    + "</g>")
    body.append(f'<line class="centre" stroke="#666" stroke-dasharray="4 3" '
                f'x1="{x(mid):.1f}" x2="{x(mid):.1f}" y1="{top - 4:.1f}" '
                f'y2="{bottom:.1f}"/>')
    legend, used = _legend(["lowest fifth of draws", "highest fifth of draws"], bottom + 34,
                           WIDTH, [LOW_COLOR, HIGH_COLOR])
    body += legend
    return _svg("tornado", title, body, WIDTH, bottom + 30 + used, subtitle)


Curve = tuple[str, Sequence[float], Sequence[float], Sequence[float], Sequence[float]]


def hire_chart(title: str, curves: Sequence[Curve], kind: str = "money", x_label: str = "",
               markers: Sequence[tuple[float, str]] = (), subtitle: str = "") -> str:
    """Against a count of hires (x, to scale), each curve's P50 line and P10–P90 band.

    A curve is (name, x, p10, p50, p90); a marker is (x, text): a dashed line where the
    marginal hires stop paying back, its text as a tooltip and a short label.
    """
    plot_h = 190
    lo, hi = _y_range([(name, p10, p50, p90) for name, _, p10, p50, p90 in curves], zero=False)
    ticks = nice_ticks(lo, hi)
    y = _scale(ticks[0], ticks[-1], TOP + 10 + plot_h, TOP + 10)
    base = TOP + 10 + plot_h
    x0, x1 = LEFT + 16, WIDTH - RIGHT - 16
    counts = sorted({float(n) for _, xs, *_ in curves for n in xs})
    x = _scale(min(counts, default=0.0), max(counts, default=1.0), x0, x1)
    body = _y_axis(ticks, y, kind, LEFT, WIDTH - RIGHT)
    for n in counts:
        body.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{base}" y2="{base + 4}" '
                    f'stroke="#666"/><text class="x-tick" x="{x(n):.1f}" y="{base + 16}" '
                    f'text-anchor="middle" font-size="11">{n:g}</text>')
    body.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{base + 32}" text-anchor="middle" '
                f'font-size="11" fill="#555">{_esc(x_label)}</text>')
    for k, (name, xs, p10, p50, p90) in enumerate(curves):
        labels = [f"{n:g} hires" for n in xs]
        body += _band((name, p10, p50, p90), [x(float(n)) for n in xs], y, color(k), labels,
                      kind)
    merged: dict[float, list[str]] = {}
    for n, text in markers:  # one line per count, however many curves stop there
        merged.setdefault(float(n), []).append(text)
    for n, texts in merged.items():
        text = "; ".join(texts)
        body.append(f'<g class="payback-marker"><title>{_esc(text)}</title>'
                    f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{TOP + 10}" y2="{base}" '
                    'stroke="#b42318" stroke-width="1.5" stroke-dasharray="5 3"/>'
                    f'<text x="{x(n) - 4:.1f}" y="{TOP + 22}" text-anchor="end" font-size="10" '
                    'fill="#b42318">stops paying back</text></g>')
    height = base + 42
    legend, used = ([], 0.0)
    if len(curves) > 1:
        legend, used = _legend([c[0] for c in curves], height + 4, WIDTH)
    body += legend
    return _svg("hire-chart", title, body, WIDTH, height + used + 4, subtitle)
