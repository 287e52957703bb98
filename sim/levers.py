"""Levers: the named multipliers that programs, support staff and CSM load act on.

Effects combine by multiplication. A program's effect phases in linearly: in its j-th
month (0-based) a multiplier m acts as ``1 + (m - 1) * f`` with
``f = min(1, (j + 0.5) / phase_in_months)`` (the month's average of a linear phase-in),
and support staff act the same way with ``f`` = the share of sellers they cover.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.roles import LEVERS

# Indices into a multiplier list, derived from the one lever list (the schema checks it).
INDEX: dict[str, int] = {name: i for i, name in enumerate(LEVERS)}
PIPELINE, SELLING_TIME, CAPACITY = INDEX["pipeline"], INDEX["selling_time"], INDEX["capacity"]
WIN_RATE, DEAL_SIZE, CYCLE_TIME = INDEX["win_rate"], INDEX["deal_size"], INDEX["cycle_time"]
RAMP_SPEED, ATTRITION = INDEX["ramp_speed"], INDEX["attrition"]
TIME_TO_HIRE, CHURN, EXPANSION = INDEX["time_to_hire"], INDEX["churn"], INDEX["expansion"]


def neutral() -> list[float]:
    """One multiplier per lever, all 1 (a new list, for `apply`)."""
    return [1.0] * len(LEVERS)


NEUTRAL = neutral()  # shared by every head no effect reaches; never passed to `apply`


def phase_fraction(months_since_start: int, phase_in_months: int) -> float:
    """Share of a program's full effect in its `months_since_start`-th month."""
    if phase_in_months <= 0:
        return 1.0
    return min(1.0, (months_since_start + 0.5) / phase_in_months)


def apply(multipliers: list[float], effects: Mapping[str, float], fraction: float) -> None:
    """Multiply `effects`, scaled by `fraction` of their distance from 1, into `multipliers`."""
    for name, factor in effects.items():
        multipliers[INDEX[name]] *= 1.0 + (factor - 1.0) * fraction
