"""Metrics: the raw per-month arrays a replication fills, and the planner's KPIs.

A replication records *raw* metrics month by month into one preallocated array: flows
(summed over a period) and stocks (the value at the period's end). Every KPI is derived
from the raws of a period (`derive`), so monthly, quarterly and whole-horizon figures
follow the same definitions, which `sim.metric_registry` states in words.

A ratio whose denominator is zero is missing (NaN), not zero.
"""

from __future__ import annotations

import numpy as np

from sim.metric_registry import output_metrics
from sim.plan import MONTH_DAYS

FLOWS: tuple[str, ...] = (
    "opps_created_self",
    "opps_created_sdr",
    "opps_created_inbound",
    "opps_unworked",
    "opps_lost_to_capacity",
    "opps_won",
    "opps_lost",
    "cycle_days_won_sum",
    "bookings",
    "expansion_arr",
    "churned_arr",
    "customers_won",
    "customers_churned",
    "revenue",
    "cost_people",
    "cost_commission",
    "cost_hiring",
    "cost_programs",
    "head_days",
    "seller_days",
    "ramp_days",
    "hires",
    "departures",
    "requisitions_follow",
)
# retention_*: the customers on the book twelve months before (0 without that history):
# their ARR then, the ARR then of those still on the book, and their ARR now
STOCKS: tuple[str, ...] = ("heads_total", "sellers", "open_opps", "arr", "customers",
                           "retention_arr_then", "retention_arr_kept", "retention_arr_now")


class Layout:
    """Where each raw metric lives in a replication's array."""

    def __init__(self, role_names: list[str], csm_roles: list[str]) -> None:
        self.role_heads = tuple(f"heads_{name}" for name in role_names)
        self.csm_heads = tuple(f"heads_{name}" for name in csm_roles)
        self.names = FLOWS + self.role_heads + STOCKS
        self.index = {name: i for i, name in enumerate(self.names)}
        self.n_flows = len(FLOWS)
        self.outputs = output_metrics(self.role_heads)

    def __len__(self) -> int:
        return len(self.names)


def periodize(raw: np.ndarray, layout: Layout, groups: list[np.ndarray]) -> np.ndarray:
    """Months -> periods: flows summed over each group of months, stocks at its last month.

    `raw` has shape (replications, raw metrics, months); the result (…, periods).
    """
    out = np.empty(raw.shape[:2] + (len(groups),))
    nf = layout.n_flows
    for p, months in enumerate(groups):
        out[:, :nf, p] = raw[:, :nf, months].sum(axis=2)
        out[:, nf:, p] = raw[:, nf:, months[-1]]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 or the quotient is not finite."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, np.nan)
    with np.errstate(over="ignore"):
        np.divide(num, den, out=out, where=den != 0)
    out[~np.isfinite(out)] = np.nan  # a ratio to a denormal cost overflows: no number
    return out


def derive(
    agg: np.ndarray,
    layout: Layout,
    months_per_period: np.ndarray,
    customers_avg: np.ndarray,
    other_heads: float | None = None,
) -> dict[str, np.ndarray]:
    """Every output metric of each period, shape (replications, periods).

    `customers_avg` holds the time-average customers of each period; `other_heads` the
    company's heads outside go-to-market (None: `revenue_per_employee` is missing).
    """
    r = {name: agg[:, i, :] for i, name in enumerate(layout.names)}
    days = months_per_period * MONTH_DAYS
    annualize = 12.0 / months_per_period
    m: dict[str, np.ndarray] = {name: r[name] for name in layout.role_heads}
    m["heads_total"] = r["heads_total"]
    m["sellers"] = r["sellers"]
    m["ramped_sellers"] = r["ramp_days"] / days
    m["hires"] = r["hires"]
    m["requisitions_follow"] = r["requisitions_follow"]
    m["departures"] = r["departures"]
    m["opps_created"] = r["opps_created_self"] + r["opps_created_sdr"] + r["opps_created_inbound"]
    for name in ("opps_created_self", "opps_created_sdr", "opps_created_inbound",
                 "opps_unworked", "opps_lost_to_capacity", "opps_won", "opps_lost",
                 "open_opps"):
        m[name] = r[name]
    m["win_rate"] = _ratio(r["opps_won"], r["opps_won"] + r["opps_lost"])
    m["cycle_days_won"] = _ratio(r["cycle_days_won_sum"], r["opps_won"])
    m["avg_deal_size"] = _ratio(r["bookings"], r["opps_won"])
    for name in ("bookings", "expansion_arr", "churned_arr"):
        m[name] = r[name]
    m["net_new_arr"] = r["bookings"] + r["expansion_arr"] - r["churned_arr"]
    m["grr"] = np.minimum(1.0, _ratio(r["retention_arr_kept"], r["retention_arr_then"]))
    m["nrr"] = _ratio(r["retention_arr_now"], r["retention_arr_then"])
    for name in ("arr", "revenue", "customers", "customers_won", "customers_churned",
                 "cost_people", "cost_commission", "cost_hiring", "cost_programs"):
        m[name] = r[name]
    m["cost_total"] = (
        r["cost_people"] + r["cost_commission"] + r["cost_hiring"] + r["cost_programs"]
    )
    m["revenue_per_head"] = _ratio(r["revenue"] * annualize, r["head_days"] / days)
    if other_heads is None:
        m["revenue_per_employee"] = np.full(r["revenue"].shape, np.nan)
    else:
        m["revenue_per_employee"] = _ratio(r["revenue"] * annualize,
                                           r["head_days"] / days + other_heads)
    m["arr_per_head"] = _ratio(r["arr"], r["heads_total"])
    m["bookings_per_seller"] = _ratio(r["bookings"] * annualize, r["seller_days"] / days)
    csm = sum((r[name] for name in layout.csm_heads), np.zeros_like(r["arr"]))
    m["arr_per_csm"] = _ratio(r["arr"], csm)
    m["sales_expense_ratio"] = _ratio(m["cost_total"], r["revenue"])
    previous_cost = np.concatenate(
        [np.full(m["cost_total"][:, :1].shape, np.nan), m["cost_total"][:, :-1]], axis=1
    )
    m["magic_number"] = _ratio(m["net_new_arr"], previous_cost)
    m["arr_per_customer"] = _ratio(r["arr"], r["customers"])
    m["new_logo_share"] = _ratio(r["bookings"], r["bookings"] + r["expansion_arr"])
    annual_churn = _ratio(r["customers_churned"] * annualize, customers_avg)
    m["clv"] = _ratio(m["arr_per_customer"], annual_churn)
    return {name: m[name] for name in layout.outputs}


def stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """mean, sd, p10, p50, p90 over replications (axis 0), ignoring missing values."""
    with np.errstate(all="ignore"), _quiet():
        count = np.sum(~np.isnan(values), axis=0)
        mean = np.nanmean(values, axis=0)
        sd = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.zeros_like(mean)
        sd = np.where(count > 1, sd, np.where(count == 1, 0.0, np.nan))
        p10, p50, p90 = _percentiles(values)
    return {"mean": mean, "sd": sd, "p10": p10, "p50": p50, "p90": p90}


def _percentiles(values: np.ndarray) -> np.ndarray:
    """`np.nanpercentile(values, [10, 50, 90], axis=0)`, the same numbers: columns without
    missing values in one vectorised call (nanpercentile goes column by column as soon as
    any value is missing), the others column by column."""
    q = [10, 50, 90]
    flat = values.reshape(values.shape[0], -1)
    out = np.empty((3, flat.shape[1]))
    missing = np.isnan(flat).any(axis=0)
    if (~missing).any():
        out[:, ~missing] = np.percentile(flat[:, ~missing], q, axis=0)
    for j in np.flatnonzero(missing):
        out[:, j] = np.nanpercentile(flat[:, j], q)
    return out.reshape((3, *values.shape[1:]))


class _quiet:
    """Silence numpy's warnings about all-missing slices (they become NaN, as meant)."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)
