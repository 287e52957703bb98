"""What ranged assumptions cost a replication (issue 13: at most 10% more).

    python -m benchmarks.ranges [--replications 30] [--rounds 5] [--scenario FILE]

Runs the scenario as it is ("before": its effect sizes as plain numbers, the nominal values
of any ranges it has) and with every program and support-role effect written as a range a
billionth wide ("after": each replication draws every range and compiles its own plan, the
whole cost of ranges, while the simulated work stays the same), each replication both ways
in turn on one core, and prints milliseconds per replication of each (the median round),
their ratio, and what drawing and compiling alone take per replication. This machine's
speed drifts by several percent between rounds: the last figure is the steady one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sim.api import load
from sim.model import Model
from sim.plan import Plan, compile_plan
from sim.ranges import Range, drawn_plan

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1e-9


def plans(path: Path) -> tuple[Plan, Plan, int]:
    """The plan at its nominal values, the plan with every effect ranged, and the count of
    ranges."""
    scenario = load(path)
    nominal = scenario.model_copy()
    nominal._ranges = ()
    found: list[Range] = []
    for name, program in scenario.programs.items():
        found += [Range(("programs", name, "effects", lever), v, v + WIDTH)
                  for lever, v in program.effects.items()]
    for name, role in scenario.roles.items():
        found += [Range(("roles", name, "effects", lever), v, v + WIDTH)
                  for lever, v in role.effects.items()]
    ranged = scenario.model_copy()
    ranged._ranges = tuple(found)
    return compile_plan(nominal), compile_plan(ranged), len(found)


def timed(plan: Plan, replication: int) -> float:
    start = time.process_time()
    Model(plan, replication).run()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "ai_assist.yaml"))
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    before, after, count = plans(Path(args.scenario))
    if not count:
        raise SystemExit(f"{args.scenario} has no effects to write as ranges")
    for replication in range(3):  # warm caches and imports
        timed(before, replication)
    rounds: dict[str, list[float]] = {"before": [], "after": []}
    for round_ in range(args.rounds):
        spent = {"before": 0.0, "after": 0.0}
        for replication in range(args.replications):
            # each replication both ways, one right after the other, in alternating order:
            # this machine's speed drifts by more than the difference measured
            order = ("before", "after") if (round_ + replication) % 2 else ("after", "before")
            for which in order:
                spent[which] += timed(before if which == "before" else after, replication)
        for which, seconds in spent.items():
            rounds[which].append(1000 * seconds / args.replications)
    start = time.process_time()
    for replication in range(args.replications):
        drawn_plan(after, replication)
    overhead = 1000 * (time.process_time() - start) / args.replications
    b, a = statistics.median(rounds["before"]), statistics.median(rounds["after"])
    print(f"{Path(args.scenario).name}: {count} ranges, {args.rounds} rounds of "
          f"{args.replications} replications on one core (median round)")
    print(f"before (plain numbers): {b:.1f} ms per replication")
    print(f"after (every effect a range): {a:.1f} ms per replication")
    print(f"ratio after / before: {a / b:.3f} (target <= 1.10)")
    print(f"drawing and compiling alone: {overhead:.2f} ms per replication "
          f"({overhead / b:.1%} of a replication)")


if __name__ == "__main__":
    main()
