"""Hire sweeps: variants of a base scenario that hire more heads through `hiring:`.

`simrev compare base.yaml --hire ae=0,3,5,8 [--at 2027-01,2027-04]` adds, for each count
and month, one entry `{role: ae, count: N, month: M}` to the base's `hiring` list: the new
heads are requisitions filled after the role's time to hire, cost their hire cost, ramp,
pull in managers by span and get the thinner territories of new seats, exactly as a plan
written by hand with that entry. Several `--hire` options combine as the cross product of
their counts (and of the months); count 0 of every role is the base itself, never run twice.

Along each curve (one per month, and per count of the other roles when several are swept)
the step from one point to the next is judged by its paired marginal difference, replication
by replication: (extra ARR at the horizon's end) − (extra total cost over the horizon). The
first step whose mean is below zero is where the marginal hires stop paying back within the
horizon.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.compare import paired
from sim.metric_registry import money
from sim.results import RunResult
from sim.roles import KINDS
from sim.scenario import Scenario, ScenarioError
from sim.scenario.checks import one_of
from sim.scenario.schema import MAX_HEADCOUNT, MONTH_PATTERN, Hire, month_label

MAX_VARIANTS = 24  # variants one hire sweep may add (each is a full run)
HIRE_EXAMPLE = "ROLE=N1,N2,..., e.g. --hire ae=0,3,5,8"
ARR, COST = "arr", "cost_total"


@dataclass(frozen=True)
class HireVariant:
    """One variant: `counts` (one per role of the sweep) hired in `month`."""

    name: str
    counts: tuple[int, ...]
    month: str
    scenario: Scenario


@dataclass(frozen=True)
class HireSweep:
    """The roles swept, their counts as asked, the months, and the variants (base excluded)."""

    roles: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    months: tuple[str, ...]
    variants: tuple[HireVariant, ...]


def _bad(option: str, value: object, expected: str, file: str | None) -> ScenarioError:
    return ScenarioError(file, option, value, expected)


def parse_hire(text: object, base: Scenario,
               file: str | None = None) -> tuple[str, tuple[int, ...]]:
    """`ae=0,3,5` -> ('ae', (0, 3, 5)): a role of `base` that is hired, distinct whole counts."""
    if not isinstance(text, str):
        raise _bad("--hire", text, f"expected {HIRE_EXAMPLE}", file)
    role, sep, values = text.partition("=")
    role = role.strip()
    parts = [v.strip() for v in values.split(",")] if sep else []
    if not role or not parts or any(not p for p in parts):
        raise _bad("--hire", text, f"expected {HIRE_EXAMPLE}", file)
    hireable = [n for n, r in base.roles.items() if KINDS[r.kind].hireable]
    if role not in base.roles:
        raise _bad("--hire", text, f"'{role}' is not a role of the base; "
                   + one_of("roles that are hired", hireable, role), file)
    kind = base.roles[role].kind
    if not KINDS[kind].hireable:
        raise _bad("--hire", text, f"role '{role}' is a {kind}, whose heads follow its span "
                   "(ceil(sellers / span)) and are not hired; "
                   + one_of("roles that are hired", hireable), file)
    counts = []
    for part in parts:
        if not re.fullmatch(r"[0-9]+", part) or int(part) > MAX_HEADCOUNT:
            raise _bad("--hire", text, f"count {part!r} is not a whole number of heads from 0 "
                       f"to {MAX_HEADCOUNT:,}; expected {HIRE_EXAMPLE}", file)
        if int(part) in counts:
            raise _bad("--hire", text, f"count {int(part)} is given twice, so two variants "
                       "would be identical; expected distinct counts", file)
        counts.append(int(part))
    return role, tuple(counts)


def parse_months(text: object, base: Scenario, file: str | None = None) -> tuple[str, ...]:
    """`2027-01,2027-04` -> the months, each within the base's horizon; None: its start."""
    if text is None:
        return (base.start,)
    last = month_label(base.start, base.months - 1)
    horizon = f"a month within the base's horizon, {base.start} to {last}"
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else []
    if not parts or any(not re.fullmatch(MONTH_PATTERN, p) for p in parts):
        raise _bad("--at", text, f"expected months as YYYY-MM,..., each {horizon}, e.g. "
                   f"--at {base.start}", file)
    for part in parts:
        if not 0 <= base.month_index(part) < base.months:
            raise _bad("--at", text, f"{part} is outside the horizon; expected {horizon}", file)
        if parts.count(part) > 1:
            raise _bad("--at", text, f"{part} is given twice; expected distinct months", file)
    return tuple(parts)


def check_options(hires: Sequence[str], at: str | None, vary: str | None) -> None:
    """`--at` needs `--hire`; `--hire` and `--vary` are not combined (one sweep a comparison)."""
    if at is not None and not hires:
        raise _bad("--at", at, "expected --at only with --hire ROLE=N1,N2,...: it sets the "
                   "month the swept hires are requisitioned", None)
    if hires and vary is not None:
        raise _bad("--vary", vary, "expected either --vary or --hire, not both: a comparison "
                   "draws one sweep", None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_") or "role"


def variant_name(base: str, roles: Sequence[str], counts: Sequence[int], month: str) -> str:
    """`base-5ae-2027-01`: the base, each role's non-zero count, the month (64 characters at
    most: the base's name is shortened first)."""
    hired = "-".join(f"{n}{_slug(role)}" for role, n in zip(roles, counts, strict=True) if n)
    suffix = f"-{hired}-{month}"
    return (base[: max(1, 64 - len(suffix))] + suffix)[:64]


def hire_sweep(base: Scenario, hires: Sequence[str], at: str | None = None,
               file: str | None = None) -> HireSweep:
    """The variants of `base` for `--hire ROLE=N1,...` (repeatable) and `--at M1,...`.

    The counts of several roles combine as their cross product, times the months; the
    combination with every count 0 is the base and is left out. Each variant is the base with
    one more `hiring` entry per non-zero count, in that month. At most `MAX_VARIANTS`.
    """
    if not isinstance(base, Scenario):
        raise _bad("scenario", base, "expected a Scenario, e.g. from sim.api.load(path)", file)
    if isinstance(hires, str) or not isinstance(hires, Sequence) or not hires:
        raise _bad("--hire", hires, f"expected {HIRE_EXAMPLE}", file)
    parsed = [parse_hire(text, base, file) for text in hires]
    roles = tuple(role for role, _ in parsed)
    for role in roles:
        if roles.count(role) > 1:
            raise _bad("--hire", role, f"role '{role}' is swept twice; expected one --hire "
                       "per role, with all its counts (e.g. ae=0,3,5)", file)
    months = parse_months(at, base, file)
    grid = [c for c in itertools.product(*(counts for _, counts in parsed)) if any(c)]
    if not grid:
        raise _bad("--hire", " ".join(hires), "every count is 0, which is the base itself; "
                   "expected at least one count above 0", file)
    total = len(grid) * len(months)
    if total > MAX_VARIANTS:
        raise _bad("--hire", " ".join(hires), f"{total} variants (the cross product of the "
                   f"counts, times {len(months)} month(s)); expected at most {MAX_VARIANTS}: "
                   "fewer counts, roles or months", file)
    variants = []
    for month in months:
        for counts in grid:
            entries = [Hire(role=role, count=n, month=month)
                       for role, n in zip(roles, counts, strict=True) if n]
            name = variant_name(base.name, roles, counts, month)
            scenario = base.model_copy(update={"name": name,
                                               "hiring": [*base.hiring, *entries]})
            variants.append(HireVariant(name, counts, month, scenario))
    names = [v.name for v in variants]
    if len(set(names)) < len(names):  # role names that read alike once made file-safe
        variants = [HireVariant(f"{v.name[:60]}-v{i + 1}", v.counts, v.month,
                                v.scenario.model_copy(update={"name": f"{v.name[:60]}-v{i + 1}"}))
                    for i, v in enumerate(variants)]
    return HireSweep(roles, tuple(c for _, c in parsed), months, tuple(variants))


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    with warnings.catch_warnings():  # all missing: NaN, as meant
        warnings.simplefilter("ignore", RuntimeWarning)
        p10, p50, p90 = np.nanpercentile(values, [10, 50, 90]) if len(values) else [math.nan] * 3
    return float(p10), float(p50), float(p90)


def curve_label(sweep: HireSweep, month: str, others: Sequence[int]) -> str:
    """A curve's name: its month, and the other roles' counts when several are swept."""
    extra = ", ".join(f"+{n} {role}" for role, n in zip(sweep.roles[1:], others, strict=True))
    return f"{month}" + (f", {extra}" if extra else "")


def hire_curve(results: Sequence[RunResult], sweep: HireSweep) -> pd.DataFrame:
    """The sweep's points, one row per (curve, count of the first role), in order.

    `results` is a comparison's (the base first, the sweep's variants last). Per point:
    P10/P50/P90 of ARR at the horizon's end and of total cost over it; the paired mean extra
    ARR and cost over the base and their ratio (ARR per extra dollar, with the P10–P90 of
    the per-replication ratio); and for the step from the previous point on the curve, its
    extra ARR and cost and the paired marginal net `extra ARR − extra cost` (mean, 95% CI).
    `stops_paying_back` marks the first step of a curve whose mean marginal net is below 0.
    """
    base = results[0]
    variants = list(results[len(results) - len(sweep.variants):])
    by_key: dict[tuple[str, tuple[int, ...]], RunResult] = {
        (v.month, v.counts): r for v, r in zip(sweep.variants, variants, strict=True)}
    zero = (0,) * len(sweep.roles)
    base_arr = base.totals[ARR].to_numpy(float)
    base_cost = base.totals[COST].to_numpy(float)
    others_grid = list(itertools.product(*sweep.counts[1:]))
    rows = []
    for month in sweep.months:
        for others in others_grid:
            label = curve_label(sweep, month, others)
            previous: RunResult | None = None
            stopped = False
            for n in sorted(set(sweep.counts[0]) | ({0} if not any(others) else set())):
                counts = (n, *others)
                result = base if counts == zero else by_key.get((month, counts))
                if result is None:
                    continue
                arr = result.totals[ARR].to_numpy(float)
                cost = result.totals[COST].to_numpy(float)
                extra_arr, extra_cost = arr - base_arr, cost - base_cost
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(extra_cost > 0, extra_arr / extra_cost, np.nan)
                mean_arr = paired(base_arr, arr)["diff"]
                mean_cost = paired(base_cost, cost)["diff"]
                row = {
                    "curve": label, "month": month, "hires": n, "scenario": result.name,
                    **dict(zip(("arr_p10", "arr_p50", "arr_p90"), _quantiles(arr),
                               strict=True)),
                    **dict(zip(("cost_p10", "cost_p50", "cost_p90"), _quantiles(cost),
                               strict=True)),
                    "extra_arr": mean_arr, "extra_cost": mean_cost,
                    "arr_per_extra_dollar": (mean_arr / mean_cost if mean_cost > 0
                                             else math.nan),
                    **dict(zip(("ratio_p10", "ratio_p50", "ratio_p90"), _quantiles(ratio),
                               strict=True)),
                    "step_arr": math.nan, "step_cost": math.nan,
                    "step_net": math.nan, "step_net_ci_low": math.nan,
                    "step_net_ci_high": math.nan, "stops_paying_back": False,
                }
                if previous is not None:
                    prev_arr = previous.totals[ARR].to_numpy(float)
                    prev_cost = previous.totals[COST].to_numpy(float)
                    step = paired(prev_arr - prev_cost, arr - cost)
                    row.update(step_arr=paired(prev_arr, arr)["diff"],
                               step_cost=paired(prev_cost, cost)["diff"],
                               step_net=step["diff"], step_net_ci_low=step["ci_low"],
                               step_net_ci_high=step["ci_high"])
                    if not stopped and step["diff"] < 0:
                        row["stops_paying_back"] = stopped = True
                rows.append(row)
                previous = result
    return pd.DataFrame(rows)


def payback_lines(curve: pd.DataFrame, role: str) -> list[str]:
    """One sentence per curve of `hire_curve`: where the marginal hires stop paying back."""
    lines = []
    for name, part in curve.groupby("curve", sort=False):
        hires = [float(n) for n in part.hires]
        stop = part[part.stops_paying_back]
        if stop.empty:
            lines.append(f"{name}: every step up to {max(hires):g} {role} hired pays back "
                         "within the horizon (its extra ARR at the end exceeds its extra cost).")
            continue
        row = stop.iloc[0]
        prev = hires[hires.index(float(row.hires)) - 1]
        step = (f"{money(row.step_arr)} more ARR at the end for {money(row.step_cost)} more "
                f"cost (marginal ARR − cost {money(row.step_net)}, 95% CI "
                f"{money(row.step_net_ci_low)} to {money(row.step_net_ci_high)})")
        if prev == min(hires):
            lines.append(f"{name}: no step pays back within the horizon: the first "
                         f"{row.hires - prev:g} {role} hired add {step}.")
        else:
            lines.append(f"{name}: hiring beyond {prev:g} {role} stops paying back within the "
                         f"horizon: the next {row.hires - prev:g} add {step}.")
    return lines
