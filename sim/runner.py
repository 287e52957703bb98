"""Replications across local processes, in deterministic chunks.

Replication r of a scenario depends only on (seed, r): results are identical whatever the
number of workers, and are gathered in replication order.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import math
import multiprocessing
import os
import pickle
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait

import numpy as np

from sim.model import Model, layout_for
from sim.periods import Periods, metric_rows
from sim.plan import MONTH_DAYS, YEAR_DAYS, Plan
from sim.scenario.errors import ScenarioError
from sim.sellers import RAW_FIELDS, SELLER_DTYPE, render_rows, seller_table

CHUNK = 25  # replications per task


class Chunk:
    """A chunk's raw metrics (replications x raw metrics x months) or, from `run_chunk`
    with `metrics`, each replication's metric row instead (`sim.periods.metric_rows`);
    its sellers (one structured array, `sim.sellers.SELLER_DTYPE`) and, when the run's
    start month was given, their reps.csv rows already rendered (`sim.sellers.render_rows`)."""

    __slots__ = ("first", "raw", "sellers", "text", "metrics")

    def __init__(self, first: int, raw: np.ndarray | None, sellers: np.ndarray,
                 text: bytes | None = None, metrics: np.ndarray | None = None) -> None:
        self.first = first
        self.raw = raw
        self.sellers = sellers
        self.text = text
        self.metrics = metrics

    def __len__(self) -> int:
        """Its replications."""
        return len(self.raw if self.metrics is None else self.metrics)


def simulate_chunk(plan: Plan, first: int, count: int, start: str | None = None) -> Chunk:
    """Replications first .. first + count - 1, as compact arrays; with `start` (the
    scenario's first month, `YYYY-MM`) also their reps.csv rows."""
    layout = layout_for(plan)
    raw = np.empty((count, len(layout), plan.months))
    blocks: list[np.ndarray] = []
    with collect_by_hand():
        _simulate(plan, layout, first, count, raw, blocks)
    table = seller_table(blocks, range(first, first + count), plan.months)
    del blocks
    roles = [r.name for r in plan.roles]
    text = None if start is None else render_rows(table, roles, start)
    return Chunk(first, raw, table, text)


@contextlib.contextmanager
def collect_by_hand() -> Iterator[None]:
    """No automatic garbage collection inside: a replication makes hundreds of thousands of
    short-lived objects, and the collector's passes over them cost ~15% of its time; the
    finished models' cycles are freed by `_simulate`'s explicit collections instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _simulate(plan: Plan, layout, first: int, count: int, raw: np.ndarray,
              blocks: list[np.ndarray]) -> None:
    """Run replications first .. first + count - 1 into `raw` and `blocks` (each one's
    sellers, `Model.seller_block`)."""
    for i, replication in enumerate(range(first, first + count)):
        model = Model(plan, replication, layout)
        model.simulate()
        model.raw_into(raw[i])
        blocks.append(model.seller_block())
        del model
        # Reference counting has freed the model; its SimPy environment is a cycle (and a
        # model that failed may be in one): collect the youngest generation, which with
        # automatic collection off holds what was made since the last collection, now a
        # few dozen objects, without walking the whole heap.
        gc.collect(0)


def run_chunk(plan: Plan, first: int, count: int, start: str | None = None,
              metrics: bool = False) -> Chunk:
    """`simulate_chunk`; with `metrics`, the chunk carries each replication's metric row
    (`sim.periods.metric_rows`, derived here, where the replications were simulated)
    instead of its raw arrays, so the parent only summarises across replications."""
    chunk = simulate_chunk(plan, first, count, start)
    if metrics:
        chunk.metrics = metric_rows(chunk.raw, layout_for(plan), plan)
        chunk.raw = None
    return chunk


def chunk_workers(workers: int, replications: int) -> int:
    """Worker processes a local run of `replications` starts: no more than its chunks."""
    return min(workers, max(1, -(-replications // CHUNK)))


def chunks(replications: int, size: int = CHUNK) -> list[tuple[int, int]]:
    return [(first, min(size, replications - first)) for first in range(0, replications, size)]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


SCHEDULER_ENV = "SIMREV_SCHEDULER"


def iter_chunks(
    plan: Plan, replications: int, workers: int | None = 1, scheduler: str | None = None,
    connect_timeout: float | None = None, start: str | None = None, metrics: bool = False,
    into: np.ndarray | None = None, meanwhile: Callable[[], None] | None = None,
) -> Iterator[Chunk]:
    """Simulate every replication; yield chunks in replication order (see `plan_chunks`)."""
    for _, chunk in plan_chunks([plan], replications, workers, scheduler, connect_timeout,
                                start, metrics, lambda _: into, meanwhile):
        yield chunk


def plan_chunks(
    plans: Sequence[Plan], replications: int, workers: int | None = 1,
    scheduler: str | None = None, connect_timeout: float | None = None,
    start: str | None = None, metrics: bool = False,
    into: Callable[[int], np.ndarray | None] = lambda _: None,
    meanwhile: Callable[[], None] | None = None,
) -> Iterator[tuple[int, Chunk]]:
    """Simulate every replication of each plan; yield (plan index, chunk), plan by plan, in
    replication order. Local worker processes take every plan at once and go from one
    plan's chunks straight to the next's (`WorkerPool.map_plans`).

    With `scheduler` (a Dask distributed scheduler address), chunks run on that cluster;
    a chunk depends only on (plan, first, count), so a retried chunk gives the same result.
    With `start` (`YYYY-MM`), chunks carry their reps.csv rows (`Chunk.text`); with
    `metrics`, their replications' metric rows instead of raw arrays (`run_chunk`), which
    local worker processes' chunks hand over in the rows of `into(plan index)` when it
    gives an array. `meanwhile` is called once before the first chunk is simulated and,
    with worker processes, after they are started: what it starts (a thread) is never
    forked into one.
    """
    tasks = chunks(replications)
    if scheduler:
        if meanwhile is not None:
            meanwhile()
        for number, plan in enumerate(plans):
            for chunk in _dask_chunks(plan, tasks, scheduler, connect_timeout, start, metrics):
                yield number, chunk
        return
    workers = default_workers() if workers is None else workers
    if workers <= 1 or len(tasks) <= 1:
        if meanwhile is not None:
            meanwhile()
        for number, plan in enumerate(plans):
            for first, count in tasks:
                yield number, run_chunk(plan, first, count, start, metrics)
        return
    pool = WorkerPool(plans, min(workers, len(tasks)), start, metrics)
    try:
        if meanwhile is not None:
            meanwhile()
        yield from pool.map_plans(
            [(number, first, count) for number in range(len(plans)) for first, count in tasks],
            into if metrics else lambda _: None)
    except BaseException:
        pool.stop()  # on failure, Ctrl-C or an abandoned generator alike
        raise
    pool.release()  # finished: idle workers wait for the next run of this process


SCHEDULER_TIMEOUT_ENV = "SIMREV_SCHEDULER_TIMEOUT"  # seconds to reach a scheduler (10)
SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})$")


def check_scheduler_address(address: str) -> None:
    """Refuse, before connecting, an address that is not SCHEME://HOST:PORT (or HOST:PORT)."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    expected = ("expected a Dask scheduler address such as tcp://10.0.0.5:8786 "
                f"(scheme {', '.join(SCHEMES)})")
    if scheme not in SCHEMES:
        raise ScenarioError(None, "--scheduler", address, expected)
    if scheme == "inproc":
        if not rest:
            raise ScenarioError(None, "--scheduler", address, expected)
        return
    match = _HOST_PORT.match(rest)
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise ScenarioError(None, "--scheduler", address, expected)


def scheduler_timeout() -> float:
    """Seconds to wait for a scheduler: $SIMREV_SCHEDULER_TIMEOUT, else 10."""
    try:
        seconds = float(os.environ.get(SCHEDULER_TIMEOUT_ENV, "10"))
    except ValueError:
        return 10.0
    return seconds if 0 < seconds < 3600 else 10.0


class RunFailed(RuntimeError):
    """The run could not finish for a reason outside the scenario (a worker or a scheduler
    was lost); the CLI reports it in one line."""


@contextlib.contextmanager
def _dask_quiet() -> Iterator[None]:
    """Silence distributed's loggers (their ERROR tracebacks on a lost connection): what
    went wrong is reported once, as one line."""
    import logging

    names = ["distributed", "tornado", "asyncio"] + [
        n for n in logging.root.manager.loggerDict if n.startswith("distributed.")]
    loggers = [logging.getLogger(n) for n in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _the_plan(plan: Plan) -> Plan:
    """The plan itself, as a Dask task (`_dask_chunks`)."""
    return plan


def _dask_chunks(plan: Plan, tasks: list[tuple[int, int]], address: str,
                 connect_timeout: float | None = None,
                 start: str | None = None, metrics: bool = False) -> Iterator[Chunk]:
    check_scheduler_address(address)
    try:
        from distributed import Client
    except ImportError as error:
        raise ScenarioError(
            None, "--scheduler", address,
            "Dask is not installed; expected pip install 'simrev[dask]' first",
        ) from error
    timeout = scheduler_timeout() if connect_timeout is None else connect_timeout
    with _dask_quiet():
        try:
            client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, ValueError) as error:
            raise ScenarioError(
                None, "--scheduler", address,
                f"expected a reachable Dask scheduler ({one_line(error)})",
            ) from error
        try:
            # the plan as a task's result, not scattered data: a worker lost mid-run takes
            # scattered data with it for good (its dependents are cancelled), while a task's
            # result the scheduler can compute again
            shared = client.submit(_the_plan, plan, pure=False)
            futures = [
                client.submit(run_chunk, shared, first, count, start, True, pure=False,
                              retries=2)
                if metrics else
                client.submit(simulate_chunk, shared, first, count,
                              *(() if start is None else (start,)), pure=False, retries=2)
                for first, count in tasks
            ]
            for future in futures:
                try:
                    chunk = future.result()
                except Exception as error:
                    if client.status == "running" and not isinstance(error, OSError):
                        raise  # the simulation itself failed
                    raise RunFailed(
                        f"lost the Dask scheduler at {address} mid-run "
                        f"({type(error).__name__}: {one_line(error)})") from error
                yield chunk
        except OSError as error:
            raise RunFailed(f"lost the Dask scheduler at {address} mid-run "
                            f"({type(error).__name__}: {one_line(error)})") from error
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=2)


def one_line(error: object) -> str:
    return " ".join(str(error).split())


class WorkerFailed(RunFailed):
    """A worker process died (killed, out of memory) before returning its chunk."""


class _Failure:
    """An exception raised in a worker, sent back to be raised in the parent."""

    def __init__(self, error: BaseException) -> None:
        try:
            pickle.dumps(error)
            self.error: BaseException = error
        except Exception:  # noqa: BLE001 - an unpicklable exception still reports its text
            self.error = RuntimeError(f"{type(error).__name__}: {error}")


class _Arrays:
    """The header of a chunk of metric rows sent as bytes, not pickled: the rows, the
    sellers' structured array and reps.csv's text follow on the pipe, each read straight
    into its array by the parent (no pickle's copies, no temporary objects)."""

    __slots__ = ("first", "shape", "sellers", "text")

    def __init__(self, chunk: Chunk) -> None:
        assert chunk.metrics is not None
        self.first = chunk.first
        self.shape = chunk.metrics.shape
        self.sellers = len(chunk.sellers)
        self.text = None if chunk.text is None else len(chunk.text)

    @staticmethod
    def send(conn: Connection, chunk: Chunk) -> None:
        """Send `chunk` (with metric rows): its header, then its arrays' bytes."""
        conn.send(_Arrays(chunk))
        parts = [np.ascontiguousarray(chunk.metrics), np.ascontiguousarray(chunk.sellers)]
        for part in [*(a.view(np.uint8).reshape(-1) for a in parts), chunk.text or b""]:
            view = memoryview(part)
            while len(view):
                view = view[os.write(conn.fileno(), view):]

    def receive(self, conn: Connection, into: np.ndarray | None = None) -> Chunk:
        """The chunk this header announces, its bytes read from `conn`; its metric rows
        read into `into`'s rows when given (and of the right width)."""
        rows = self.shape[0]
        if into is not None and into.shape[1:] == self.shape[1:] and into.flags.c_contiguous:
            metrics = into[self.first : self.first + rows]
        else:
            metrics = np.empty(self.shape)
        sellers = np.empty(self.sellers, SELLER_DTYPE)
        text = bytearray(self.text or 0)
        for part in (metrics.view(np.uint8).reshape(-1), sellers.view(np.uint8).reshape(-1),
                     text):
            view = memoryview(part)
            while len(view):
                read = os.readv(conn.fileno(), [view])
                if read == 0:
                    raise EOFError("the worker's pipe closed mid-chunk")
                view = view[read:]
        return Chunk(self.first, None, sellers, None if self.text is None else bytes(text),
                     metrics)


# Idle worker processes of this process (with the parent's end of their pipe), started
# early (`prestart`) or left by a finished run; and every parent end a worker could inherit.
_IDLE: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
_PARENT_ENDS: list[Connection] = []


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _start_worker() -> tuple[multiprocessing.process.BaseProcess, Connection]:
    """One worker process (forked where possible: it shares what this process imported)."""
    method = _start_method()
    context = multiprocessing.get_context(method)
    here, there = context.Pipe()
    # a forked worker closes its copies of the parent's ends, so a pipe breaks as soon as
    # the parent is gone
    inherited = [c for c in _PARENT_ENDS if not c.closed] + [here] if method == "fork" else []
    process = context.Process(target=_work, args=(there, inherited, os.getpid()),
                              daemon=True, name="simrev-worker")
    with _signals_blocked():  # until the worker has set its own handlers
        process.start()
    _PARENT_ENDS.append(here)
    there.close()
    return process, here


def prestart(workers: int) -> None:
    """Start `workers` idle worker processes now (none for 1 or fewer): the command line
    calls it after importing only what simulating needs, so workers never hold pandas,
    pyarrow, pydantic or rich, and their start overlaps the rest of its start-up."""
    gc.freeze()  # what was imported is never garbage: shared by the forks, not copied
    try:
        while len(_IDLE) < workers and workers > 1:
            _IDLE.append(_start_worker())
    except OSError:
        pass  # a run starts its own workers when it needs them


def _kill(workers: list[tuple[multiprocessing.process.BaseProcess, Connection]]) -> None:
    for process, conn in workers:
        if process.exitcode is None:
            process.kill()
        conn.close()
    for process, _ in workers:
        process.join(5.0)


class WorkerPool:
    """Worker processes the parent can always stop: no hang, no orphan.

    Each worker owns a pipe and runs one chunk at a time, with a second one waiting in its
    pipe (so it goes on while the parent handles a result or a finished plan); the parent
    keeps at most `2 x workers` chunks ahead of the one it yields next (bounded memory) and
    yields in task order. Idle workers of this process (`prestart`, or a finished run's,
    see `release`) are used first, each sent the plans (one, or a comparison's: a task
    names its plan's index, so a worker goes from one plan's chunks to the next's without
    waiting for the parent). `stop` kills the workers
    outright (they write nothing) and reaps them with a timeout; workers ignore Ctrl-C (the
    parent handles it) and, on Linux, die with the parent (PR_SET_PDEATHSIG), so even a
    SIGKILLed parent leaves none behind. Elsewhere a worker ends when its pipe to the
    parent breaks.
    """

    def __init__(self, plan: Plan | Sequence[Plan], size: int, start: str | None = None,
                 metrics: bool = False) -> None:
        plans = [plan] if isinstance(plan, Plan) else list(plan)
        self.workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        try:
            while _IDLE and len(self.workers) < size:
                self.workers.append(_IDLE.pop())
                process = self.workers[-1][0]
                if process.exitcode is not None:  # a worker died: the run ends, as mid-run
                    raise WorkerFailed(
                        f"a worker process died (exit code {process.exitcode}) before "
                        "returning its replications; is the machine short of memory?")
            while len(self.workers) < size:
                self.workers.append(_start_worker())
            for _, conn in self.workers:  # idle: each reads its plans at once
                conn.send(("plans", plans, start, metrics))
        except BaseException:
            self.stop()
            raise

    def map(self, tasks: list[tuple[int, int]], into: np.ndarray | None = None
            ) -> Iterator[Chunk]:
        """Run every task (first, count) of the (first) plan; yield the chunks in task order
        (see `map_plans`)."""
        for _, chunk in self.map_plans([(0, first, count) for first, count in tasks],
                                       lambda _: into):
            yield chunk

    def map_plans(self, tasks: list[tuple[int, int, int]],
                  into: Callable[[int], np.ndarray | None] = lambda _: None
                  ) -> Iterator[tuple[int, Chunk]]:
        """Run every task (plan index, first, count); yield (plan index, chunk) in task order.
        Metric rows (`run_chunk` with `metrics`) come as bytes (`_Arrays`), read from the
        pipe straight into the rows of `into(plan index)` (replications x row width) when
        it gives an array, else into new arrays."""
        ahead = 2 * len(self.workers)
        waiting = list(range(len(tasks)))[::-1]  # task indices, next last
        queued: dict[Connection, list[int]] = {conn: [] for _, conn in self.workers}
        done: dict[int, Chunk] = {}
        process_of = {conn: process for process, conn in self.workers}
        following = 0
        while following < len(tasks):
            for conn, mine in queued.items():  # up to two tasks in each worker's pipe
                while len(mine) < 2 and waiting and waiting[-1] < following + ahead:
                    index = waiting.pop()
                    conn.send(tasks[index])
                    mine.append(index)
            if following in done:
                yield tasks[following][0], done.pop(following)
                following += 1
                continue
            for conn in wait([c for c, mine in queued.items() if mine]):
                assert isinstance(conn, Connection)
                index = queued[conn][0]
                try:
                    message = conn.recv()
                    if isinstance(message, _Arrays):
                        message = message.receive(conn, into(tasks[index][0]))
                except (EOFError, OSError):
                    process = process_of[conn]
                    process.join(1.0)
                    raise WorkerFailed(
                        f"a worker process died (exit code {process.exitcode}) before "
                        "returning its replications; is the machine short of memory?"
                    ) from None
                if isinstance(message, _Failure):
                    raise message.error
                done[queued[conn].pop(0)] = message

    def modules(self) -> list[list[str]]:
        """Each worker's loaded modules (`sys.modules`), for tests of what workers import."""
        for _, conn in self.workers:
            conn.send(("modules",))
        return [conn.recv() for _, conn in self.workers]

    def release(self) -> None:
        """Hand the (idle) workers back for this process's next run."""
        _IDLE.extend(self.workers)
        self.workers = []

    def stop(self) -> None:
        """Kill and reap every worker (idempotent; a second Ctrl-C cannot cut it short)."""
        interrupted: BaseException | None = None
        while True:
            try:
                _kill(self.workers)
                break
            except KeyboardInterrupt as error:
                interrupted = error
        if interrupted is not None:
            raise interrupted


def _signals_blocked():
    """Block Ctrl-C and SIGTERM in this thread (and so in a child forked meanwhile)."""
    if not hasattr(signal, "pthread_sigmask"):
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def blocked():
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    return blocked()


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this process when its parent dies."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _work(conn: Connection, inherited: list[Connection], parent: int) -> None:
    """A worker: take the plans, run the chunks the parent sends, until it sends None or
    goes away. Messages: ("plans", plans, start, metrics); (plan index, first, count),
    answered with a `Chunk` from `run_chunk` (or a `_Failure`); ("modules",), answered
    with `sys.modules`' names."""
    gc.freeze()  # what the parent left needs no collecting (and stays shared)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    for other in inherited:
        other.close()
    plans: list[Plan] = []
    start: str | None = None
    metrics = False
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        result: object
        if task[0] == "plans":
            _, plans, start, metrics = task
            continue
        if task[0] == "modules":
            result = sorted(sys.modules)
        else:
            try:
                number, first, count = task
                result = run_chunk(plans[number], first, count, start, metrics)
            except Exception as error:  # noqa: BLE001 - raised again in the parent
                result = _Failure(error)
        try:
            if isinstance(result, Chunk) and result.metrics is not None:
                _Arrays.send(conn, result)
            else:
                conn.send(result)
        except OSError:  # the parent is gone
            return


class Gathered:
    """A run's raw metrics (replications x raw metrics x months) or, gathered with
    `metrics`, each replication's metric row instead (`sim.periods.metric_rows`; `raw` is
    then None); its sellers (one structured array, `sim.sellers.SELLER_DTYPE`, in
    replication order) and, when gathered with a start month, reps.csv's rows as the
    workers rendered them."""

    __slots__ = ("raw", "sellers", "text", "metrics")

    def __init__(self, raw: np.ndarray | None, sellers: np.ndarray, text: bytes | None,
                 metrics: np.ndarray | None = None) -> None:
        self.raw = raw
        self.sellers = sellers
        self.text = text
        self.metrics = metrics


def gather(
    plan: Plan,
    replications: int,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    connect_timeout: float | None = None,
    start: str | None = None,
    metrics: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> Gathered:
    """All replications, as arrays: the parent only copies and concatenates what the
    workers computed (with `start`, also the text of reps.csv's rows they rendered; with
    `metrics`, each replication's metric row, not its raw arrays: see `run_chunk`).
    `meanwhile`: see `plan_chunks`."""
    [done] = gather_plans([plan], replications, workers, progress, scheduler, connect_timeout,
                          start, metrics, meanwhile)
    return done


def gather_plans(
    plans: Sequence[Plan],
    replications: int,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    connect_timeout: float | None = None,
    start: str | None = None,
    metrics: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> Iterator[Gathered]:
    """`gather` for each plan (a comparison's, all with `replications`), yielded in order
    as soon as its last chunk is in: local workers go on with the next plan's chunks while
    the caller handles this one's. Consume it to the end (or close it: that stops the
    workers)."""
    outs: dict[int, np.ndarray] = {}

    def out_of(number: int) -> np.ndarray:
        if number not in outs:
            plan = plans[number]
            layout = layout_for(plan)
            outs[number] = np.empty(
                (replications, Periods(plan, layout).width) if metrics
                else (replications, len(layout), plan.months))
        return outs[number]

    def gathered(out: np.ndarray, sellers: list[np.ndarray], texts: list[bytes]) -> Gathered:
        table = np.concatenate(sellers) if sellers else np.zeros(0, SELLER_DTYPE)
        text = b"".join(texts) if start is not None else None
        return Gathered(None, table, text, out) if metrics else Gathered(out, table, text)

    if replications <= 0:  # no chunk to wait for
        for number in range(len(plans)):
            yield gathered(out_of(number), [], [])
        return
    sellers: list[np.ndarray] = []
    texts: list[bytes] = []
    received = 0
    for number, chunk in plan_chunks(plans, replications, workers, scheduler, connect_timeout,
                                     start, metrics, out_of, meanwhile):
        out = out_of(number)
        part = chunk.metrics if metrics else chunk.raw
        if part.base is not out:  # else read into its place already
            out[chunk.first : chunk.first + len(chunk)] = part
        sellers.append(chunk.sellers)
        if chunk.text is not None:
            texts.append(chunk.text)
        if progress is not None:
            progress(len(chunk))
        received += len(chunk)
        if received == replications:  # this plan's last chunk (chunks come in order)
            del outs[number]
            yield gathered(out, sellers, texts)
            sellers, texts, received = [], [], 0


def run_plan(
    plan: Plan,
    replications: int,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    connect_timeout: float | None = None,
) -> tuple[np.ndarray, list[tuple]]:
    """All replications: raw metrics (replications x raw x months) and seller rows,
    `(replication, *SellerRow)` tuples (for tests and scripts; runs use `gather`)."""
    done = gather(plan, replications, workers, progress, scheduler, connect_timeout)
    roles = [r.name for r in plan.roles]
    columns = [done.sellers[name].tolist() for name in RAW_FIELDS]
    columns[1] = [roles[code] for code in columns[1]]
    columns[5] = [math.nan if left != left else left for left in columns[5]]  # one NaN
    return done.raw, list(zip(*columns, strict=True))


# ---- the memory guard -------------------------------------------------------------
# Measured on this engine (see tests/test_memory_guard.py and docs/model.md "Guards"), with
# some margin: what one replication's model holds per person who ever works in it (their
# random streams and draw blocks), per customer and per opportunity drawn in a month; and
# what the parent keeps per seller row and per replication until the outputs are written.
# (A person was 9,000 bytes with numpy's Generator per stream and draw blocks of 128; with
# the compiled core's C streams and blocks of 16, about 2,900; with each model collected
# after its replication and a seller as a row of floats, not a tuple, runs of 1,000 to 3,600
# people grow by about 2,000 bytes a person, their opportunities included. A chunk's seller
# row costs 250-300 bytes with its reps.csv line, rendered a slice of rows at a time.)
PERSON_BYTES = 2_000
CUSTOMER_BYTES = 200
OPPORTUNITY_BYTES = 400
MODEL_BYTES = 2_000_000
SELLER_ROW_BYTES = 500  # in the parent: the row, then its frame and parquet columns
CHUNK_ROW_BYTES = 500  # in a worker: a seller's block row, chunk row and reps.csv line
PARENT_BYTES = 40_000_000  # the parent's frames and writers, whatever the size
BYTES_PER_REPLICATION_OVERHEAD = 8_000  # frames, parquet rows, slack


def people_ever(plan: Plan) -> dict[str, float]:
    """Expected people who ever hold a seat of each role over the horizon: today's team and
    planned hires, and with backfill one more per departure (attrition x years per seat,
    at the largest attrition effect of any program or role)."""
    years = plan.months / 12
    boost = 1.0
    for effects in [p.effects for p in plan.programs] + [r.effects for r in plan.roles]:
        boost *= max(1.0, effects.get("attrition", 1.0))
    people = {}
    for role in plan.roles:
        if not role.kind.simulated:
            continue
        hires = sum(n for moves in plan.hiring.values() for name, n in moves
                    if name == role.name and n > 0)
        seats = role.headcount + hires
        turnover = role.attrition_per_day * YEAR_DAYS * boost * years if role.backfill else 0
        people[role.name] = seats * (1.0 + turnover)
    return people


def estimate_bytes(plan: Plan, replications: int, workers: int | None = 1) -> int:
    """Peak memory a run needs: the parent's metrics, frames and seller rows, plus in each
    worker process a replication's model (people who ever work, customers, a month's
    opportunities; the last one's is collected before it is built) and a chunk's results."""
    layout = layout_for(plan)
    quarters = plan.months // 3
    people = people_ever(plan)
    sellers = sum(n for r in plan.roles if r.kind.sells for n in [people[r.name]])
    raw = len(layout) * plan.months * 8
    derived = len(layout.outputs) * (plan.months + quarters + 1) * 8
    long_rows = len(layout.outputs) * quarters * 80  # the tidy per-replication frame
    parent = PARENT_BYTES + replications * (
        raw + derived + long_rows + sellers * SELLER_ROW_BYTES + BYTES_PER_REPLICATION_OVERHEAD)
    opportunities = expected_opportunities(plan)
    win_rate = max((s.win_rate for s in plan.segments), default=0.0)
    months = plan.months + plan.warm_months
    everyone = sum(people.values())
    model = (MODEL_BYTES + PERSON_BYTES * everyone
             + CUSTOMER_BYTES * (plan.customers_count + opportunities * win_rate)
             + OPPORTUNITY_BYTES * opportunities / max(1, months))
    chunk = min(CHUNK, replications) * (raw + sellers * CHUNK_ROW_BYTES)
    processes = chunk_workers(1 if workers is None else workers, replications)  # Dask: 0
    return int(parent + processes * (model + chunk))


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


# The time guard: seconds one replication takes on this machine kind (2 cores, CPython),
# fitted on measured runs (benchmarks/README.md, "What a replication costs"): a fixed part,
# each opportunity, each head-month, and a slowdown for very large teams (the collector and
# caches: 10,000 sellers cost ~25x per seller what 25 do). Conservative by about 25%.
SECONDS_FIXED = 5e-3
SECONDS_PER_OPPORTUNITY = 6e-6
SECONDS_PER_HEAD_MONTH = 7e-6
LARGE_TEAM = 1000  # people: beyond this, each costs (people / LARGE_TEAM) ** 0.42 more
MAX_RUN_SECONDS = 600  # about ten minutes: longer needs --allow-long


def estimate_seconds(plan: Plan, replications: int, workers: int | None = 1) -> float:
    """Wall time a run takes here, roughly: per replication from its opportunities and
    head-months (warm-up included), over the worker processes that run at once."""
    people = sum(people_ever(plan).values())
    months = plan.months + plan.warm_months
    per_replication = SECONDS_FIXED + (
        SECONDS_PER_OPPORTUNITY * expected_opportunities(plan)
        + SECONDS_PER_HEAD_MONTH * people * months
    ) * max(1.0, people / LARGE_TEAM) ** 0.42
    parallel = min(chunk_workers(max(1, workers or 1), replications), default_workers())
    return per_replication * replications / parallel


def _duration(seconds: float) -> str:
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:,.0f} days"


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


def check_memory(plan: Plan, replications: int, file: str | None = None,
                 workers: int | None = 1, allow_long: bool = False) -> None:
    """Refuse, before any work, a run whose size would exhaust this machine's memory, or
    (unless `allow_long`) take more than about ten minutes here. `workers` as for
    `run_plan` (None = all cores; 0 = none here, the run is on a Dask cluster)."""
    workers = default_workers() if workers is None else workers
    need = estimate_bytes(plan, replications, workers)
    have = available_bytes()
    if need > 0.8 * have:
        fixed = estimate_bytes(plan, 0, workers)
        per_replication = max(1, (need - fixed) // replications)
        fit = max(0, int((0.8 * have - fixed) // per_replication))
        if fit == 0:
            raise ScenarioError(
                file, "--workers", workers,
                f"a run this size needs about {need / 2**30:.1f} GiB of memory and "
                f"{have / 2**30:.1f} GiB is available; expected fewer workers")
        raise ScenarioError(
            file, "replications", replications,
            f"a run this size needs about {need / 2**30:.1f} GiB of memory and "
            f"{have / 2**30:.1f} GiB is available; expected at most about {fit:,} "
            "replications (use --replications)",
        )
    if allow_long or workers == 0:  # on a cluster, its size is its owner's to judge
        return
    seconds = estimate_seconds(plan, replications, workers)
    if seconds > MAX_RUN_SECONDS:
        per = seconds * min(max(1, workers), default_workers()) / replications
        raise ScenarioError(
            file, "replications", replications,
            f"this run would take about {_duration(seconds)} on this machine (about "
            f"{per:.2g} s a replication); expected a run of at most about ten minutes "
            "(fewer replications or a smaller team), or --allow-long to run it anyway",
        )
