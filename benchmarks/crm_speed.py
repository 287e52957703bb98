"""Wall seconds of the whole `simrev fit` on a 100,000-opportunity synthetic export, and of
`simrev backtest --rolling 4` on the shipped example export (issue 14's targets: < 10 s and
< 1 min).

    python -m benchmarks.crm_speed [--opportunities 100000] [--skip-backtest]

The big export is `simrev synth` of a team of N / 112 sellers creating 5 opportunities a
month for two years (examples/crm-demo.yaml's shape, scaled), written to a temporary
folder; both commands run as subprocesses, as a user runs them (imports included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """\
name: crm-speed
start: 2023-01
quarters: 8
replications: 1
seed: 1
segments:
  mid:
    win_rate: 0.25
    no_decision: {{share: 0.15, after_days: 180}}
    deal_size:
      mix:
        - {{share: 0.7, mean: 12_000, cv: 0.5, name: seats}}
        - {{share: 0.3, mean: 60_000, cv: 0.4, name: platform}}
    cycle_days: {{mean: 55, cv: 0.6}}
roles:
  ae:
    kind: seller
    segment: mid
    headcount: {sellers}
    cost: 150_000
    ramp: [0.5, 1.0]
    attrition: 0.3
    backfill: true
    time_to_hire_days: {{mean: 50, cv: 0.4}}
    opps_per_month: 5
    opps_spread: 0.4
customers: {{count: 100, arr: 1_000_000}}
"""


def simrev(*args: object) -> float:
    """Run `simrev ARGS...` and return its wall seconds (it must succeed)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--skip-backtest", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = folder / "crm-speed.yaml"
        scenario.write_text(SCENARIO.format(sellers=max(1, round(args.opportunities / 112))))
        export, roster = folder / "crm.csv", folder / "roster.csv"
        made = simrev("synth", scenario, "--as-of", "2024-12-31", "--out", export,
                      "--roster", roster, "--quiet")
        rows = sum(1 for _ in export.open(encoding="utf-8")) - 1
        print(f"simrev synth: {rows:,} opportunities in {made:.1f} s")
        for label, extra in (("roster", ["--roster", roster]), ("no roster", [])):
            seconds = simrev("fit", export, "--as-of", "2024-12-30", "--out",
                             folder / label.replace(" ", "-"), "--quiet", *extra)
            print(f"simrev fit, {rows:,} opportunities, {label}: {seconds:.1f} s (target < 10)")
        if not args.skip_backtest:
            seconds = simrev("backtest", ROOT / "examples" / "crm-export.csv", "--as-of",
                             "2024-06-30", "--roster", ROOT / "examples" / "roster.csv",
                             "--rolling", "4", "--out", folder / "bt", "--quiet")
            print(f"simrev backtest --rolling 4 on examples/crm-export.csv: {seconds:.1f} s "
                  "(target < 60)")


if __name__ == "__main__":
    main()
