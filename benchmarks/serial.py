"""Fixed and serial costs of a run (issue 15 items 3-4), printed in one run.

    python -m benchmarks.serial [--replications 1000] [--big 10000] [--sweep] [--skip-cold]

Prints:
- start-up: wall seconds of a cold `simrev --version`;
- wall seconds of a cold `simrev run scenarios/hire5.yaml --replications N` (a fresh
  process: start-up, simulation on all cores, every output file and the report);
- the parent's serial work per replication: its own CPU time (not the workers') to
  receive the chunks, aggregate and write every output, in ms per replication, by phase,
  measured on a run after a first, small one in the same process (whose one-time costs,
  printed apart, are not per replication: worker start, imports on first use);
- with --sweep, wall seconds of `simrev compare scenarios/base.yaml --hire ae=1,...,10`;
- with --big N, wall seconds and peak memory (largest process) of a cold N-replication run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cold(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB, largest process) of `simrev ARGS` in a fresh
    process (a fresh interpreter per call, so the peak is this command's)."""
    code = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'cli', *{args!r}], check=True,\n"
        "               stdout=subprocess.DEVNULL)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(time.perf_counter() - start, peak)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    seconds, mib = done.stdout.split()
    return float(seconds), float(mib)


WARM_UP = 50  # replications of the first run in the process (two chunks)


def serial_ms(scenario: Path, replications: int) -> dict[str, float]:
    """The parent's CPU ms in each phase of a run on all cores: to receive the chunks,
    aggregate them and write every output (the report included)."""
    from sim.aggregate import build_result
    from sim.api import load
    from sim.outputs import fill_run
    from sim.plan import compile_plan
    from sim.runner import default_workers, gather

    loaded = load(scenario, replications=replications)
    plan = compile_plan(loaded)
    clock = time.process_time
    t0 = clock()
    done = gather(plan, replications, default_workers(), start=loaded.start, metrics=True)
    t1 = clock()
    result = build_result(loaded, plan, done.raw, done.sellers, done.text, done.metrics)
    t2 = clock()
    with tempfile.TemporaryDirectory() as out:
        fill_run(result, Path(out))
        t3 = clock()
    ms = 1000.0
    return {"receive": (t1 - t0) * ms, "aggregate": (t2 - t1) * ms,
            "write": (t3 - t2) * ms, "total": (t3 - t0) * ms}


def phases(ms: dict[str, float], replications: int = 1) -> str:
    return ", ".join(f"{k} {v / replications:.3f}" for k, v in ms.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/hire5.yaml")
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--big", type=int, default=0, metavar="N")
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if not args.skip_cold:
        seconds, _ = cold(["--version"])
        print(f"cold `simrev --version`: {seconds:.2f} s")
        with tempfile.TemporaryDirectory() as out:
            seconds, mib = cold(["run", args.scenario, "--replications",
                                 str(args.replications), "--out", out, "--quiet"])
        print(f"cold `simrev run {args.scenario} --replications {args.replications:,}` "
              f"(all outputs and the report): {seconds:.1f} s wall, {mib:.0f} MiB peak")
    # A process's first run pays once for what later runs find ready: the workers' start,
    # the writers' and the report's imports on first use, numpy's and pandas' first calls.
    first = serial_ms(ROOT / args.scenario, WARM_UP)
    steady = serial_ms(ROOT / args.scenario, args.replications)
    per = {k: v / args.replications for k, v in steady.items()}
    print(f"parent's serial work, CPU ms per replication ({args.replications:,} replications, "
          f"after a first run of {WARM_UP}): {phases(per)}")
    first_run = (first["total"] + per["total"] * (args.replications - WARM_UP)) / args.replications
    print(f"  the first run of {WARM_UP} replications in the process, CPU ms in all: "
          f"{phases(first)}; a first run of {args.replications:,} would cost about "
          f"{first_run:.3f} ms per replication")
    if args.sweep:
        with tempfile.TemporaryDirectory() as out:
            seconds, mib = cold(["compare", "scenarios/base.yaml", "--hire",
                                 "ae=" + ",".join(map(str, range(1, 11))), "--out", out,
                                 "--quiet"])
        print(f"cold 10-variant hire sweep (compare base.yaml --hire ae=1..10): "
              f"{seconds:.1f} s wall, {mib:.0f} MiB peak")
    if args.big:
        with tempfile.TemporaryDirectory() as out:
            seconds, mib = cold(["run", args.scenario, "--replications", str(args.big),
                                 "--out", out, "--quiet", "--allow-long"])
        print(f"cold {args.big:,} replications: {seconds:.1f} s wall, peak memory "
              f"(largest process) {mib:.0f} MiB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"this process's peak: {own:.0f} MiB")


if __name__ == "__main__":
    main()
