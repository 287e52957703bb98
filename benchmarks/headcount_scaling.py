"""Cost of one replication against headcount: it should grow about linearly.

    python -m benchmarks.headcount_scaling                 # 1,000 / 3,000 / 10,000 sellers
    python -m benchmarks.headcount_scaling 1000 3000 --replications 2

One segment of N sellers (capacity-limited, ramping, attrition with backfill after a
time-to-hire) with inbound opportunities routed among them at one per seller per month,
N/10 SDRs feeding the same segment, and a book of N x 20 customers; 8 quarters. Prints
seconds per replication and microseconds per seller per replication (flat when the cost
is linear in headcount).
"""

from __future__ import annotations

import argparse
import time

from sim.model import Model
from sim.plan import Plan
from tests.factories import SEGMENT, SELLER, plan


def scaling_plan(sellers: int) -> Plan:
    """N sellers in one segment with inbound routing, attrition and backfill."""
    return plan(
        segments={"mid": dict(SEGMENT, inbound_opps_per_month=float(sellers))},
        roles={
            "ae": dict(SELLER, headcount=sellers, tenure_months=[6.0 * (i % 5) for i in
                                                                   range(sellers)],
                       ramp=[0.25, 0.5, 0.75, 1], max_open_opps=12, attrition=0.3,
                       backfill=True, time_to_hire_days={"mean": 45, "cv": 0.4},
                       skill_sigma=0.3),
            "sdr": {"kind": "sdr", "segment": "mid", "headcount": max(1, sellers // 10),
                    "cost": 80_000, "opps_per_month": 6, "attrition": 0.4,
                    "time_to_hire_days": {"mean": 30, "cv": 0.3}},
            "mgr": {"kind": "manager", "span": 8, "cost": 200_000},
        },
        customers={"count": 20 * sellers, "arr": 20 * sellers * 30_000.0, "churn": 0.1},
    )


def seconds_per_replication(sellers: int, replications: int) -> float:
    compiled = scaling_plan(sellers)
    start = time.process_time()
    for replication in range(replications):
        Model(compiled, replication).run()
    return (time.process_time() - start) / replications


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sellers", nargs="*", type=int, default=[1000, 3000, 10000])
    parser.add_argument("--replications", type=int, default=1)
    args = parser.parse_args()
    print(f"{'sellers':>8} {'s/replication':>14} {'us/seller':>10}")
    for sellers in args.sellers:
        seconds = seconds_per_replication(sellers, args.replications)
        print(f"{sellers:>8} {seconds:>14.2f} {1e6 * seconds / sellers:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
