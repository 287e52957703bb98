"""What drives the answer: each ranged assumption's effect on an outcome, from one run.

A scenario's ranges are drawn once per replication (`RunResult.draws`), so the
replications of one run already hold the experiment: no extra runs are needed.

Method (a tornado in outcome units). For an assumption and an outcome (a metric over the
whole horizon, or a plan's paired difference from the base), sort the replications by the
drawn value and take the lowest fifth and the highest fifth (`n // 5` replications each).
Its effect is the **swing**: the P50 of the outcome among the highest fifth minus the P50
among the lowest fifth. Assumptions are ranked by |swing| (1 = the largest), per outcome.

Noise: `swing_se` is the standard deviation of the swing over `RESAMPLES` bootstrap
resamples of the replications (drawn with replacement, the fifths chosen again in each),
from a stream keyed by the seed and the assumption's key path (`sim.streams.BOOTSTRAP`),
so the same run always gives the same table. A swing within about 2 × swing_se of zero is
noise: the assumption has no effect the run can tell apart.

Where the answer flips (`flip_point`): for a per-replication difference that is positive
when the recommended plan wins, the most influential assumption (largest |swing| of the
difference) is cut into equal-count bins of its draws; if the mean difference in the bin at
one end is clearly (95%) of the other sign, the value at which the binned conditional mean
crosses zero, interpolated linearly between bin centres, is where the answer flips.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.metric_registry import COMPARED, HEADLINE, label
from sim.results import RunResult
from sim.streams import BOOTSTRAP, name_id, stream

SHOWN_METRIC = "arr"  # the metric whose drivers the terminal shows (all are in the csv)
SHOWN_ROWS = 5  # ... its top five assumptions
FIFTHS = 5  # the lowest and highest fifth of an assumption's draws
RESAMPLES = 200  # bootstrap resamples for a swing's standard error
MAX_BINS = 10  # flip_point: at most ten bins of draws ...
PER_BIN = 20  # ... of at least twenty replications each
COLUMNS = ("assumption", "label", "metric", "metric_label", "low_fifth_to",
           "high_fifth_from", "low_p50", "high_p50", "swing", "swing_se", "rank")
# Sections whose second part is a name (`roles.ae...`): the name leads the label.
NAMED_SECTIONS = ("roles", "segments", "programs")
# Parts of a key path that say nothing to a reader.
SILENT_PARTS = ("effects",)


class Flip(NamedTuple):
    """Where the answer flips: `label` (the assumption, readable), the drawn `value`, and
    `direction`: "below" (the answer flips when the value is below it) or "above"."""

    label: str
    value: float
    direction: str


def assumption_label(key_path: str) -> str:
    """A key path for reading: `programs.ai_assist.effects.selling_time` -> `ai_assist
    selling time`, `segments.mid.deal_size.mean` -> `mid deal size mean`."""
    parts = [p for p in re.split(r"[.\[\]]+", key_path) if p]
    if len(parts) > 2 and parts[0] in NAMED_SECTIONS:
        name, rest = parts[1], parts[2:]
    else:
        name, rest = "", parts
    words = [p.replace("_", " ") for p in rest if p not in SILENT_PARTS]
    if parts and parts[0] == "hiring" and len(parts) > 1 and parts[1].isdigit():
        words[1] = f"entry {int(parts[1]) + 1}"  # hiring[0].count -> hiring entry 1 count
    return " ".join([name, *words] if name else words)


def draw_text(value: float | None) -> str:
    """A drawn value for reading: 1.08, 0.25, 40,000; missing is an en dash."""
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _by_replication(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` indexed by replication (a `replication` column, or the index as it is)."""
    if "replication" in frame.columns:
        return frame.set_index("replication")
    return frame


def _aligned(outcomes: pd.DataFrame, draws: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    draws = _by_replication(draws).sort_index()  # the same table whatever the rows' order
    outcomes = _by_replication(outcomes)
    missing = draws.index.difference(outcomes.index)
    if len(missing):
        raise ValueError(f"outcomes lack replications {list(missing[:5])} that have draws")
    return outcomes.loc[draws.index], draws


def _medians(values: np.ndarray) -> np.ndarray:
    """Medians along the last axis; NaN (a missing metric) left out, all-NaN gives NaN."""
    if not np.isnan(values).any():
        return np.median(values, axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=-1)


def _one(x: np.ndarray, y: np.ndarray, seed: int, key: str, resamples: int) -> list[dict]:
    """Rows of one assumption (draws `x`, n) for every outcome column of `y` (n, M)."""
    n, k = len(x), len(x) // FIFTHS
    order = np.argsort(x, kind="stable")
    if k < 1:
        nothing = {"low_fifth_to": math.nan, "high_fifth_from": math.nan,
                   "low_p50": math.nan, "high_p50": math.nan, "swing": math.nan,
                   "swing_se": math.nan}
        return [dict(nothing) for _ in range(y.shape[1])]
    low, high = order[:k], order[n - k:]
    bounds = {"low_fifth_to": float(x[low[-1]]), "high_fifth_from": float(x[high[0]])}
    if x[order[0]] == x[order[-1]]:  # drawn the same every time: no effect to see
        mid = _medians(y.T)
        return [dict(bounds, low_p50=float(m), high_p50=float(m), swing=0.0, swing_se=0.0)
                for m in mid]
    low_p50, high_p50 = _medians(y[low].T), _medians(y[high].T)
    rng = stream(seed, 0, BOOTSTRAP, name_id(key))
    picks = rng.integers(0, n, size=(resamples, n))
    sorted_picks = np.take_along_axis(picks, np.argsort(x[picks], axis=1, kind="stable"), 1)
    low_b, high_b = sorted_picks[:, :k], sorted_picks[:, n - k:]
    rows = []
    for m in range(y.shape[1]):
        column = y[:, m]
        swings = _medians(column[high_b]) - _medians(column[low_b])
        swings = swings[np.isfinite(swings)]
        se = float(swings.std(ddof=1)) if len(swings) > 1 else math.nan
        rows.append(dict(bounds, low_p50=float(low_p50[m]), high_p50=float(high_p50[m]),
                         swing=float(high_p50[m] - low_p50[m]), swing_se=se))
    return rows


def _rank(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """1 for the largest |swing| within each group of `by`; missing swings last."""
    size = frame["swing"].abs().fillna(-1.0)
    return size.groupby([frame[c] for c in by], sort=False).rank(
        method="first", ascending=False).astype(int)


def _metric_label(name: str) -> str:
    try:
        return label(name)
    except KeyError:
        return name


def sensitivity(outcomes: pd.DataFrame, draws: pd.DataFrame,
                metrics: Sequence[str] | None = None, *, seed: int = 0,
                resamples: int = RESAMPLES) -> pd.DataFrame:
    """The tornado table: one row per assumption x metric (see the module's docstring).

    `outcomes` has one row per replication (indexed by replication, or with a
    `replication` column) and one column per metric; `draws` one row per replication with
    a `replication` column and one column per assumption (its key path). `metrics` defaults
    to every column of `outcomes`. Columns: `COLUMNS`; rows by metric, then rank.
    """
    outcomes, draws = _aligned(outcomes, draws)
    metrics = list(outcomes.columns if metrics is None else metrics)
    y = outcomes[metrics].to_numpy(float)
    rows = []
    for key in draws.columns:
        x = draws[key].to_numpy(float)
        keep = np.isfinite(x)
        found = _one(x[keep], y[keep], seed, str(key), resamples)
        for metric, row in zip(metrics, found, strict=True):
            rows.append({"assumption": str(key), "label": assumption_label(str(key)),
                         "metric": metric, "metric_label": _metric_label(metric), **row})
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    frame["rank"] = _rank(frame, ["metric"])
    order = {m: i for i, m in enumerate(metrics)}
    frame["place"] = frame["metric"].map(order)
    frame = frame.sort_values(["place", "rank"], kind="stable")
    return frame.reset_index(drop=True)[list(COLUMNS)]


def _has_draws(result: RunResult) -> bool:
    draws = result.draws
    return draws is not None and any(c != "replication" for c in draws.columns)


def run_sensitivity(result: RunResult, metrics: Sequence[str] | None = None,
                    resamples: int = RESAMPLES) -> pd.DataFrame | None:
    """`sensitivity.csv` of a run: every headline metric; None when it has no ranges."""
    if not _has_draws(result) or result.totals is None:
        return None
    if metrics is None:
        metrics = [m for m in result.summary.get("headline", HEADLINE) if m in result.totals]
    return sensitivity(result.totals, result.draws, metrics, seed=result.scenario.seed,
                       resamples=resamples)


def joint_draws(results: Sequence[RunResult]) -> pd.DataFrame | None:
    """The draws that bear on a difference between `results` (e.g. a plan and the base):
    every assumption any of them states, each from the first result that states it (under
    common random numbers a shared one is drawn alike). None when none has ranges."""
    frames = [_by_replication(r.draws) for r in results if _has_draws(r)]
    if not frames:
        return None
    joint = frames[0]
    for other in frames[1:]:
        joint = joint.join(other[[c for c in other.columns if c not in joint.columns]])
    return joint.reset_index()


def paired_sensitivity(results: list[RunResult], metrics: Sequence[str] | None = None,
                       resamples: int = RESAMPLES) -> pd.DataFrame | None:
    """`sensitivity.csv` of a comparison: for each plan (the first result is the base), each
    assumption's effect on the paired difference plan - base of each compared metric.

    Columns `scenario` and then `COLUMNS`; None when no scenario has ranges.
    """
    base = results[0]
    metrics = list(COMPARED if metrics is None else metrics)
    frames = []
    for plan in results[1:]:
        draws = joint_draws([plan, base])
        if draws is None:
            continue
        diff = plan.totals[metrics] - base.totals[metrics]
        frame = sensitivity(diff, draws, metrics, seed=base.scenario.seed, resamples=resamples)
        frames.append(frame.assign(scenario=plan.name)[["scenario", *COLUMNS]])
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)


def flip_point(diff: Sequence[float] | pd.Series, draws: pd.DataFrame, *, seed: int = 0,
               resamples: int = RESAMPLES) -> Flip | None:
    """Where the answer flips, or None.

    `diff` is one value per replication (in the order of `draws`' rows, or a Series indexed
    by replication), positive where the recommended plan wins, e.g. its objective minus the
    runner-up's; `draws` e.g. `joint_draws([best, runner_up, base])`. The most influential
    assumption on it (largest |swing|) is binned by its draws (equal counts: at most
    `MAX_BINS` bins of at least `PER_BIN` replications); when
    the mean of `diff` in the bin at one end has a 95% interval wholly on the other side of
    zero from the overall mean, the drawn value where the binned means cross zero
    (interpolated between bin centres, the mean draw of each bin) is returned, with
    "below" for the low end and "above" for the high end. None when no assumption was
    drawn, the overall mean is zero, or the conditional mean never clearly crosses zero.
    """
    draws = _by_replication(draws).rename_axis("replication")
    if isinstance(diff, pd.Series):
        values = diff.reindex(draws.index).to_numpy(float)
    else:
        values = np.asarray(diff, float)
    if values.shape != (len(draws),):
        raise ValueError(f"diff has {values.shape} values for {len(draws)} replications")
    if draws.shape[1] == 0:
        return None
    outcome = pd.DataFrame({"diff": values}, index=draws.index)
    table = sensitivity(outcome, draws.reset_index(), seed=seed, resamples=resamples)
    table = table[np.isfinite(table["swing"])]
    if table.empty:
        return None
    key = str(table.iloc[0]["assumption"])
    x = draws[key].to_numpy(float)
    keep = np.isfinite(x) & np.isfinite(values)
    x, y = x[keep], values[keep]
    overall = float(y.mean()) if len(y) else 0.0
    if overall == 0.0 or np.ptp(x) == 0.0:
        return None
    bins = min(MAX_BINS, len(x) // PER_BIN)
    if bins < 2:
        return None
    chunks = np.array_split(np.argsort(x, kind="stable"), bins)
    centres = np.array([x[c].mean() for c in chunks])
    g = np.sign(overall) * np.array([y[c].mean() for c in chunks])  # > 0: the answer holds
    half = np.array([_half_width(y[c]) for c in chunks])
    flipped = {end: g[i] + half[i] < 0 for end, i in (("below", 0), ("above", bins - 1))}
    if not any(flipped.values()):
        return None
    if all(flipped.values()):
        direction = "below" if g[0] <= g[-1] else "above"
    else:
        direction = "below" if flipped["below"] else "above"
    steps = range(bins) if direction == "below" else range(bins - 1, -1, -1)
    previous = None
    for i in steps:
        if g[i] >= 0 and previous is not None:
            a, b = previous, i
            value = centres[a] + (0.0 - g[a]) * (centres[b] - centres[a]) / (g[b] - g[a])
            return Flip(assumption_label(key), float(value), direction)
        previous = i
    return None


def _half_width(values: np.ndarray) -> float:
    """Half the 95% interval of a mean (t, n - 1 degrees of freedom)."""
    from sim.compare import t_quantile_975

    n = len(values)
    if n < 2:
        return math.inf
    return t_quantile_975(n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
