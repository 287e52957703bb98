"""Simulate the shipped scenarios and write their side-by-side table into README.md.

    python docs/plans_table.py            # 1,000 replications each (the scenarios' own)
    python docs/plans_table.py --check    # exit 1 if README's table is not this script's

The table sits between the markers ``<!-- plans:start -->`` and ``<!-- plans:end -->``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.api import load, run  # noqa: E402

PLANS = ("base", "hire5", "enablement", "support", "ai_assist")
COLUMNS = (
    ("revenue_per_head", "revenue per head (annualized)"),
    ("bookings", "bookings, 2 years"),
    ("arr", "ARR at end"),
    ("cost_total", "cost, 2 years"),
    ("heads_total", "heads at end"),
)
START, END = "<!-- plans:start -->", "<!-- plans:end -->"


def money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"${value / 1e6:.2f}M"
    if abs(value) >= 1e3:
        return f"${value / 1e3:.0f}k"
    return f"{value:.0f}"


def cell(stat: dict, name: str) -> str:
    fmt = (lambda v: f"{v:.1f}") if name == "heads_total" else money
    return f"{fmt(stat['p50'])} ({fmt(stat['p10'])}–{fmt(stat['p90'])})"


def table(workers: int | None = None) -> str:
    rows = []
    settings = None
    for name in PLANS:
        scenario = load(ROOT / "scenarios" / f"{name}.yaml")
        result = run(scenario, workers=workers)
        headline = result.summary["headline"]
        settings = (scenario.replications, scenario.seed)
        rows.append(f"| `{name}` | " + " | ".join(cell(headline[c], c) for c, _ in COLUMNS) + " |")
    header = "| plan | " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "|---" * (len(COLUMNS) + 1) + "|"
    note = (f"Median (P10–P90) over {settings[0]:,} replications, seed {settings[1]}, "
            "8 quarters from 2027-01. Written by `python docs/plans_table.py`.")
    return "\n".join([note, "", header, rule, *rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = f"{START}\n{table(args.workers)}\n{END}"
    updated = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, text,
                     flags=re.S)
    if args.check:
        return 0 if updated == text else 1
    readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
