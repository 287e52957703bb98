"""The clock's calendar: days in a month and a year, and the month a day falls in.

A hot module (sim.core.HOT_MODULES): the compiled core calls `month_of` as a C function.
"""

from __future__ import annotations

MONTH_DAYS = 365.0 / 12.0
YEAR_DAYS = 365.0


def month_of(day: float) -> int:
    """Month index of `day`: k with k·M <= day < (k+1)·M, exact at the boundaries.

    Month starts are computed as ``k * MONTH_DAYS``; plain ``day // MONTH_DAYS`` can put
    such a start in the month before it by rounding. The estimate is a float (a C double
    when compiled) and the answer a Python int of any size.
    """
    month_days = MONTH_DAYS
    month = day // month_days
    if (month + 1) * month_days <= day:
        return int(month) + 1
    if month * month_days > day:
        return int(month) - 1
    return int(month)
