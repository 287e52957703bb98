"""Milliseconds per replication of the compiled core, the interpreted core (the same source,
``SIMREV_CORE=interpreted``) and the naive SimPy reference, measured in one run.

    python -m benchmarks.cores [--scenario scenarios/hire5.yaml] [--replications 100]
                               [--rounds 3] [--profile]

Each core runs its replications as a worker does (`sim.runner.simulate_chunk`: automatic
garbage collection off, finished models collected by hand), in a fresh process (a process
imports one core); the rounds alternate compiled, interpreted, naive, so the machine's
drift falls on all three alike, and the best round of each is printed with the ratios.
`--profile` adds a cProfile of the compiled core by internal time (compiled functions are
not profiled one by one: what shows is what they call, SimPy, numpy and the modules still
interpreted).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIME_ONE_CORE = """
import sys
sys.path.insert(0, {root!r})
import time
from sim import core
from sim.api import load
from sim.plan import compile_plan
from sim.runner import simulate_chunk
plan = compile_plan(load({scenario!r}))
simulate_chunk(plan, 0, 2)
start = time.perf_counter()
simulate_chunk(plan, 0, {replications})  # as a worker runs them (no automatic collection)
print(core.describe(), (time.perf_counter() - start) / {replications} * 1000)
"""

PROFILE = """
import cProfile, pstats, sys
sys.path.insert(0, {root!r})
from sim.api import load
from sim.model import Model
from sim.plan import compile_plan
plan = compile_plan(load({scenario!r}))
Model(plan, 0).run()
cProfile.run("for r in range({replications}): Model(plan, r).run()", {out!r})
pstats.Stats({out!r}).sort_stats("tottime").print_stats(22)
"""


def core_ms(scenario: Path, replications: int, interpreted: bool) -> tuple[str, float]:
    """(the core that ran, ms per replication) in a fresh process."""
    env = dict(os.environ)
    env.pop("SIMREV_CORE", None)
    if interpreted:
        env["SIMREV_CORE"] = "interpreted"
    code = TIME_ONE_CORE.format(root=str(ROOT), scenario=str(scenario),
                                replications=replications)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return " ".join(out[:2]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "hire5.yaml")
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(report(args.scenario, args.replications, args.rounds))
    if args.profile:
        import tempfile

        out = os.path.join(tempfile.mkdtemp(), "compiled.prof")
        code = PROFILE.format(root=str(ROOT), scenario=str(args.scenario),
                              replications=args.replications, out=out)
        subprocess.run([sys.executable, "-c", code], check=True)


def report(scenario: Path, replications: int = 100, rounds: int = 3) -> str:
    """The three figures and their ratios, best of `rounds` alternating rounds."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.naive import ms_per_replication as naive_ms

    compiled, interpreted, naive = [], [], []
    name = "?"
    for _ in range(rounds):
        name, ms = core_ms(scenario, replications, interpreted=False)
        compiled.append(ms)
        interpreted.append(core_ms(scenario, replications, interpreted=True)[1])
        naive.append(naive_ms(50))
    c, i, n = min(compiled), min(interpreted), min(naive)
    lines = [f"{scenario.name}, ms per replication on one core (best of {rounds} rounds of "
             f"{replications}):",
             f"  installed ({name}): {c:.2f} ms" if name != "compiled core"
             else f"  compiled core:    {c:.2f} ms",
             f"  interpreted core: {i:.2f} ms",
             f"  naive SimPy reference (benchmarks/naive.py): {n:.2f} ms",
             f"  ratios: compiled / naive {c / n:.3f} (target 0.1), "
             f"compiled / interpreted {c / i:.3f}, interpreted / naive {i / n:.3f}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
