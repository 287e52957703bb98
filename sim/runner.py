"""Replications across local processes, in deterministic chunks.

Replication r of a scenario depends only on (seed, r): results are identical whatever the
number of workers, and are gathered in replication order.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sim.model import Model, layout_for
from sim.plan import MONTH_DAYS, Plan
from sim.scenario.errors import ScenarioError

CHUNK = 25  # replications per task


class Chunk:
    """The raw metrics (replications x raw metrics x months) and seller rows of a chunk."""

    __slots__ = ("first", "raw", "sellers")

    def __init__(self, first: int, raw: np.ndarray, sellers: list[tuple]) -> None:
        self.first = first
        self.raw = raw
        self.sellers = sellers


def simulate_chunk(plan: Plan, first: int, count: int) -> Chunk:
    """Replications first .. first + count - 1; seller rows lead with the replication."""
    layout = layout_for(plan)
    raws = []
    sellers: list[tuple] = []
    for replication in range(first, first + count):
        result = Model(plan, replication, layout).run()
        raws.append(result.raw)
        sellers.extend((replication, *row) for row in result.sellers)
    return Chunk(first, np.stack(raws), sellers)


def chunks(replications: int, size: int = CHUNK) -> list[tuple[int, int]]:
    return [(first, min(size, replications - first)) for first in range(0, replications, size)]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


SCHEDULER_ENV = "SIMREV_SCHEDULER"


def iter_chunks(
    plan: Plan, replications: int, workers: int | None = 1, scheduler: str | None = None
) -> Iterator[Chunk]:
    """Simulate every replication; yield chunks in replication order.

    With `scheduler` (a Dask distributed scheduler address), chunks run on that cluster;
    a chunk depends only on (plan, first, count), so a retried chunk gives the same result.
    """
    tasks = chunks(replications)
    if scheduler:
        yield from _dask_chunks(plan, tasks, scheduler)
        return
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(tasks) <= 1:
        for first, count in tasks:
            yield simulate_chunk(plan, first, count)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context,
                               initializer=_quiet_worker)
    try:
        futures = [pool.submit(simulate_chunk, plan, first, count) for first, count in tasks]
        for future in futures:
            yield future.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # stop at once on Ctrl-C or failure
        raise
    pool.shutdown()


def _dask_chunks(plan: Plan, tasks: list[tuple[int, int]], address: str) -> Iterator[Chunk]:
    try:
        from distributed import Client
    except ImportError as error:
        raise ScenarioError(
            None, "--scheduler", address,
            "Dask is not installed; expected pip install 'simrev[dask]' first",
        ) from error
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except OSError as error:
        raise ScenarioError(
            None, "--scheduler", address, f"expected a reachable Dask scheduler ({error})"
        ) from error
    with client:
        shared = client.scatter(plan, broadcast=True)
        futures = [
            client.submit(simulate_chunk, shared, first, count, pure=False, retries=2)
            for first, count in tasks
        ]
        for future in futures:
            yield future.result()


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the main process, which reports it in one line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_plan(
    plan: Plan,
    replications: int,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
) -> tuple[np.ndarray, list[tuple]]:
    """All replications: raw metrics (replications x raw x months) and seller rows."""
    layout = layout_for(plan)
    raw = np.empty((replications, len(layout), plan.months))
    sellers: list[tuple] = []
    for chunk in iter_chunks(plan, replications, workers, scheduler):
        raw[chunk.first : chunk.first + len(chunk.raw)] = chunk.raw
        sellers.extend(chunk.sellers)
        if progress is not None:
            progress(len(chunk.raw))
    return raw, sellers


# ---- the memory guard -------------------------------------------------------------
BYTES_PER_REPLICATION_OVERHEAD = 4_000  # per replication: frames, parquet rows, slack


def estimate_bytes(plan: Plan, replications: int) -> int:
    """Peak memory a run needs, roughly: per-replication metrics, frames and seller rows."""
    layout = layout_for(plan)
    quarters = plan.months // 3
    raw = len(layout) * plan.months * 8
    derived = len(layout.outputs) * (plan.months + quarters + 1) * 8
    long_rows = len(layout.outputs) * quarters * 80  # the tidy per-replication frame
    sellers = sum(r.headcount for r in plan.roles if r.kind.sells)
    seller_rows = max(1, sellers) * 2 * 400
    per_replication = raw + derived + long_rows + seller_rows + BYTES_PER_REPLICATION_OVERHEAD
    return replications * per_replication


def available_bytes() -> int:
    """Memory available now (MemAvailable), or total physical memory where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


MAX_OPPORTUNITIES = 2e9  # about an hour of work on two cores: surely a typo, not a plan


def expected_opportunities(plan: Plan) -> float:
    """Opportunities one replication creates at full ramp (warm-up included)."""
    months = plan.months + plan.warm_months
    boost = 1.0  # the most pipeline, selling time and season could multiply creation by
    for effects in [p.effects for p in plan.programs] + [r.effects for r in plan.roles]:
        for lever in ("pipeline", "selling_time"):
            boost *= max(1.0, effects.get(lever, 1.0))
    boost *= max(max(s.seasonality) for s in plan.segments)
    per_day = sum(s.inbound_per_day for s in plan.segments)
    for role in plan.roles:
        if role.kind.sources is not None:
            hires = sum(n for moves in plan.hiring.values() for name, n in moves
                        if name == role.name)
            per_day += role.opps_per_day * (role.headcount + max(0, hires))
    return per_day * months * MONTH_DAYS * max(1.0, boost)


def check_memory(plan: Plan, replications: int, file: str | None = None) -> None:
    """Refuse, before any work, a run whose size would exhaust this machine's memory
    (or its patience: more than `MAX_OPPORTUNITIES` simulated opportunities)."""
    book_bytes = 40 * (plan.customers_count + 1) * default_workers()
    need = estimate_bytes(plan, replications) + book_bytes
    have = available_bytes()
    if need > 0.8 * have:
        fit = max(1, int(0.8 * have // max(1, need // replications)))
        raise ScenarioError(
            file, "replications", replications,
            f"a run this size needs about {need / 2**30:.1f} GiB of memory and "
            f"{have / 2**30:.1f} GiB is available; expected at most about {fit:,} "
            "replications (use --replications)",
        )
    work = expected_opportunities(plan) * replications
    if work > MAX_OPPORTUNITIES:
        raise ScenarioError(
            file, "replications", replications,
            f"a run this size would simulate about {work:.2g} opportunities (hours of work); "
            "expected fewer replications, or check the pipeline rates for a typo",
        )
