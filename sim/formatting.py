"""How money and counts read in tables, reports and the README."""

from __future__ import annotations

import math


def money(value: float | None, millions_digits: int = 2) -> str:
    """$1.23M, $456k, -$52k, $12; a missing value is an en dash."""
    if value is None or not math.isfinite(value):
        return "–"
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value >= 1e6:
        return f"{sign}${value / 1e6:.{millions_digits}f}M"
    if value >= 1e3:
        return f"{sign}${value / 1e3:.0f}k"
    return f"{sign}${value:.0f}"
