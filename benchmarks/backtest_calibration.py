"""Is the backtest's band honest, and does the model beat the baselines? Rolling backtests
on many synthetic exports of one known process (tests/synthetic_crm.py).

    python -m benchmarks.backtest_calibration [--exports 16] [--sellers 12]
        [--replications 100]

Each export is cut at 2023-06-30 and the three quarter ends before it, two quarters ahead
(8 forecasts per export). Prints, over all forecasts, the model's P10-P90 coverage (the
issue asks 70-90%) and each method's mean absolute percentage error. The test
(tests/test_backtest.py) runs 8 exports; this checks that passing is not luck.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from sim import backtest as bt
from tests.synthetic_crm import Truth
from tests.test_backtest import write_synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exports", type=int, default=16)
    parser.add_argument("--sellers", type=int, default=12)
    parser.add_argument("--replications", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    tables = []
    with tempfile.TemporaryDirectory() as work:
        for seed in range(1, args.exports + 1):
            export = write_synthetic(Path(work) / f"crm{seed}.csv",
                                     Truth(sellers=args.sellers), seed, "2024-01-01")
            tables.append(bt.backtest(export, "2023-06-30", quarters=2, rolling=3,
                                      replications=args.replications, seed=seed).table)
    table = pd.concat(tables, ignore_index=True)
    summary = bt.summarize(table)
    print(f"{args.exports} exports x {args.sellers} sellers, {len(table)} forecasts, "
          f"{args.replications} replications each, {time.perf_counter() - started:.0f} s")
    print(summary[["method", "horizon", "forecasts", "mape", "coverage"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
