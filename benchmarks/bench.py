"""Speed and memory of simrev on this machine.

    python benchmarks/bench.py                  # all figures
    python benchmarks/bench.py --replications 1000 --scenario scenarios/hire5.yaml

Prints: ms per replication on one core (and of the naive reference and the bare-loop
floor, measured alongside, since this machine's speed varies from day to day); wall
seconds for a full run (simulate, aggregate, write every output file) on all cores; peak
memory (resident set) of that run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.timing import mean_ms  # noqa: E402
from sim.api import load, run  # noqa: E402
from sim.model import Model  # noqa: E402
from sim.plan import compile_plan  # noqa: E402
from sim.runner import default_workers  # noqa: E402


def ms_per_replication(scenario_path: Path, replications: int) -> float:
    plan = compile_plan(load(scenario_path))
    return mean_ms(lambda replication: Model(plan, replication).run(), replications)


def full_run_seconds(scenario_path: Path, replications: int, workers: int) -> float:
    from sim.outputs import write_run

    start = time.perf_counter()
    result = run(load(scenario_path, replications=replications), workers=workers)
    with tempfile.TemporaryDirectory() as out:
        write_run(result, out)
    return time.perf_counter() - start


def peak_rss_mib() -> float:
    """Peak resident memory of this process and of its (finished) worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description="simrev benchmarks")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "hire5.yaml")
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--single", type=int, default=100, help="replications timed on one core")
    parser.add_argument("--big", type=int, default=0, metavar="N",
                        help="also measure peak memory of an N-replication run (e.g. 10000)")
    args = parser.parse_args()
    workers = default_workers()
    print(f"machine: {os.cpu_count()} cores; scenario {args.scenario.name}")
    from benchmarks.cores import report as cores_report
    from benchmarks.floor import ms_per_replication as floor_ms

    # compiled core, interpreted core, naive reference and their ratios (benchmarks/cores.py)
    print(cores_report(args.scenario, args.single))
    floor = floor_ms()
    print(f"floor: {floor:.1f} ms per replication for a bare loop over the same number of "
          f"opportunities with routing and closes (benchmarks/floor.py)")
    seconds = full_run_seconds(args.scenario, args.replications, workers)
    print(f"{args.replications:,} replications on {workers} workers, outputs written: "
          f"{seconds:.1f} s wall")
    print(f"peak memory (largest process): {peak_rss_mib():.0f} MiB")
    if args.big:
        print(big_run(args.scenario, args.big))


def big_run(scenario_path: Path, replications: int) -> str:
    """Wall time and peak memory of a large run, measured in a fresh process."""
    import subprocess

    code = (
        "import resource, sys, tempfile, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from sim.api import load, run\n"
        "from sim.outputs import write_run\n"
        "start = time.perf_counter()\n"
        f"result = run(load({str(scenario_path)!r}, replications={replications}), workers=None)\n"
        "write_run(result, tempfile.mkdtemp())\n"
        "own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(f'{time.perf_counter() - start:.1f} {max(own, kids) / 1024:.0f}')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    seconds, mib = done.stdout.split()
    return (f"{replications:,} replications, outputs written: {seconds} s wall, "
            f"peak memory {mib} MiB")


if __name__ == "__main__":
    main()
