"""Every output metric of each replication, month, quarter and the whole horizon (numpy only).

Worker processes derive these from their own replications' raw arrays (`sim.runner`), so the
parent only summarises across replications. A replication's values depend on its raw array
alone (flows summed within it, ratios element by element), so they are the same whichever
process computes them and however many replications are computed at once.

One replication's values are one row (`metric_rows`), laid out by `Periods`: the months'
metrics (month 1's metrics in `Layout.outputs` order, then month 2's, ...), then the
quarters', then the whole horizon's — the row order of the tidy frames and of
replications.parquet, so that those are slices of the rows, not transposes.
"""

from __future__ import annotations

import numpy as np

from sim.metrics import Layout, derive, periodize
from sim.plan import Plan


class Periods:
    """Where each period's metrics lie in a replication's row of `metric_rows`."""

    def __init__(self, plan: Plan, layout: Layout) -> None:
        self.names: tuple[str, ...] = tuple(layout.outputs)
        self.months = plan.months
        self.quarters = plan.months // 3
        n = len(self.names)
        self.monthly = slice(0, self.months * n)
        self.quarterly = slice(self.monthly.stop, self.monthly.stop + self.quarters * n)
        self.total = slice(self.quarterly.stop, self.quarterly.stop + n)
        self.width = self.total.stop


def period_metrics(
    raw: np.ndarray, layout: Layout, plan: Plan, groups: list[np.ndarray]
) -> dict[str, np.ndarray]:
    """Every output metric per replication and period (replications x periods)."""
    agg = periodize(raw, layout, groups)
    months = np.array([len(g) for g in groups], dtype=float)
    return derive(agg, layout, months, customers_average(raw, layout, plan, groups),
                  plan.other_heads)


def customers_average(
    raw: np.ndarray, layout: Layout, plan: Plan, groups: list[np.ndarray]
) -> np.ndarray:
    """Time-average customers of each period (replications x periods): the mean over its
    months of (customers at the month's start + at its end) / 2."""
    end = raw[:, layout.index["customers"], :]
    start = np.concatenate(
        [np.full((len(raw), 1), float(plan.customers_count)), end[:, :-1]], axis=1
    )
    month_avg = (start + end) / 2
    return np.stack([month_avg[:, g].mean(axis=1) for g in groups], axis=1)


def horizon_magic_number(quarterly: dict[str, np.ndarray]) -> np.ndarray:
    """Net new ARR of quarters 2..n over the cost of quarters 1..n-1."""
    net_new = quarterly["net_new_arr"][:, 1:].sum(axis=1)
    cost = quarterly["cost_total"][:, :-1].sum(axis=1)
    out = np.full(net_new.shape, np.nan)
    np.divide(net_new, cost, out=out, where=cost != 0)
    return out


def metric_rows(raw: np.ndarray, layout: Layout, plan: Plan) -> np.ndarray:
    """Each replication's metrics of every month, quarter and the horizon, one row per
    replication of `raw` (replications x raw metrics x months), laid out by `Periods`."""
    where = Periods(plan, layout)
    months, quarters = where.months, where.quarters
    monthly = period_metrics(raw, layout, plan, [np.array([k]) for k in range(months)])
    quarterly = period_metrics(raw, layout, plan,
                               [np.arange(3 * q, 3 * q + 3) for q in range(quarters)])
    total = period_metrics(raw, layout, plan, [np.arange(months)])
    total["magic_number"] = horizon_magic_number(quarterly)[:, None]
    out = np.empty((len(raw), where.width))
    for part, values in ((where.monthly, monthly), (where.quarterly, quarterly),
                         (where.total, total)):
        # (replications, periods, metrics), flattened period by period
        out[:, part] = np.stack([values[n] for n in where.names], axis=2).reshape(len(raw), -1)
    return out
