"""Seconds to run every estimator of `simrev fit` on a synthetic cut of N opportunities.

    python -m benchmarks.fit_speed [100000]

A synthetic cut (tests/synthetic_crm.py) of about N opportunities: 24 months, sellers at
6 opportunities a month, so N / 144 seats; prints the rows, sellers and wall seconds of
`sim.estimate.fit` with a roster and without one.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from sim import estimate
from tests.synthetic_crm import Truth, synthetic_cut


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("opportunities", nargs="?", type=int, default=100_000)
    args = parser.parse_args()
    truth = replace(Truth(), sellers=max(1, round(args.opportunities / (6 * 24))))
    frame, roster, cut = synthetic_cut(truth, seed=1)
    for label, r in (("roster", roster), ("no roster", None)):
        start = time.perf_counter()
        estimate.fit(frame, cut, r)
        seconds = time.perf_counter() - start
        print(f"{len(frame):,} opportunities, {len(roster):,} sellers, {label}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
