"""Instructions per replication of the compiled core, the interpreted core and the naive SimPy
reference, counted by valgrind's callgrind: the same count whatever else the machine does.

    python -m benchmarks.instructions [--scenario scenarios/hire5.yaml] [--replications 5]

Wall-clock ratios drift with the load of a shared machine (±15% by the hour, and far more
when other work runs); an instruction count does not, so it is the figure to compare
engine changes by. Each figure is the difference between a process that runs `N + 1`
replications and one that runs 1 (as a worker runs them: `sim.runner.simulate_chunk`),
divided by `N`, so start-up, imports and the first replication's warm-up cancel out.
Instructions are not time — a cache miss or a branch costs more than an add — but for the
same interpreter on the same machine they track it closely. Needs `valgrind` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENGINE = """
from sim.api import load
from sim.plan import compile_plan
from sim.runner import simulate_chunk
simulate_chunk(compile_plan(load({scenario!r})), 0, {count})
"""
NAIVE = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.naive import naive_replication
for seed in range({count}):
    naive_replication(seed)
"""


def instructions(code: str, interpreted: bool = False) -> int:
    """Instructions callgrind counts for ``python -c code`` (the whole process)."""
    # one BLAS thread: idle BLAS threads spin, and callgrind would count their spinning;
    # a fixed string hash: each seed lays dictionaries out differently, which moved the
    # count by up to ±1% from one process to the next
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0"}
    env.pop("SIMREV_CORE", None)
    if interpreted:
        env["SIMREV_CORE"] = "interpreted"
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/out",
             sys.executable, "-c", code],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def per_replication(template: str, replications: int, interpreted: bool = False,
                    **fields: object) -> float:
    """Instructions per replication: (N + 1 replications - 1 replication) / N."""
    one = instructions(template.format(count=1, **fields), interpreted)
    more = instructions(template.format(count=replications + 1, **fields), interpreted)
    return (more - one) / replications


def report(scenario: Path, replications: int = 5) -> str:
    fields = {"scenario": str(scenario), "root": str(ROOT)}
    compiled = per_replication(ENGINE, replications, **fields)
    interpreted = per_replication(ENGINE, replications, interpreted=True, **fields)
    naive = per_replication(NAIVE, replications, **fields)
    millions = 1e6
    return "\n".join([
        f"{scenario.name}, instructions per replication (callgrind, {replications} "
        "replications beyond the first):",
        f"  compiled core:    {compiled / millions:7.1f} M",
        f"  interpreted core: {interpreted / millions:7.1f} M",
        f"  naive SimPy reference (benchmarks/naive.py): {naive / millions:7.1f} M",
        f"  ratios: compiled / naive {compiled / naive:.3f} (target 0.1), "
        f"compiled / interpreted {compiled / interpreted:.3f}, "
        f"interpreted / naive {interpreted / naive:.3f}",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "hire5.yaml")
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    print(report(args.scenario, args.replications))


if __name__ == "__main__":
    main()
