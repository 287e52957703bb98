"""`simrev fit`: a CRM export's estimates written as a scenario, a start state and a report.

`fit_export` runs the estimators (`sim/estimate.py`) on an `Export` (`sim/crm.py`) and an
optional roster, and builds a scenario starting the month after `as_of`: one segment, one
seller role whose headcount is the sellers active at the cut, each fitted number commented
with its estimate, standard error and sample size, and entered as a range sized from its
error where the scenario schema accepts ranges. `write_fit` writes `DIR/NAME.yaml`,
`DIR/NAME-state.csv` (the open opportunities and the roster at the cut), `fit.txt` and
`fit.html` into a folder simrev owns (`sim.outputs`). `fit_scenario` does both and loads
the scenario back, for `simrev backtest`. The rules are in docs/fit.md ("The scenario").

Keys that other parts of issue 14 add to the schema (no decision, an empirical cycle, a deal
size mix, a per-seller pipeline spread, `start_state`) and issue 13's ranges are written
only where this simrev's schema accepts them (`accepts`); elsewhere the scenario says how
it approximated them. Their names are in one place: `scenario_entries`.
"""

from __future__ import annotations

import functools
import html
import json
import math
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import estimate as est
from sim.crm import CrmError, Export, month_after
from sim.estimate import Estimate, Fit
from sim.outputs import SAFE_NAME, check_replaceable, write_atomically
from sim.plan import MONTH_DAYS
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.loader import validate_raw
from sim.scenario.schema import MAX_DAYS, MAX_DEAL

SEGMENT = "crm"  # the one segment of a fitted scenario
ROLE = "ae"  # its one seller role
DEFAULT_NAME = "crm"
DEFAULT_QUARTERS = 4
DEFAULT_REPLICATIONS = 1000
DEFAULT_SEED = 1
# A range is triangular with its mode at the estimate and half-width sqrt(6) standard errors:
# a triangular law of half-width h has standard deviation h / sqrt(6), so the drawn values
# spread exactly as the estimate's sampling error. docs/fit.md says why.
RANGE_K = math.sqrt(6.0)
SPREAD_SE_FACTOR = 1.25  # the seller spread's error is too small by about a fifth (docs/fit.md)
SEASONALITY_MONTHS = 24  # history needed before seasonality could be estimated
ASSUMED_TIME_TO_HIRE = (60.0, 0.4)  # days (mean, cv) when no roster shows a vacancy
MIN_GAPS = 3  # vacancies needed to estimate the time to hire from a roster
# The start-state file's columns (docs/state.md); `pipeline` is a seller's opportunity-rate
# multiplier, within the state file's bounds.
STATE_COLUMNS = ("record", "seller", "role", "tenure_months", "pipeline", "id", "segment",
                 "age_days", "amount", "product")
PIPELINE_BOUNDS = (0.01, 5.0)


# --------------------------------------------------------------- what the schema accepts

_BASE = {"name": "probe", "start": "2027-01", "quarters": 1,
         "segments": {"s": {"win_rate": 0.2, "deal_size": 10.0, "cycle_days": 10.0}},
         "roles": {"r": {"kind": "seller", "segment": "s", "headcount": 1}}}
# A minimal fragment per feature: the feature is written when a scenario holding it validates.
PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "ranges": ("segments", {"win_rate": {"between": [0.1, 0.3], "likely": 0.2}}),
    "no_decision": ("segments", {"no_decision": {"share": 0.1, "after_days": 90}}),
    "empirical_cycle": ("segments", {"cycle_days": {"quantiles": [[0.0, 1], [0.5, 10],
                                                                  [1.0, 30]]}}),
    "deal_mix": ("segments", {"deal_size": {"mix": [
        {"name": "a", "share": 0.5, "mean": 10.0, "cv": 0.5},
        {"name": "b", "share": 0.5, "mean": 20.0, "cv": 0.5}]}}),
    "opps_spread": ("roles", {"opps_spread": 0.3}),
}


@functools.cache
def accepts(feature: str) -> bool:
    """Whether this simrev's scenario schema takes `feature` (a key of `PROBES`, or
    "start_state"): issue 14's engine keys and issue 13's ranges land separately."""
    if feature == "start_state":
        return "start_state" in Scenario.model_fields
    section, fragment = PROBES[feature]
    raw = json.loads(json.dumps(_BASE))
    member = "s" if section == "segments" else "r"
    raw[section][member].update(fragment)
    try:
        validate_raw(raw)
    except ScenarioError:
        return False
    return True


# ------------------------------------------------------------------------------ values


@dataclass(frozen=True)
class Entry:
    """One key of the fitted scenario: its value, the comment above it, and (for a fitted
    number) the estimate and the key's bounds, from which a range is sized."""

    path: tuple[str, ...]
    value: Any
    comment: str = ""
    estimate: Estimate | None = None
    low: float | None = None  # the key's bounds; `positive`: the low end must stay above 0
    high: float | None = None
    positive: bool = False
    se_factor: float = 1.0
    label: str = ""  # how fit.txt names an estimate made here (else the key path)


def round_sig(x: float, digits: int = 4) -> float | int:
    """`x` to `digits` significant digits, an int when whole (how values are written)."""
    if not math.isfinite(x) or x == 0:
        return 0 if x == 0 else x
    r = round(x, digits - 1 - math.floor(math.log10(abs(x))))
    return int(r) if float(r).is_integer() and abs(r) < 1e15 else float(r)


def _bounded(x: float, e: Entry) -> float:
    if e.low is not None:
        x = max(x, e.low)
    if e.high is not None:
        x = min(x, e.high)
    return x


def range_of(e: Entry) -> tuple[float, float] | None:
    """The entry's range: estimate ± RANGE_K standard errors within the key's bounds (a
    positive key's low end at least a tenth of the estimate); None without a usable error."""
    if e.estimate is None or not math.isfinite(e.estimate.se) or e.estimate.se <= 0:
        return None
    v = float(e.value)
    half = RANGE_K * e.estimate.se * e.se_factor
    lo, hi = _bounded(v - half, e), _bounded(v + half, e)
    if e.positive:
        lo = max(lo, v / 10)
    lo, hi = round_sig(lo), round_sig(hi)
    return (lo, hi) if lo < hi else None


def _describe(e: Estimate, unit: str = "", digits: int = 3, of: str = "") -> str:
    """`0.304 (se 0.018, n = 733)`; `of` names what n counts (`n = 4 departures`)."""
    return (f"{round_sig(e.value, digits)}{unit} (se {round_sig(e.se, 2)}{unit}, "
            f"n = {e.n:,}{' ' + of if of else ''})")


def _need(value: Estimate, what: str, file: str, why: str) -> None:
    if not math.isfinite(value.value):
        raise CrmError(file, "", None, f"too little data to estimate {what} ({why})")


# ------------------------------------------------------------------------ the sellers


def _selling_roles(roster: pd.DataFrame, owners: Iterable[str]) -> set[str]:
    owners = set(owners)
    return set(roster.loc[roster["seller"].isin(owners), "role"])


def active_sellers(fit: Fit, export: Export, roster: pd.DataFrame | None) -> pd.DataFrame:
    """The sellers at the cut: seller, tenure_months, opps_multiplier (their shrunk rate
    over the pooled one), from the roster (people in the roles that own opportunities,
    started by the cut and not left) plus owners not on it who are still active."""
    cut = fit.as_of
    owners = export.opportunities["owner"].astype(str)
    activity = est._activity(est.cut(export.opportunities, cut))
    rows: list[tuple[str, float]] = []
    if roster is not None and len(roster):
        roles = _selling_roles(roster, owners.unique())
        r = roster[roster["role"].isin(roles) | roster["seller"].isin(set(owners))]
        here = (r["start"] <= cut) & (r["leave"].isna() | (r["leave"] > cut))
        for seller, start in zip(r.loc[here, "seller"], r.loc[here, "start"], strict=True):
            rows.append((str(seller), (cut - start).days / MONTH_DAYS))
        off = activity.index.difference(pd.Index(roster["seller"].astype(str)))
    else:
        off = activity.index
    for seller in off:
        if not activity.loc[seller, "left"]:
            rows.append((str(seller), (cut - activity.loc[seller, "first"]).days / MONTH_DAYS))
    table = pd.DataFrame(rows, columns=["seller", "tenure_months"])
    rates = fit.rates.sellers
    pooled = fit.rates.pooled.value
    mult = dict(zip(rates["seller"], rates["rate_shrunk"] / pooled, strict=True)) \
        if len(rates) and pooled > 0 else {}
    table["opps_multiplier"] = [mult.get(s, 1.0) for s in table["seller"]]
    return table.sort_values("seller").reset_index(drop=True)


def time_to_hire(roster: pd.DataFrame | None, as_of: pd.Timestamp) -> Estimate | None:
    """Days from a departure to the next start (each start fills the earliest open
    vacancy), over the roster's departures before the cut; None below `MIN_GAPS`."""
    if roster is None or not len(roster):
        return None
    leaves = sorted(roster.loc[roster["leave"].notna() & (roster["leave"] <= as_of), "leave"])
    starts = sorted(roster.loc[roster["start"] <= as_of, "start"])
    gaps, i = [], 0
    for leave in leaves:
        while i < len(starts) and starts[i] < leave:
            i += 1
        if i == len(starts):
            break
        gaps.append((starts[i] - leave).days)
        i += 1
    if len(gaps) < MIN_GAPS:
        return None
    g = np.asarray(gaps, dtype=float)
    return Estimate(float(g.mean()), float(g.std(ddof=1) / math.sqrt(g.size)), int(g.size))


# --------------------------------------------------------------------------- the entries


def scenario_entries(fit: Fit, export: Export, sellers: pd.DataFrame,
                     hire: Estimate | None, *, name: str, quarters: int, state_file: str,
                     file: str, notes: list[str]) -> list[Entry]:
    """Every key of the fitted scenario, in file order: THE table from estimates to keys.

    Keys of features this simrev does not accept yet are replaced by their approximation
    (said in `notes` and in the comment)."""
    o, c, d, r, a = fit.outcomes, fit.cycle, fit.deal_size, fit.rates, fit.attrition
    _need(r.pooled, "the opportunity rate", file, "no seller with exposure before --as-of")
    _need(o.win_rate, "the win rate", file, "no opportunity won or lost before --as-of")
    _need(c.mean, "the sales cycle", file, "fewer than two decided opportunities")
    _need(d.mean, "the deal size", file, "fewer than two won opportunities with an amount")
    if not len(sellers):
        raise CrmError(file, "", None, "no seller active at --as-of (everyone has left or "
                       "fell silent); expected an export with sellers still creating "
                       "opportunities near --as-of")
    seg, role = ("segments", SEGMENT), ("roles", ROLE)
    window = (fit.as_of - fit.since).days / MONTH_DAYS
    e: list[Entry] = [
        Entry(("name",), name),
        Entry(("description",), f"Fitted by simrev fit from a CRM export as of "
              f"{fit.as_of:%Y-%m-%d}: {fit.opportunities:,} opportunities over "
              f"{window:.1f} months."),
        Entry(("start",), f"{month_after(fit.as_of):%Y-%m}", "the month after --as-of"),
        Entry(("quarters",), quarters),
        Entry(("replications",), DEFAULT_REPLICATIONS),
        Entry(("seed",), DEFAULT_SEED),
    ]
    if accepts("start_state"):
        e.append(Entry(("start_state",), state_file, "the open pipeline and the sellers at "
                       "--as-of (ages at --as-of)"))
    else:
        notes.append(f"this simrev has no start_state key: the scenario starts from its "
                     f"steady state, not from the open pipeline in {state_file}")

    # Outcomes: win rate among decided deals, and the never-decided share.
    if accepts("no_decision"):
        e.append(Entry((*seg, "win_rate"), round_sig(o.win_rate.value),
                       "won among decided opportunities (Aalen-Johansen at "
                       f"{o.horizon_days} days): {_describe(o.win_rate)}",
                       o.win_rate, 0.0, 1.0))
        e.append(Entry((*seg, "no_decision", "share"), round_sig(o.no_decision.value),
                       f"never decided: {_describe(o.no_decision)}", o.no_decision, 0.0, 1.0))
        e.append(Entry((*seg, "no_decision", "after_days"),
                       round_sig(max(o.drop_age_days.value, 1.0)),
                       "an undecided opportunity drops out at this age (95% of decisions "
                       f"by then): {_describe(o.drop_age_days, ' days')}"))
    else:
        w, nd = o.win_rate, o.no_decision
        won = Estimate(w.value * (1 - nd.value),
                       math.hypot((1 - nd.value) * w.se, w.value * nd.se), nd.n)
        e.append(Entry((*seg, "win_rate"), round_sig(won.value),
                       f"won among all opportunities, {_describe(won)}: the win rate among "
                       f"decided ones, {_describe(w)}, times the share that decides, "
                       f"1 - {round_sig(nd.value, 3)} (this simrev has no no_decision key, so "
                       "never-decided deals close as lost)", won, 0.0, 1.0,
                       label="won among all opportunities"))
        notes.append("this simrev has no no_decision key: the win rate is over all "
                      "opportunities (never-decided ones close as lost at the cycle)")

    # Cycle: the empirical law when the lognormal is doubtful and the schema takes it.
    cycle_note = (f"censored lognormal with a never-decide share: mean "
                  f"{_describe(c.mean, ' days')}, cv {_describe(c.cv)}; closed-only mean "
                  f"{round_sig(c.closed_only_mean.value, 3)} days is biased short")
    if accepts("empirical_cycle") and (c.bimodal or c.tail_beyond_window > est.TAIL_BEYOND):
        q = c.quantiles
        table = [[0.0, 0]] + [[round_sig(float(p), 3), int(a)]
                              for p, a in zip(q["q"], q["age_days"], strict=True)]
        table.append([1.0, int(max(fit.outcomes.horizon_days, table[-1][1]))])
        e.append(Entry((*seg, "cycle_days", "quantiles"), table,
                       "days from creation to decision, the censoring-corrected empirical "
                       f"law (Aalen-Johansen, to {fit.outcomes.horizon_days} days); the "
                       f"lognormal was doubtful: {cycle_note}"))
    else:
        e.append(Entry((*seg, "cycle_days", "mean"), round_sig(c.mean.value),
                       f"days from creation to decision, {cycle_note}", c.mean, 0.0, MAX_DAYS,
                       positive=True))
        e.append(Entry((*seg, "cycle_days", "cv"), round_sig(c.cv.value), "", c.cv, 0.0, 10.0))

    # Deal size: the products' mix, or its lognormal approximation.
    p = d.products
    mix = p[(p["sized"] >= est.FEW_WINS) & np.isfinite(p["mean"])] if len(p) else p
    if accepts("deal_mix") and len(mix) > 1:
        share = mix["share"] / mix["share"].sum()
        parts = [{"name": str(row["product"]) or "other", "share": round_sig(s),
                  "mean": round_sig(row["mean"]), "cv": round_sig(row["cv"])}
                 for (_, row), s in zip(mix.iterrows(), share, strict=True)]
        fix = round_sig(1.0 - sum(x["share"] for x in parts[1:]))
        parts[0]["share"] = fix  # shares sum to 1 exactly as written
        detail = "; ".join(f"{x['name']}: {int(w)} wins, mean se {round_sig(ms, 2)}"
                           for x, w, ms in zip(parts, mix["wins"], mix["mean_se"], strict=True))
        e.append(Entry((*seg, "deal_size", "mix"), parts,
                       f"won amounts by product, lognormal each ({detail}); the mix's mean "
                       f"{_describe(d.mean)}"))
    else:
        what = ("the lognormal of the products' mix" if len(p) > 1 else "lognormal")
        e.append(Entry((*seg, "deal_size", "mean"), round_sig(d.mean.value),
                       f"won amount, {what}: mean {_describe(d.mean)}", d.mean, 0.0, MAX_DEAL,
                       positive=True))
        e.append(Entry((*seg, "deal_size", "cv"), round_sig(d.cv.value), "", d.cv, 0.0, 10.0))

    # The seller role.
    how = "roster" if a.source == "roster" else "first and last opportunity"
    e += [Entry((*role, "kind"), "seller"), Entry((*role, "segment"), SEGMENT),
          Entry((*role, "headcount"), len(sellers), f"sellers active at --as-of ({how})")]
    if not accepts("start_state"):
        e.append(Entry((*role, "tenure_months"),
                       [round_sig(t, 3) for t in sellers["tenure_months"]],
                       "each seller's tenure at --as-of"
                       + ("" if a.source == "roster" else " (from their first opportunity: "
                          "lower bounds)")))
    e.append(Entry((*role, "opps_per_month"), round_sig(r.pooled.value),
                   f"opportunities created per seller-month: {_describe(r.pooled)} (exposure "
                   f"from {r.exposure_from})", r.pooled, 0.0, 10_000.0, positive=True))
    if accepts("opps_spread") and r.spread_cv.n >= 5 and math.isfinite(r.spread_cv.value):
        e.append(Entry((*role, "opps_spread"), round_sig(r.spread_cv.value),
                       "between-seller CV of the opportunity rate, net of Poisson noise: "
                       f"{_describe(r.spread_cv, of='sellers')} (range from 1.25 se)", r.spread_cv,
                       0.0, 10.0, se_factor=SPREAD_SE_FACTOR))
    e.append(Entry((*role, "ramp"), [1.0], "not estimated: the rate above averages over "
                   "tenures; set a ramp if new hires take months to sell"))
    e.append(Entry((*role, "attrition"), round_sig(a.rate.value),
                   f"departures per head per year: {_describe(a.rate, of='departures')} "
                   f"over {a.exposure_years:.1f} head-years ({a.source})", a.rate, 0.0, 1.0))
    e.append(Entry((*role, "backfill"), True, "a leaver is replaced"))
    if hire is not None:
        cv = round_sig(hire.se * math.sqrt(hire.n) / hire.value, 3) if hire.value > 0 else 0
        e.append(Entry((*role, "time_to_hire_days", "mean"), round_sig(hire.value),
                       f"days from a departure to the next start on the roster: "
                       f"{_describe(hire, ' days', of='vacancies')}", hire, 0.0, MAX_DAYS,
                       label="time to hire (days)"))
        e.append(Entry((*role, "time_to_hire_days", "cv"), cv))
    else:
        mean, cv = ASSUMED_TIME_TO_HIRE
        e.append(Entry((*role, "time_to_hire_days"), {"mean": mean, "cv": cv},
                       "assumed, not fitted: "
                       + ("no roster" if a.source != "roster" else
                          f"fewer than {MIN_GAPS} vacancies on the roster")))
    return e


# ------------------------------------------------------------------------- the YAML text


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(round_sig(value, 6))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__}")


def _written(entry: Entry, ranges: bool) -> Any:
    """The value as written: a range where the schema takes ranges and the error is known."""
    span = range_of(entry) if ranges else None
    if span is None:
        return entry.value
    return {"between": list(span), "likely": entry.value}


def _comment_lines(text: str, indent: str, width: int = 96) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(indent) + 2 + len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return [f"{indent}# {x}" for x in lines]


def scenario_data(entries: list[Entry], ranges: bool | None = None) -> dict[str, Any]:
    """The scenario as a nested dict (what the YAML holds)."""
    ranges = accepts("ranges") if ranges is None else ranges
    data: dict[str, Any] = {}
    for entry in entries:
        node = data
        for part in entry.path[:-1]:
            node = node.setdefault(part, {})
        node[entry.path[-1]] = _written(entry, ranges)
    return data


def scenario_yaml(entries: list[Entry], header: list[str], ranges: bool | None = None) -> str:
    """The commented YAML text: each key with its comment above it, blocks for sections."""
    ranges = accepts("ranges") if ranges is None else ranges
    lines = [f"# {h}" if h else "#" for h in header]
    opened: tuple[str, ...] = ()
    for entry in entries:
        parent = entry.path[:-1]
        common = 0
        while common < min(len(parent), len(opened)) and parent[common] == opened[common]:
            common += 1
        for depth in range(common, len(parent)):
            if depth == 0:
                lines.append("")
            lines.append(f"{'  ' * depth}{parent[depth]}:")
        opened = parent
        indent = "  " * len(parent)
        if entry.comment:
            lines += _comment_lines(entry.comment, indent)
        lines.append(f"{indent}{entry.path[-1]}: {_scalar(_written(entry, ranges))}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the state


def state_frame(export: Export, sellers: pd.DataFrame) -> pd.DataFrame:
    """The start state (docs/state.md) at the scenario's start, the first of the month after
    the cut: one `seller` row per active seller (tenure, `pipeline`: their rate multiplier)
    and one `opportunity` row per opportunity open at the cut (owner in `seller`, id, age
    in days, product, amount if known). Tenures and ages count to the scenario's start.
    Columns `STATE_COLUMNS`."""
    opps = export.opportunities
    open_ = opps[opps["outcome"] == "open"]
    start = month_after(export.as_of)
    gap_days = (start - export.as_of.normalize()).days
    seller_rows = pd.DataFrame({
        "record": "seller", "seller": sellers["seller"], "role": ROLE,
        "tenure_months": (sellers["tenure_months"] + gap_days / MONTH_DAYS).round(2),
        "pipeline": sellers["opps_multiplier"].clip(*PIPELINE_BOUNDS).round(3)})
    opp_rows = pd.DataFrame({
        "record": "opportunity", "seller": open_["owner"].fillna("").astype(str),
        "id": open_["id"].astype(str), "segment": SEGMENT,
        "age_days": ((start - open_["created"]) / est.DAY).astype("Int64"),
        "amount": open_["amount"], "product": open_["product"].astype(str)})
    frame = pd.concat([seller_rows, opp_rows], ignore_index=True)
    return frame.reindex(columns=list(STATE_COLUMNS))


# ---------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Fitted:
    """A fit ready to write: the scenario (entries, dict, YAML), the state and the report."""

    name: str
    fit: Fit
    export: Export
    entries: list[Entry]
    scenario: dict[str, Any]
    yaml_text: str
    state: pd.DataFrame
    estimates: pd.DataFrame  # what, value, se, n, range, key
    warnings: list[str]
    notes: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def state_file(self) -> str:
        return f"{self.name}-state.csv"


def estimates_table(fit: Fit, entries: list[Entry]) -> pd.DataFrame:
    """One row per estimate: what it is, value, se, n, its range (from its error; written
    in the scenario where ranges are accepted) and the scenario key it went to (empty when
    it is only reported)."""
    by_key = {id(x.estimate): x for x in entries if x.estimate is not None}
    rows: list[dict[str, Any]] = []

    def add(what: str, e: Estimate) -> None:
        entry = by_key.get(id(e))
        span = range_of(entry) if entry is not None else None
        rows.append({"estimate": what, "value": e.value, "se": e.se, "n": e.n,
                     "range": "" if span is None else f"{span[0]:g} to {span[1]:g}",
                     "key": "" if entry is None else ".".join(entry.path)})

    o, c, d, r = fit.outcomes, fit.cycle, fit.deal_size, fit.rates
    add("opportunities per seller-month", r.pooled)
    add("seller spread of that rate (CV)", r.spread_cv)
    add("win rate among decided", o.win_rate)
    add("never decided (share)", o.no_decision)
    add("drop age (days)", o.drop_age_days)
    add("cycle mean, lognormal (days)", c.mean)
    add("cycle CV, lognormal", c.cv)
    add("cycle mean, empirical (days)", c.km_mean)
    add("cycle mean, closed deals only (days)", c.closed_only_mean)
    add("deal size mean (mix)", d.mean)
    add("deal size CV (mix)", d.cv)
    add("attrition (per head-year)", fit.attrition.rate)
    for entry in entries:  # estimates made here, not by sim/estimate.py (time to hire)
        if entry.estimate is not None and all(row["key"] != ".".join(entry.path)
                                               for row in rows):
            add(entry.label or ".".join(entry.path), entry.estimate)
    return pd.DataFrame(rows)


def _warnings(fit: Fit, export: Export, sellers: pd.DataFrame) -> list[str]:
    out = list(fit.warnings)
    months = (fit.as_of - fit.since).days / MONTH_DAYS
    if months < SEASONALITY_MONTHS:
        out.append(f"{months:.1f} months of history: too short to estimate seasonality "
                   f"({SEASONALITY_MONTHS} needed); the scenario has none")
    else:
        out.append("seasonality is not estimated by simrev fit; the scenario has none")
    few = fit.rates.sellers
    if len(few):
        names = list(few.loc[few["few"], "seller"])
        if names:
            shown = ", ".join(names[:10]) + (f" (+{len(names) - 10} more)"
                                              if len(names) > 10 else "")
            # the estimator says how many; say who, in the same line
            out = [w for w in out if "seller(s) with fewer than" not in w]
            out.append(f"{len(names)} seller(s) with fewer than {est.FEW_OPPS} opportunities "
                       f"(their rates are shrunk to the pooled one): {shown}")
    return out


def _rejected_lines(export: Export) -> list[str]:
    if not export.rejected:
        return ["none"]
    return [f"{n:>8,}  {reason}" for reason, n in export.rejected.items()]


def _fmt(x: float) -> str:
    return "" if not math.isfinite(x) else f"{round_sig(x, 4):,}"


def report_text(f: Fitted) -> str:
    """fit.txt: what was estimated from how much data, rejected rows, warnings, notes."""
    fit, export = f.fit, f.export
    opps = export.opportunities
    counts = opps["outcome"].value_counts()
    lines = [
        f"simrev fit: {f.name}" + (f" from {f.source}" if f.source else ""),
        f"as of {fit.as_of:%Y-%m-%d}; history from {fit.since:%Y-%m-%d} "
        f"({(fit.as_of - fit.since).days / MONTH_DAYS:.1f} months); scenario starts "
        f"{f.scenario['start']}",
        f"opportunities used: {len(opps):,} (won {int(counts.get('won', 0)):,}, lost "
        f"{int(counts.get('lost', 0)):,}, open at the cut {int(counts.get('open', 0)):,}); "
        f"sellers active at the cut: {f.scenario['roles'][ROLE]['headcount']}",
        "", "Rows not used, by reason:", *_rejected_lines(export), "",
        "Estimates (value, standard error, sample size n; range: value ± "
        f"{RANGE_K:.2f} se within the key's bounds, "
        + ("written in the scenario):" if accepts("ranges") else
           "not written: this simrev takes plain numbers):"),
    ]
    t = f.estimates
    header = f"{'estimate':<38} {'value':>12} {'se':>10} {'n':>8}  {'range':<22} key"
    lines.append(header)
    for row in t.itertuples():
        lines.append(f"{row.estimate:<38} {_fmt(row.value):>12} {_fmt(row.se):>10} "
                     f"{row.n:>8,}  {row.range:<22} {row.key}")
    if len(fit.deal_size.products) > 1:
        lines += ["", "Deal size by product (won deals):"]
        for row in fit.deal_size.products.itertuples():
            lines.append(f"  {row.product or '(none)'}: {row.wins:,} wins, share "
                         f"{row.share:.3f}, mean {_fmt(row.mean)} (se {_fmt(row.mean_se)}), "
                         f"cv {_fmt(row.cv)}")
    lines += ["", "Warnings:", *([f"- {w}" for w in f.warnings] or ["none"]),
              "", "Notes:", *[f"- {n}" for n in f.notes], ""]
    return "\n".join(lines)


def report_html(f: Fitted) -> str:
    """fit.html: the same as fit.txt on one self-contained page."""
    esc = html.escape
    t = f.estimates
    rows = "".join(
        f"<tr><td>{esc(r.estimate)}</td><td>{esc(_fmt(r.value))}</td><td>{esc(_fmt(r.se))}"
        f"</td><td>{r.n:,}</td><td>{esc(r.range)}</td><td><code>{esc(r.key)}</code></td></tr>"
        for r in t.itertuples())
    rejected = "".join(f"<tr><td>{esc(k)}</td><td>{v:,}</td></tr>"
                       for k, v in f.export.rejected.items()) or "<tr><td>none</td></tr>"

    def items(xs: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in xs) + "</ul>" if xs else \
            "<p>none</p>"

    fit = f.fit
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>simrev fit: {esc(f.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
table{{border-collapse:collapse}}td,th{{padding:.2rem .6rem;border-bottom:1px solid #ddd;
text-align:left}}td:nth-child(n+2){{font-variant-numeric:tabular-nums}}</style></head><body>
<h1>simrev fit: {esc(f.name)}</h1>
<p>As of {fit.as_of:%Y-%m-%d}, history from {fit.since:%Y-%m-%d}: {fit.opportunities:,}
opportunities; {f.scenario['roles'][ROLE]['headcount']} sellers active at the cut. The
scenario <code>{esc(f.name)}.yaml</code> starts {esc(f.scenario['start'])}.</p>
<h2>Estimates</h2>
<table><tr><th>estimate</th><th>value</th><th>se</th><th>n</th><th>range</th><th>key</th></tr>
{rows}</table>
<h2>Rows not used</h2><table>{rejected}</table>
<h2>Warnings</h2>{items(f.warnings)}
<h2>Notes</h2>{items(f.notes)}
</body></html>
"""


# ------------------------------------------------------------------------------ the fit


def fit_export(export: Export, roster: pd.DataFrame | None = None, *,
               name: str = DEFAULT_NAME, quarters: int = DEFAULT_QUARTERS,
               source: str = "", seed: int = est.SEED) -> Fitted:
    """Estimate everything from `export` (and `roster`) and build the scenario, the state
    and the report (nothing is written). Too little data is a `CrmError`."""
    check_name(name)
    file = source or "simrev"
    with np.errstate(all="ignore"), warnings.catch_warnings():  # tiny data: NaN, said so
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = est.fit(export.opportunities, export.as_of, roster, seed)
    sellers = active_sellers(fit, export, roster)
    hire = time_to_hire(roster, fit.as_of)
    notes = list(export.notes) + list(fit.rates.notes) + list(fit.attrition.notes)
    entries = scenario_entries(fit, export, sellers, hire, name=name, quarters=quarters,
                               state_file=f"{name}-state.csv", file=file, notes=notes)
    ranges = accepts("ranges")
    if not ranges:
        notes.append("this simrev has no {between: ...} ranges: the scenario holds the "
                     "estimates as plain numbers, their ranges are in fit.txt")
    notes.append("not estimated (assumed): ramp, costs, capacity, skill spread, customers; "
                 "inbound and self-sourced opportunities are not told apart")
    data = scenario_data(entries, ranges)
    header = [
        f"Fitted by simrev fit from {source or 'a CRM export'} as of {fit.as_of:%Y-%m-%d} "
        f"({fit.opportunities:,} opportunities since {fit.since:%Y-%m-%d}).",
        "Each fitted value is commented with its estimate, standard error (se) and sample "
        "size (n);",
        ("it is written as a range {between: [low, high], likely: estimate} of half-width "
         f"{RANGE_K:.2f} se." if ranges else
         "the ranges from those errors are in fit.txt (this simrev takes plain numbers)."),
        "fit.txt and fit.html beside this file list the warnings and the rows not used.",
    ]
    text = scenario_yaml(entries, header, ranges)
    table = estimates_table(fit, entries)
    return Fitted(name, fit, export, entries, data, text, state_frame(export, sellers), table,
                  _warnings(fit, export, sellers), notes, source)


def fill_fit(fitted: Fitted, folder: Path) -> None:
    """Write the scenario, state and reports into `folder`, then load the scenario back (a
    scenario this simrev would refuse is an internal error: nothing is written)."""
    scenario_path = folder / f"{fitted.name}.yaml"
    scenario_path.write_text(fitted.yaml_text, encoding="utf-8")
    fitted.state.to_csv(folder / fitted.state_file, index=False, float_format="%.10g",
                        lineterminator="\n")
    (folder / "fit.txt").write_text(report_text(fitted), encoding="utf-8")
    (folder / "fit.html").write_text(report_html(fitted), encoding="utf-8")
    try:
        load_scenario(scenario_path)
    except ScenarioError as error:
        raise RuntimeError(f"the fitted scenario does not validate: {error}") from None


def check_name(name: str) -> None:
    """`--name`: [a-z0-9_-]+, at most 64 characters, as a scenario's name."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or len(name) > 64:
        raise CrmError("simrev", "--name", name, "expected [a-z0-9_-]+, at most 64 "
                       "characters (it names the scenario and its files)")


def check_fit_dir(out: str | Path) -> Path:
    """`--out DIR` as simrev fit writes it: a folder named [a-z0-9_-]+ (its stamp names
    it), absent or written by an earlier fit; else a ScenarioError. Creates nothing."""
    path = Path(out)
    if str(out).strip() == "" or not SAFE_NAME.match(path.name):
        raise ScenarioError(None, "--out", str(out), "expected a folder whose name is "
                            "[a-z0-9_-]+ (simrev fit writes the whole folder)")
    check_replaceable(path.parent, path.name, "fit")
    return path


def write_fit(fitted: Fitted, out: str | Path,
              before: Callable[[Path], None] | None = None) -> Path:
    """Write `out/` (the whole folder, atomically; replaced only when an earlier simrev fit
    wrote it): `NAME.yaml`, `NAME-state.csv`, `fit.txt`, `fit.html`. Returns the folder."""
    path = check_fit_dir(out)
    return write_atomically(path.parent, path.name, lambda folder: fill_fit(fitted, folder),
                            kind="fit")


def fit_scenario(export: Export, roster: pd.DataFrame | None = None, name: str = DEFAULT_NAME,
                 *, folder: str | Path | None = None, quarters: int = DEFAULT_QUARTERS
                 ) -> tuple[Scenario, Path]:
    """Fit, write into `folder` (default: a new temporary folder the caller removes) and
    load the scenario: (the validated scenario, the state file's path). For backtests."""
    fitted = fit_export(export, roster, name=name, quarters=quarters)
    where = Path(tempfile.mkdtemp(prefix="simrev-fit-")) / "fit" if folder is None \
        else Path(folder)
    written = write_fit(fitted, where)
    return load_scenario(written / f"{name}.yaml"), written / fitted.state_file


__all__ = ["Entry", "Fitted", "accepts", "active_sellers", "check_fit_dir", "check_name",
           "fit_export", "fit_scenario",
           "report_html", "report_text", "scenario_entries", "state_frame", "time_to_hire",
           "write_fit"]
