"""Seconds to read a CRM export of N opportunities (default 100,000) with `sim.crm.read_export`.

`python -m benchmarks.crm_read [N]` writes a Salesforce-style CSV (US dates, `$1,200.50`
amounts, four stages, 40 owners, three products) to a temporary folder and prints the best
of three reads. The whole fit on 100,000 rows must take under 10 s (issue 14), so reading
must be a small part of that.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.crm import read_export

AS_OF = "2019-06-30"


def write_export(path: Path, rows: int, seed: int = 7) -> Path:
    """A synthetic export of `rows` opportunities created over 2018-2019 (vectorised)."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), "D")
    closed = created + pd.to_timedelta(rng.integers(1, 200, rows), "D")
    stage = rng.choice(["Closed Won", "Closed Lost", "Prospecting", "Negotiation"], rows,
                       p=[0.25, 0.45, 0.15, 0.15])
    amount = np.round(rng.lognormal(np.log(20_000), 0.8, rows), 2)
    pd.DataFrame({
        "Opportunity ID": [f"006{i:09d}" for i in range(rows)],
        "Opportunity Owner": rng.choice([f"Seller {i}" for i in range(40)], rows),
        "Created Date": created.strftime("%m/%d/%Y"),
        "Close Date": closed.strftime("%m/%d/%Y"),
        "Stage": stage,
        "Amount": [f"${a:,.2f}" for a in amount],
        "Product": rng.choice(["Basic", "Pro", "Enterprise"], rows),
        "Lead Source": rng.choice(["Web", "Partner", "Outbound"], rows),
    }).to_csv(path, index=False)
    return path


def seconds_to_read(rows: int = 100_000, repeats: int = 3) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = write_export(Path(folder) / "export.csv", rows)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            read_export(path, as_of=AS_OF)
            best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(f"read_export, {n:,} opportunities: {seconds_to_read(n):.2f} s (best of 3)")
