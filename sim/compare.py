"""Paired comparison of scenarios simulated with common random numbers.

Scenarios compared together are run with the base's seed and replication count, so
replication r of every scenario sees the same random streams for the same identities. The
difference of a metric between a plan and the base is then taken replication by
replication, which removes the noise they share: its 95% confidence interval is
``mean(d) ± t(0.975, R-1) · sd(d) / sqrt(R)`` over the per-replication differences d.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pandas as pd

from sim.metric_registry import COMPARED, label
from sim.results import RunResult

# compare.csv's columns in words (the workbook's headers).
COLUMN_LABELS: dict[str, str] = {
    "scenario": "scenario",
    "metric": "metric",
    "label": "label",
    "mean": "mean",
    "p10": "P10",
    "p50": "P50",
    "p90": "P90",
    "diff_mean": "difference vs base (mean)",
    "diff_se": "standard error of the difference",
    "diff_ci_low": "difference, 95% CI low",
    "diff_ci_high": "difference, 95% CI high",
    "share_beating_base": "share of replications beating base",
    "verdict": "verdict",
}


@functools.cache
def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom.

    scipy.special's `stdtrit` is what `scipy.stats.t.ppf` computes (the same value, bit
    for bit), without importing scipy.stats (about a second); a comparison asks for the
    same `df` for every metric and plan, hence the cache."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.975))


def paired(base: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Mean paired difference `other - base`, its standard error and 95% interval."""
    keep = ~(np.isnan(base) | np.isnan(other))
    d = other[keep] - base[keep]
    n = len(d)
    if n == 0:
        return {"diff": math.nan, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    half = t_quantile_975(n - 1) * se if n > 1 else math.nan
    return {"diff": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half}


def unpaired_se(base: np.ndarray, other: np.ndarray) -> float:
    """Standard error of the difference of means if the runs were independent."""
    base = base[~np.isnan(base)]
    other = other[~np.isnan(other)]
    return float(math.sqrt(base.var(ddof=1) / len(base) + other.var(ddof=1) / len(other)))


def in_words(metric: str) -> str:
    """A metric's label inside a sentence: `Total cost` -> `total cost`, `ARR` stays."""
    text = label(metric)
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def verdict(name: str, metric: str, interval: dict[str, float], higher_is_better: bool) -> str:
    low, high = interval["ci_low"], interval["ci_high"]
    what = in_words(metric)
    if math.isnan(low):
        return "no estimate"
    if low <= 0 <= high:
        return f"{name} and base are not distinguishable on {what} (interval includes 0)"
    better = (low > 0) == higher_is_better
    return f"{name} {'beats' if better else 'trails'} base on {what} (interval excludes 0)"


def compare(results: list[RunResult]) -> pd.DataFrame:
    """One row per scenario x compared metric; the first result is the base."""
    if len(results) < 1:
        raise ValueError("compare needs at least one result")
    base = results[0]
    rows = []
    for result in results:
        if len(result.totals) != len(base.totals):
            raise ValueError("compared runs must have the same replications")
        for metric, higher in COMPARED.items():
            values = result.totals[metric].to_numpy(float)
            base_values = base.totals[metric].to_numpy(float)
            interval = paired(base_values, values)
            diff = values - base_values
            valid = ~np.isnan(diff)
            beats = (diff[valid] > 0) if higher else (diff[valid] < 0)
            with warnings.catch_warnings():  # an all-missing metric is NaN, as meant
                warnings.simplefilter("ignore", RuntimeWarning)
                p10, p50, p90 = np.nanpercentile(values, [10, 50, 90])
                mean = float(np.nanmean(values))
            rows.append({
                "scenario": result.name,
                "metric": metric,
                "mean": mean,
                "p10": float(p10), "p50": float(p50), "p90": float(p90),
                "diff_mean": interval["diff"],
                "diff_se": interval["se"],
                "diff_ci_low": interval["ci_low"],
                "diff_ci_high": interval["ci_high"],
                "share_beating_base": float(beats.mean()) if valid.any() else math.nan,
                "verdict": "base" if result is base else verdict(
                    result.name, metric, interval, higher),
            })
    return pd.DataFrame(rows)


def increments(results: list[RunResult]) -> pd.DataFrame:
    """Incremental cost and ARR of each plan over the base, and ARR per extra dollar."""
    base = results[0]
    rows = []
    for result in results[1:]:
        cost = paired(base.totals["cost_total"].to_numpy(float),
                      result.totals["cost_total"].to_numpy(float))
        arr = paired(base.totals["arr"].to_numpy(float), result.totals["arr"].to_numpy(float))
        rows.append({
            "scenario": result.name,
            "incremental_cost": cost["diff"],
            "incremental_arr": arr["diff"],
            "arr_per_extra_dollar": arr["diff"] / cost["diff"] if cost["diff"] else math.nan,
        })
    return pd.DataFrame(rows)
