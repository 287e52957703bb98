"""Check that a tuning step changed no number: dump raw metrics at two revisions, compare.

    python -m benchmarks.same_numbers dump before.pkl     # at the old revision
    python -m benchmarks.same_numbers dump after.pkl      # at the new one
    python -m benchmarks.same_numbers compare before.pkl after.pkl

The dump holds 12 replications of each shipped plan and of a two-segment stress scenario
(programs for new hires and the bottom quartile, support staff, planned hires and exits,
heavy attrition, no backfill in one role, limited capacity): raw monthly metrics and seller
rows, compared exactly.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.api import load
from sim.model import Model
from sim.plan import Plan, compile_plan
from tests.factories import stress_plan

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("base", "hire5", "enablement", "support", "ai_assist")
REPLICATIONS = 12


def plans() -> Iterator[tuple[str, Plan]]:
    for name in SHIPPED:
        yield name, compile_plan(load(ROOT / "scenarios" / f"{name}.yaml"))
    yield "stress", stress_plan()


def dump(path: str) -> None:
    results = {}
    for name, plan in plans():
        for replication in range(REPLICATIONS):
            result = Model(plan, replication).run()
            results[(name, replication)] = (result.raw, result.sellers)
    with open(path, "wb") as out:
        pickle.dump(results, out)


def compare(before_path: str, after_path: str) -> int:
    with open(before_path, "rb") as before_file, open(after_path, "rb") as after_file:
        before, after = pickle.load(before_file), pickle.load(after_file)
    differ = [key for key in before
              if not np.array_equal(before[key][0], after[key][0], equal_nan=True)
              or repr(before[key][1]) != repr(after[key][1])]
    print(f"{len(before)} replications compared, {len(differ)} differ"
          + (f": {differ[:5]}" if differ else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["dump"] and len(sys.argv) == 3:
        dump(sys.argv[2])
    elif sys.argv[1:2] == ["compare"] and len(sys.argv) == 4:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
