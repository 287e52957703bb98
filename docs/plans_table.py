"""Simulate the shipped scenarios and write their tables into README.md.

    python docs/plans_table.py            # 1,000 replications each (the scenarios' own)
    python docs/plans_table.py --check    # exit 1 if README's table is not this script's

The side-by-side table sits between ``<!-- plans:start -->`` and ``<!-- plans:end -->``,
the paired comparison with the base between ``<!-- compare:start -->`` and
``<!-- compare:end -->``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.api import load, run_compared  # noqa: E402
from sim.compare import compare, in_words, increments  # noqa: E402
from sim.metric_registry import money  # noqa: E402
from sim.recommend import recommend  # noqa: E402

PLANS = ("base", "hire5", "enablement", "support", "ai_assist")
COLUMNS = (
    ("revenue_per_head", "GTM revenue per head (annualized)"),
    ("bookings", "bookings, 2 years"),
    ("arr", "ARR at end"),
    ("cost_total", "cost, 2 years"),
    ("heads_total", "heads at end"),
)
START, END = "<!-- plans:start -->", "<!-- plans:end -->"


def cell(stat: dict, name: str) -> str:
    fmt = (lambda v: f"{v:.1f}") if name == "heads_total" else money
    return f"{fmt(stat['p50'])} ({fmt(stat['p10'])}–{fmt(stat['p90'])})"


def table(results) -> str:
    rows = []
    for result in results:
        headline = result.summary["headline"]
        rows.append(f"| `{result.name}` | "
                    + " | ".join(cell(headline[c], c) for c, _ in COLUMNS) + " |")
    header = "| plan | " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "|---" * (len(COLUMNS) + 1) + "|"
    base = results[0].scenario
    note = (f"Median (P10–P90) over {base.replications:,} replications, seed {base.seed}, "
            "8 quarters from 2027-01. Written by `python docs/plans_table.py`.")
    return "\n".join([note, "", header, rule, *rows])


def paired_table(results) -> str:
    table = compare(results)
    extra = increments(results).set_index("scenario")
    metrics = ("revenue_per_head", "bookings", "arr")
    header = ("| plan | " + " | ".join(f"Δ {in_words(m)} (95% CI)" for m in metrics)
              + " | beats base on ARR | extra cost | ARR per extra $ |")
    rule = "|---" * (len(metrics) + 4) + "|"
    rows = []
    for name in [r.name for r in results[1:]]:
        part = table[table.scenario == name].set_index("metric")
        cells = [f"{money(part.loc[m, 'diff_mean'])} ({money(part.loc[m, 'diff_ci_low'])} to "
                 f"{money(part.loc[m, 'diff_ci_high'])})" for m in metrics]
        rows.append(f"| `{name}` | " + " | ".join(cells)
                    + f" | {100 * part.loc['arr', 'share_beating_base']:.0f}% | "
                    f"{money(extra.loc[name, 'incremental_cost'])} | "
                    f"{extra.loc[name, 'arr_per_extra_dollar']:.2f} |")
    note = ("Paired differences from `base` under common random numbers (whole horizon; ARR at "
            "the end); written by `python docs/plans_table.py`.")
    advice = f"Recommendation: {recommend(results).sentence}"
    return "\n".join([note, "", header, rule, *rows, "", advice])


def replace_block(text: str, start: str, end: str, body: str) -> str:
    block = f"{start}\n{body}\n{end}"
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: block, text, flags=re.S)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    results = run_compared([load(ROOT / "scenarios" / f"{name}.yaml") for name in PLANS],
                           workers=args.workers)
    updated = replace_block(text, START, END, table(results))
    updated = replace_block(updated, "<!-- compare:start -->", "<!-- compare:end -->",
                            paired_table(results))
    if args.check:
        return 0 if updated == text else 1
    readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
