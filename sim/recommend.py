"""One recommendation from a paired comparison: which plan to fund, and how sure.

The criterion (the *objective*) is by default **ARR per extra dollar**: a plan's ARR at the
end of the horizon minus the base's, over its total cost minus the base's, both paired
means over the replications (a ratio of means, as `increments.csv` shows it). Ranking by it
ranks the plans at equal budget: a dollar put in the plan with the higher ratio buys more
ARR. `objective` may instead name a metric of `sim.metric_registry` that has a direction
(`higher_is_better` set); plans are then ranked by its mean, in that direction.

A plan *beats the base* when the 95% confidence interval of its paired gain lies on the
good side of 0: ARR at the end for the default criterion (a plan that does not clearly add
ARR buys nothing, whatever it costs), the metric itself otherwise. Only plans that beat the
base are recommended; if none does, the sentence says to keep the base.

The default criterion per replication. A ratio of per-replication differences explodes
where a replication's extra cost is near 0, so each replication's ratio is read at first
order around the plan's mean extra cost C̄ (the delta method):
``z_r = R + (ΔARR_r − R · ΔC_r) / C̄``, where R = mean ΔARR / C̄. The z_r average to R
exactly, and the 95% interval of the paired mean of z between two plans is the
delta-method interval of the difference of their ratios. A plan that costs no more than the
base on average (C̄ ≤ 0) has no ratio: if it beats the base (adds ARR) it needs no extra
budget and ranks ahead of every plan that does, by its ARR gain; if it does not, it is
not a candidate.

The probability that each plan is best is the share of replications in which its
per-replication value (z_r, the ARR gain for plans that cost no more, or the metric) is
the best of those of the plans that beat the base (the base and the other plans are not
counted and get 0), an exact tie sharing the replication. The best plan and another that
beats the base are a **tie** when the 95% interval of the paired mean difference of their
per-replication values includes 0 (identical copies always are): the sentence then names
them all and says so. docs/model.md (Recommendation) says the same for readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.compare import in_words, paired
from sim.metric_registry import REGISTRY, fmt, label
from sim.results import RunResult
from sim.scenario import ScenarioError

ARR_PER_EXTRA_DOLLAR = "arr_per_extra_dollar"
DEFAULT_OBJECTIVE = ARR_PER_EXTRA_DOLLAR
CRITERION_WORDS = {ARR_PER_EXTRA_DOLLAR: "ARR per extra dollar"}
FLIP_DIRECTIONS = ("below", "above")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                "nine", "ten")

# A plan's rank group under the default criterion (higher first).
FREE_AND_BEATS, PAID, FREE_NOT_BEATING = 2, 1, 0


def objectives() -> tuple[str, ...]:
    """Every objective `recommend` accepts: the default, then each metric with a direction."""
    return (DEFAULT_OBJECTIVE, *(m.name for m in REGISTRY.values()
                                 if m.higher_is_better is not None))


def check_objective(objective: object, key: str = "--objective") -> str:
    """`objective` if `recommend` accepts it, else a one-line `ScenarioError`."""
    if isinstance(objective, str) and objective in objectives():
        return objective
    raise ScenarioError(
        None, key, objective,
        f"expected {DEFAULT_OBJECTIVE} (the default) or a metric with a direction, e.g. "
        "arr, bookings, revenue_per_head, cost_total, magic_number (docs/metrics.md: those "
        "whose 'better' column is set)")


def criterion_words(objective: str) -> str:
    """The criterion inside a sentence: `ARR per extra dollar`, `bookings`, ..."""
    return CRITERION_WORDS.get(objective) or in_words(objective)


@dataclass(frozen=True)
class Recommendation:
    """What `recommend` decided: the sentence, the chosen and tied plans, the ranking."""

    objective: str
    sentence: str
    choice: str | None  # the plan to fund (in a tie, the best mean of them); None: keep base
    tied: tuple[str, ...]  # the plans called a tie (the choice first), or empty
    ranking: pd.DataFrame  # one row per plan (the base excluded); see `recommend`


def _values(result: RunResult, metric: str) -> np.ndarray:
    return result.totals[metric].to_numpy(float)


def _scores(results: Sequence[RunResult], objective: str
            ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per plan (base excluded): its row of the ranking, its per-replication values
    (higher is better) and its rank group."""
    base = results[0]
    rows, scores, groups = [], [], []
    cost0 = _values(base, "cost_total")
    for result in results[1:]:
        cost = paired(cost0, _values(result, "cost_total"))
        if objective == ARR_PER_EXTRA_DOLLAR:
            gain = paired(_values(base, "arr"), _values(result, "arr"))
            d_arr = _values(result, "arr") - _values(base, "arr")
            d_cost = _values(result, "cost_total") - cost0
            beats = gain["ci_low"] > 0
            ahead = d_arr > 0
            extra = cost["diff"]
            if extra > 0:
                ratio = gain["diff"] / extra
                score = ratio + (d_arr - ratio * d_cost) / extra
                group = PAID
            else:
                ratio, score = math.nan, d_arr
                group = FREE_AND_BEATS if beats else FREE_NOT_BEATING
            value = ratio
        else:
            higher = bool(REGISTRY[objective].higher_is_better)
            values = _values(result, objective)
            gain = paired(_values(base, objective), values)
            beats = (gain["ci_low"] > 0) if higher else (gain["ci_high"] < 0)
            with np.errstate(invalid="ignore"):
                value = float(np.nanmean(values)) if (~np.isnan(values)).any() else math.nan
            score = values if higher else -values
            diff = values - _values(base, objective)
            ahead = (diff > 0) if higher else (diff < 0)
            ahead = ahead[~np.isnan(diff)]
            group = PAID
        rows.append({
            "scenario": result.name,
            "objective": objective,
            "value": value,
            "gain": gain["diff"],
            "gain_ci_low": gain["ci_low"],
            "gain_ci_high": gain["ci_high"],
            "extra_cost": cost["diff"],
            "beats_base": bool(beats),
            "share_beating_base": float(ahead.mean()) if len(ahead) else math.nan,
        })
        scores.append(np.where(np.isnan(score), -np.inf, score))
        groups.append(group)
    return pd.DataFrame(rows), np.array(scores, dtype=float), np.array(groups)


def _p_best(scores: np.ndarray, groups: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Share of replications in which each plan is best among the `candidates` (the plans
    that beat the base) of the top rank group; an exact tie shares the replication."""
    share = np.zeros(len(scores))
    if not candidates.any() or not scores.shape[1]:
        return share
    top = candidates & (groups == groups[candidates].max())
    competing = np.where(top[:, None], scores, -np.inf)
    best = (competing == competing.max(axis=0)) & top[:, None]
    return (best / best.sum(axis=0)).mean(axis=1)


def _horizon(quarters: int) -> str:
    """`8` -> `two years`, `6` -> `6 quarters`."""
    if quarters % 4:
        return f"{quarters} quarter{'s' * (quarters != 1)}"
    years = quarters // 4
    return f"{NUMBER_WORDS[years] if years < len(NUMBER_WORDS) else years} " \
           f"year{'s' * (years != 1)}"


def _count(n: int) -> str:
    return NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)


def _signed(value: float, unit: str) -> str:
    text = fmt(value, unit)
    return "+" + text if math.isfinite(value) and value > 0 else text


def _interval(low: float, high: float, unit: str) -> str:
    """`$3.2M–$3.4M`; `-$52k to $30k` when an end is negative."""
    sep = "–" if min(low, high) >= 0 else " to "
    return f"{fmt(low, unit)}{sep}{fmt(high, unit)}"


def _plain(value: float) -> str:
    """A flip point through the one formatter: 1.08, 0.25, 12,000."""
    return fmt(value, "ratio") if abs(value) < 100 else fmt(value, "count")


def flip_clause(flip: tuple[str, float, str] | None) -> str:
    """`("coordinator selling time", 1.08, "below")` -> `; the answer flips if coordinator
    selling time is below 1.08` (empty for None)."""
    if flip is None:
        return ""
    what, value, direction = flip
    if direction not in FLIP_DIRECTIONS:
        raise ValueError(f"flip direction {direction!r}: expected 'below' or 'above'")
    return f"; the answer flips if {what} is {direction} {_plain(float(value))}"


def _cost_words(extra: float, horizon: str) -> str:
    if extra > 0:
        return f"for {_signed(extra, 'money')} over {horizon}"
    if extra < 0:
        return f"while saving {fmt(-extra, 'money')} over {horizon}"
    return f"at no extra cost over {horizon}"


def recommend(results: Sequence[RunResult], objective: str = DEFAULT_OBJECTIVE,
              flip: tuple[str, float, str] | None = None) -> Recommendation:
    """The plan to fund among `results` (the base first), as one sentence that states the
    criterion, with each plan's chance of being best (see the module's docstring).

    `ranking` has one row per plan: `scenario`, `objective`, `value` (ARR per extra dollar,
    or the metric's mean), `gain` and its 95% interval `gain_ci_low`/`gain_ci_high` (the
    paired difference from the base in ARR, or in the metric), `extra_cost`, `beats_base`,
    `p_best` and `tie` (whether the plan is one of those called a tie). `flip`, if given,
    is `(what, value, "below" | "above")`: the point past which an uncertain assumption
    changes the answer, worded at the end of the sentence.
    """
    objective = check_objective(objective, "objective")
    if not results:
        raise ValueError("recommend needs the base's result")
    flip_text = flip_clause(flip)
    base = results[0]
    ranking, scores, groups = _scores(results, objective)
    ranking["p_best"] = _p_best(scores, groups, ranking.beats_base.to_numpy(bool)
                                if len(ranking) else np.zeros(0, bool))
    ranking["tie"] = False
    criterion = criterion_words(objective)
    horizon = _horizon(base.scenario.quarters)
    n_plans = len(results) - 1
    if ranking.empty or not ranking.beats_base.any():
        return Recommendation(objective, _keep(base, objective, criterion, n_plans) + flip_text
                              + ".", None, (), ranking)
    # The best among those that beat the base: top rank group, then the mean value.
    candidates = ranking.index[ranking.beats_base].to_list()
    mean_score = {i: float(scores[i][np.isfinite(scores[i])].mean()) for i in candidates}
    best = max(candidates, key=lambda i: (groups[i], mean_score[i]))
    tied = [best] + [i for i in candidates if i != best and groups[i] == groups[best]
                     and _not_separated(scores[best], scores[i])]
    ranking.loc[tied, "tie"] = len(tied) > 1
    row = ranking.loc[best]
    if flip is None and len(tied) == 1:
        flip_text = flip_clause(_flip(results, objective, scores, candidates, best, mean_score))
    if len(tied) > 1:
        sentence = _tie_sentence(ranking, tied, objective, criterion)
    else:
        sentence = _fund_sentence(row, objective, criterion, horizon, n_plans,
                                  len(candidates))
    names = tuple(str(ranking.scenario[i]) for i in tied) if len(tied) > 1 else ()
    return Recommendation(objective, sentence + flip_text + ".", str(row.scenario), names,
                          ranking)


def _flip(results: Sequence[RunResult], objective: str, scores: np.ndarray,
          candidates: list[int], best: int, mean_score: dict[int, float]
          ) -> tuple[str, float, str] | None:
    """Where an uncertain assumption changes the answer (`sim.sensitivity.flip_point`):
    on the best plan's per-replication lead over the runner-up among the candidates, or,
    when it is the only one, on its gain over the base. None without ranges."""
    from sim.sensitivity import flip_point, joint_draws

    base, plan = results[0], results[best + 1]
    others = [i for i in candidates if i != best]
    if others:
        runner = max(others, key=mean_score.__getitem__)
        diff = scores[best] - scores[runner]
        draws = joint_draws([plan, results[runner + 1], base])
    else:
        metric = "arr" if objective == ARR_PER_EXTRA_DOLLAR else objective
        diff = _values(plan, metric) - _values(base, metric)
        if metric != "arr" and not REGISTRY[metric].higher_is_better:
            diff = -diff
        draws = joint_draws([plan, base])
    if draws is None or not np.isfinite(diff).all():
        return None
    found = flip_point(diff, draws, seed=base.scenario.seed)
    return None if found is None else (found.label, found.value, found.direction)


def _not_separated(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the 95% interval of the paired mean of a − b includes 0 (or is unknown)."""
    keep = np.isfinite(a) & np.isfinite(b)
    if (a[keep] == b[keep]).all():
        return True
    interval = paired(b[keep], a[keep])
    low, high = interval["ci_low"], interval["ci_high"]
    return not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high


def _gain_text(row: pd.Series, objective: str) -> str:
    metric = "arr" if objective == ARR_PER_EXTRA_DOLLAR else objective
    unit = REGISTRY[metric].unit
    what = "ARR" if metric == "arr" else in_words(metric)
    return (f"{_signed(row.gain, unit)} {what} (95% CI "
            f"{_interval(row.gain_ci_low, row.gain_ci_high, unit)})")


def _fund_sentence(row: pd.Series, objective: str, criterion: str, horizon: str,
                   n_plans: int, n_candidates: int) -> str:
    verb = "Fund" if row.extra_cost > 0 else "Adopt"
    cost = (f"over {horizon}" if objective == "cost_total"
            else _cost_words(row.extra_cost, horizon))
    parts = [f"{verb} `{row.scenario}`: {_gain_text(row, objective)} {cost}"]
    if objective == ARR_PER_EXTRA_DOLLAR and math.isfinite(row.value):
        below = (" (below 1: it adds less ARR than it costs over the horizon, so it pays"
                 " back only after it)" if row.value < 1 else "")
        parts.append(f"{fmt(row.value, 'ratio')} ARR per extra dollar{below}")
    if n_candidates > 1:
        beat = "add ARR" if objective == ARR_PER_EXTRA_DOLLAR else "beat the base"
        which = (f"the {_count(n_plans)} plans" if n_candidates == n_plans else
                 f"the {_count(n_candidates)} plans that {beat}")
        parts.append(f"the best on {criterion} of {which} in "
                     f"{fmt(float(row.p_best), 'share', 0)} of replications")
    else:
        adds = "adds ARR" if objective == ARR_PER_EXTRA_DOLLAR else f"beats the base on {criterion}"
        what = "ARR" if objective == ARR_PER_EXTRA_DOLLAR else criterion
        better = "more" if objective == ARR_PER_EXTRA_DOLLAR or \
            REGISTRY[objective].higher_is_better else "less"
        alone = (f"the only one of the {_count(n_plans)} plans that {adds} beyond noise, "
                 if n_plans > 1 else "")
        parts.append(f"{alone}{better} {what} than the base in "
                     f"{fmt(float(row.share_beating_base), 'share', 0)} of replications "
                     f"(criterion: {criterion})")
    return ", ".join(parts)


def _tie_sentence(ranking: pd.DataFrame, tied: list[int], objective: str,
                  criterion: str) -> str:
    names = [f"`{ranking.scenario[i]}`" for i in tied]
    listed = " and ".join(names) if len(names) == 2 else (
        ", ".join(names[:-1]) + " and " + names[-1])
    unit = "ratio" if objective == ARR_PER_EXTRA_DOLLAR else REGISTRY[objective].unit
    values = []
    for i in tied:
        value = ranking.value[i]
        if objective == ARR_PER_EXTRA_DOLLAR and not math.isfinite(value):
            values.append(f"{_signed(ranking.gain[i], 'money')} ARR at no extra cost")
        else:
            values.append(fmt(value, unit))
    shares = [fmt(float(ranking.p_best[i]), "share", 0) for i in tied]
    return (f"Tie between {listed} on {criterion} ({' vs '.join(values)}; the 95% CI of "
            f"their paired difference includes 0), best in {' vs '.join(shares)} of "
            "replications: each beats the base, so fund either on what the simulation does "
            "not model")


def _keep(base: RunResult, objective: str, criterion: str, n_plans: int) -> str:
    noise = f"beyond the noise of {len(base.totals):,} replications"
    if objective == ARR_PER_EXTRA_DOLLAR:
        who = "no plan adds" if n_plans != 1 else "the plan does not add"
        whose = "each plan's" if n_plans != 1 else "its"
        return (f"Keep the base: {who} ARR over `{base.name}` {noise} ({whose} 95% CI of "
                f"the ARR gain reaches 0 or below), so on {criterion} there is nothing to "
                "fund")
    better = "higher" if REGISTRY[objective].higher_is_better else "lower"
    who = "no plan beats" if n_plans != 1 else "the plan does not beat"
    whose = "each plan's" if n_plans != 1 else "its"
    return (f"Keep the base: {who} `{base.name}` on {criterion} ({better} is better) "
            f"{noise} ({whose} 95% CI of the difference reaches 0 or the wrong side)")


def label_for(objective: str) -> str:
    """The criterion's name as a heading: `ARR per extra dollar`, `Bookings`, ..."""
    return CRITERION_WORDS.get(objective) or label(objective)
