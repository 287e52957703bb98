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
from tests.factories import SEGMENT, SELLER
from tests.factories import plan as test_plan

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("base", "hire5", "enablement", "support", "ai_assist")
REPLICATIONS = 12


def stress_plan() -> Plan:
    return test_plan(
        segments={"mid": dict(SEGMENT, inbound_opps_per_month=15),
                  "ent": dict(SEGMENT, accounts=3000, inbound_opps_per_month=30)},
        roles={
            "ae": dict(SELLER, attrition=0.6, backfill=True, ramp=[0, 0.5, 1], max_open_opps=6,
                       time_to_hire_days={"mean": 40, "cv": 0.4}, skill_sigma=0.4),
            "ent_ae": dict(SELLER, segment="ent", headcount=4, attrition=0.9, backfill=False,
                           time_to_hire_days={"mean": 40, "cv": 0.4}),
            "sdr": {"kind": "sdr", "segment": "ent", "headcount": 3, "cost": 80000,
                    "ramp": [0.5, 1], "opps_per_month": 8, "attrition": 0.5,
                    "time_to_hire_days": {"mean": 30, "cv": 0.3}},
            "coord": {"kind": "support", "segment": "mid", "headcount": 1, "cost": 70000,
                      "covers": 4, "effects": {"win_rate": 1.1, "cycle_time": 0.9},
                      "ramp": [0.5, 1]},
        },
        hiring=[{"role": "ae", "count": 3, "month": "2027-04"},
                {"role": "ent_ae", "count": -2, "month": "2027-07"}],
        programs={
            "new": {"start": "2027-03", "targets": {"role": "ae", "who": "new_hires"},
                    "effects": {"ramp_speed": 1.5, "time_to_hire": 0.7, "deal_size": 1.2},
                    "seat_cost_per_month": 100, "phase_in_months": 2},
            "coach": {"start": "2027-02", "months": 9,
                      "targets": {"role": "ae", "who": "bottom_quartile"},
                      "effects": {"win_rate": 1.3, "attrition": 0.5, "capacity": 1.2}},
        },
    )


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
