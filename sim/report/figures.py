"""Figures as plain inline SVG: data in, an `<svg>` string out (no scripts, no CDN)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from sim.formatting import money as format_money

WIDTH, HEIGHT = 560, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 30, 40
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf",
          "#e377c2")


def money(value: float) -> str:
    return format_money(value, millions_digits=1)


def plain(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:,.3g}"


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _scale(lo: float, hi: float, a: float, b: float):
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    return lambda v: a + (v - lo) / (hi - lo) * (b - a)


def _svg(kind: str, title: str, body: list[str], width: int = WIDTH,
         height: int = HEIGHT) -> str:
    t = html.escape(title)
    return (f'<svg class="{kind}" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{t}</title><text x="{width / 2}" y="18" text-anchor="middle" '
            f'font-size="14" font-weight="bold">{t}</text>' + "".join(body) + "</svg>")


def _y_axis(lo: float, hi: float, y, fmt) -> list[str]:
    out = []
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{html.escape(fmt(v))}</text>')
    return out


def fan_chart(title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[float], Sequence[float], Sequence[float]]],
              fmt=money) -> str:
    """P10–P90 band and P50 line by period, one band per series (name, p10, p50, p90)."""
    values = _finite([v for _, p10, p50, p90 in series for v in (*p10, *p50, *p90)])
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    lo = min(lo, 0.0) if lo >= 0 and lo < 0.2 * hi else lo
    x = _scale(0, max(1, len(labels) - 1), LEFT + 10, WIDTH - RIGHT - 10)
    y = _scale(lo, hi, HEIGHT - BOTTOM, TOP + 10)
    body = _y_axis(lo, hi, y, fmt)
    for i, label in enumerate(labels):
        body.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                    f'font-size="11">{html.escape(label)}</text>')
    for k, (name, p10, p50, p90) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = [i for i in range(len(labels)) if _finite([p10[i], p90[i], p50[i]]) and
                  len(_finite([p10[i], p90[i], p50[i]])) == 3]
        if not points:
            continue
        upper = " ".join(f"{x(i):.1f},{y(p90[i]):.1f}" for i in points)
        lower = " ".join(f"{x(i):.1f},{y(p10[i]):.1f}" for i in reversed(points))
        body.append(f'<polygon class="band" points="{upper} {lower}" fill="{color}" '
                    'fill-opacity="0.18" stroke="none"/>')
        line = " ".join(f"{x(i):.1f},{y(p50[i]):.1f}" for i in points)
        body.append(f'<polyline class="median" points="{line}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>')
        if len(series) > 1:
            body.append(f'<text x="{LEFT + 8}" y="{TOP + 14 + 14 * k}" font-size="11" '
                        f'fill="{color}">{html.escape(name)}</text>')
    return _svg("fan-chart", title, body)


def box_plot(title: str, groups: Sequence[tuple[str, dict]]) -> str:
    """One box per group: {'p10','p25','median','p75','p90','sellers'}."""
    values = _finite([g[k] for _, g in groups for k in ("p10", "p90")])
    lo, hi = (min(0.0, min(values)), max(values)) if values else (0.0, 1.0)
    width = max(WIDTH, 110 * len(groups) + LEFT + RIGHT)
    y = _scale(lo, hi, HEIGHT - BOTTOM, TOP + 10)
    body = [line.replace(f'x2="{WIDTH - RIGHT}"', f'x2="{width - RIGHT}"')
            for line in _y_axis(lo, hi, y, money)]
    step = (width - LEFT - RIGHT) / max(1, len(groups))
    for i, (label, g) in enumerate(groups):
        cx = LEFT + step * (i + 0.5)
        half = min(30, step / 3)
        body.append(f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                    f'font-size="11">{html.escape(label)}</text>'
                    f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 30}" text-anchor="middle" '
                    f'font-size="10" fill="#555">n={g.get("sellers", 0):,}</text>')
        if len(_finite([g[k] for k in ("p10", "p25", "median", "p75", "p90")])) < 5:
            continue
        body.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(g["p10"]):.1f}" '
                    f'y2="{y(g["p90"]):.1f}" stroke="#555"/>')
        body.append(f'<rect class="box" x="{cx - half:.1f}" y="{y(g["p75"]):.1f}" '
                    f'width="{2 * half:.1f}" height="{max(1, y(g["p25"]) - y(g["p75"])):.1f}" '
                    f'fill="{COLORS[0]}" fill-opacity="0.35" stroke="{COLORS[0]}"/>')
        body.append(f'<line x1="{cx - half:.1f}" x2="{cx + half:.1f}" y1="{y(g["median"]):.1f}" '
                    f'y2="{y(g["median"]):.1f}" stroke="#000" stroke-width="2"/>')
    return _svg("box-plot", title, body, width=width)


def diff_chart(title: str, rows: Sequence[tuple[str, float, float, float]], fmt=money) -> str:
    """Paired differences (scenario, diff, ci_low, ci_high) as interval bars around 0."""
    height = TOP + 20 + 28 * max(1, len(rows)) + 20
    values = _finite([v for _, d, a, b in rows for v in (d, a, b)] + [0.0])
    lo, hi = min(values), max(values)
    pad = 0.1 * (hi - lo or 1)
    x = _scale(lo - pad, hi + pad, LEFT + 60, WIDTH - RIGHT - 10)
    body = [f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{TOP + 10}" y2="{height - 10}" '
            'stroke="#999" stroke-dasharray="4 3"/>']
    for i, (name, d, a, b) in enumerate(rows):
        cy = TOP + 30 + 28 * i
        body.append(f'<text x="{LEFT + 54}" y="{cy + 4}" text-anchor="end" font-size="11">'
                    f'{html.escape(name)}</text>')
        if len(_finite([d, a, b])) < 3:
            continue
        color = COLORS[(i + 1) % len(COLORS)]
        body.append(f'<line class="interval" x1="{x(a):.1f}" x2="{x(b):.1f}" y1="{cy}" '
                    f'y2="{cy}" stroke="{color}" stroke-width="6" stroke-opacity="0.5"/>')
        body.append(f'<circle cx="{x(d):.1f}" cy="{cy}" r="4" fill="{color}"/>')
        body.append(f'<text x="{x(b) + 6:.1f}" y="{cy + 4}" font-size="10">'
                    f'{html.escape(fmt(d))}</text>')
    return _svg("diff-chart", title, body, height=height)


def sweep_chart(title: str, key: str, labels: Sequence[str], p10: Sequence[float],
                p50: Sequence[float], p90: Sequence[float], fmt=money) -> str:
    """The varied value on x; P50 with its P10–P90 band on y."""
    svg = fan_chart(title, [f"{key.rsplit('.', 1)[-1]}={v}" for v in labels],
                    [(title, p10, p50, p90)], fmt)
    return svg.replace('class="fan-chart"', 'class="sweep-chart"', 1)
