"""The floor: the least Python work per opportunity that routing by spare capacity needs.

A bare loop over hire5's opportunity volume (about 3,200 arrivals, 45% self-sourced, the
rest routed among 25 sellers by most spare capacity; every created opportunity pushed on a
heap of close times and popped when it closes, freeing capacity, and settled as won or
lost). No people, no months, no metrics, no SimPy: whatever the engine does beyond this is
the model. Arrivals are drawn up front, outside the timing.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from benchmarks.timing import mean_ms

SELLERS = 25
OPPORTUNITIES = 3200
DAYS = 30 * 365 / 12  # 24 months plus the 6-month warm-up


def arrivals(seed: int = 1) -> list[tuple]:
    rng = np.random.Generator(np.random.PCG64(seed))
    days = np.sort(rng.uniform(0, DAYS, OPPORTUNITIES)).tolist()
    routed = (rng.random(OPPORTUNITIES) > 0.45).tolist()
    owners = rng.integers(0, SELLERS, OPPORTUNITIES).tolist()
    u_win = rng.random(OPPORTUNITIES).tolist()
    z_cycle, z_size = rng.standard_normal((2, OPPORTUNITIES)).tolist()
    return list(zip(days, routed, owners, u_win, z_cycle, z_size, strict=True))


def replication(pending: list[tuple]) -> float:
    """One pass; returns bookings so the work cannot be skipped."""
    spares = [12.0] * SELLERS
    closes: list[tuple] = [(math.inf, -1, None)]
    pop, push, exp = heapq.heappop, heapq.heappush, math.exp
    bookings = 0.0
    key = 0
    for day, routed, seller, u_win, z_cycle, z_size in pending:
        while closes[0][0] < day:
            _close_day, _key, (owner, won_by, size_z) = pop(closes)
            spares[owner] += 1
            if won_by < 0.22:
                bookings += exp(10.2 + 0.55 * size_z)
        if routed:
            best = max(spares)
            if best <= 0:
                continue
            seller = spares.index(best)
        elif spares[seller] <= 0:
            continue
        spares[seller] -= 1
        key += 1
        push(closes, (day + exp(3.98 + 0.47 * z_cycle), key, (seller, u_win, z_size)))
    return bookings


def ms_per_replication(repeats: int = 200) -> float:
    pending = arrivals()
    return mean_ms(lambda _i: replication(pending), repeats)


if __name__ == "__main__":
    print(f"floor: {ms_per_replication():.1f} ms per replication")
