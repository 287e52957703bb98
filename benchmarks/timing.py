"""One timing helper for the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable


def mean_ms(run: Callable[[int], object], repeats: int) -> float:
    """Mean milliseconds of `run(i)` for i in 0 .. repeats - 1, after one warm-up call."""
    run(0)
    start = time.perf_counter()
    for i in range(repeats):
        run(i)
    return (time.perf_counter() - start) / repeats * 1000
