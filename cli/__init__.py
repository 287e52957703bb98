"""The `simrev` command line (see `cli.main`)."""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

INTERRUPTED = "simrev: interrupted; previous results are untouched"


def _interrupted_while_starting(signum: int, _frame: object) -> None:
    """Ctrl-C or SIGTERM while the command is still importing: nothing is running and
    nothing is written yet, so say so in one line and go."""
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    os._exit(130)


# Commands that simulate, in worker processes unless --workers 1 or --scheduler.
SIMULATING = frozenset({"run", "compare", "backtest"})


def workers_to_prestart(args: list[str]) -> int:
    """Worker processes a command line will want (0: none or unknown), read from its
    words before click parses them; a wrong guess only costs idle processes."""
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in SIMULATING or any(a in ("-h", "--help", "--version") for a in args):
        return 0
    workers = None
    for i, arg in enumerate(args):
        if arg.startswith("--scheduler") or (arg == "--workers" and i + 1 == len(args)):
            return 0
        if arg == "--workers":
            workers = args[i + 1]
        elif arg.startswith("--workers="):
            workers = arg.partition("=")[2]
    if os.environ.get("SIMREV_SCHEDULER", "").strip():
        return 0
    if workers is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    return int(workers) if workers.isdigit() else 0


def entry() -> None:
    """The `simrev` program: one line and exit 130 on an interrupt from the very start
    (`cli.main` takes over the signals once its imports are done).

    A command that simulates starts its worker processes first, with only the simulation
    imported (numpy, simpy, sim.model): they never load pandas, pyarrow, pydantic or rich,
    and start while this process imports the rest (see docs/model.md "Worker processes").
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupted_while_starting)
    workers = workers_to_prestart(sys.argv[1:])
    if workers > 1:
        from sim.runner import prestart

        prestart(workers)
    from cli.main import main

    try:
        main()
    except SystemExit as done:
        end(done.code)


def end(code: object) -> NoReturn:
    """Exit with `code` (as `sys.exit` reads it) once stdout and stderr are flushed,
    without the interpreter's teardown: freeing pandas, pyarrow and the rest module by
    module took 0.15-0.3 s after every command's work was done. Nothing is lost: every
    file is written and closed by then, and the worker processes are stopped first
    (`stop_children`). Under a profiler or tracer (`python -m cProfile -m cli ...`, coverage)
    the normal exit runs, so that they can write their results."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    stop_children()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or file: nothing more can reach it
            pass
    os._exit(status)


def stop_children() -> None:
    """Kill and reap this process's worker processes (idle once a command is done), as
    the normal exit does: none outlives the command, and whoever waits for it counts
    their resources (a benchmark's peak memory of the largest process)."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(5.0)
