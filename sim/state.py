"""Starting from a given state (`start_state: FILE`): today's roster and open pipeline, read
from a file (docs/state.md) instead of drawn in their stationary state (sim.steady).

The file is one table (CSV or parquet) with a `record` column: `seller` rows are today's
heads (name, role, tenure, optional multipliers), `opportunity` rows the open pipeline
(owner, segment, age, amount if known). `read_state` reads and checks the file alone;
`check_state` checks it against a scenario; `compile_state` turns both into a `StatePlan`
the engine reads. Every problem is one `StateError`: the file, the row and column, the
value and what was expected. The contents of a file that is not a state file (no `record`
column) are never shown.

**Remaining time.** An opportunity of age `a` (days at the scenario's start) closes after
the rest of its cycle: for a lognormal cycle T, the law of ``T − a`` given ``T > a``, drawn
by the inverse CDF: with S the survival function and ``v`` uniform in (0, 1],
``T = S⁻¹(v·S(a))``. A fixed cycle (cv 0) shorter than the age, or an age so far in the
tail that ``S(a)`` underflows, closes on the first day (cv 0) or after an exponential wait
at the tail's hazard (``a·sigma / x`` days on average, x the age's standard score).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from sim.datafile import read_regular
from sim.scenario.errors import DataFileError

if TYPE_CHECKING:
    import pandas as pd

    from sim.plan import SegmentPlan
    from sim.scenario.schema import Scenario

RECORDS = ("seller", "opportunity")
# Each column and the records it is for (a value in a column not for its record is refused).
COLUMNS: dict[str, tuple[str, ...]] = {
    "record": RECORDS,
    "seller": RECORDS,  # a seller's name; an opportunity's owner ("" = unassigned)
    "role": ("seller",),
    "tenure_months": ("seller",),
    "pipeline": ("seller",),  # multiplier on the seller's opportunities a month
    "win_rate": ("seller",),  # the seller's win-rate multiplier (replaces the drawn skill)
    "id": ("opportunity",),
    "segment": ("opportunity",),
    "age_days": ("opportunity",),
    "amount": ("opportunity",),
    "product": ("opportunity",),
}
# A state of 100,000 open opportunities is about 5 MB of CSV; 64 MiB or 1,000,000 rows is far
# beyond any team's pipeline and keeps a wrong file from eating memory.
MAX_STATE_BYTES = 64 << 20
MAX_STATE_ROWS = 1_000_000
MAX_TENURE_MONTHS = 1200  # as a scenario's tenure_months
MAX_AGE_DAYS = 36_500
MAX_AMOUNT = 10**12  # as a segment's mean deal size
MAX_MULTIPLIER = 5.0  # as a lever's bound (pipeline, win_rate)
EXPECTED = ("expected a start-state file (CSV or parquet) with a record column "
            "(docs/state.md)")
NORMAL = NormalDist()


class StateError(DataFileError):
    """Bad input in a start-state file: ``file: row N, column 'c': value: expected``."""


@dataclass(frozen=True)
class Seller:
    row: str  # where it is, for errors ("row 3")
    name: str
    role: str
    tenure_months: float
    pipeline: float | None  # None: not given (the role's opps_spread draws one)
    win_rate: float | None  # None: the skill is drawn as for any head


@dataclass(frozen=True)
class Opportunity:
    row: str
    id: str
    owner: str  # "" = unassigned
    segment: str  # "" = the owner's (or the only) segment
    age_days: float
    amount: float | None  # None: drawn at the close
    product: str


@dataclass(frozen=True)
class StartState:
    file: str
    sellers: tuple[Seller, ...]
    opportunities: tuple[Opportunity, ...]


@dataclass(frozen=True)
class StatePlan:
    """A start state compiled for the engine (cheap, picklable).

    `heads`: by role name, one ``(tenure_days, pipeline, win_rate or NaN)`` per seat, in
    the file's order; `opportunities`: ``(role name or None (routed), seat, segment index,
    age_days, amount or NaN)``, in the file's order (the i-th gets the i-th draws)."""

    file: str
    heads: dict[str, tuple[tuple[float, float, float], ...]]
    opportunities: tuple[tuple[str | None, int, int, float, float], ...]


# Reading ----------------------------------------------------------------------------------------


def _read_bytes(path: str, file: str) -> bytes:
    """A regular file of at most `MAX_STATE_BYTES` (devices, pipes and directories refused
    before opening; no more than the cap read)."""

    def fail(why: str) -> StateError:
        return StateError(file, "", None, f"{why}; {EXPECTED}")

    return read_regular(path, fail, MAX_STATE_BYTES)


def _table(data: bytes, file: str) -> tuple[pd.DataFrame, int]:
    """The table as stripped text cells ("" when empty) and the number of the first data
    row (2 in a CSV, whose row 1 is the header; 1 in parquet)."""
    import pandas as pd  # reading a state file needs it; simulating does not

    def fail(why: str) -> StateError:
        return StateError(file, "", None, f"{why}; {EXPECTED}")

    if data.startswith(b"PAR1"):
        try:
            table = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # pyarrow raises many types for a damaged file
            raise fail(f"not a readable parquet file ({type(exc).__name__})") from None
        table = table.astype(object).where(table.notna(), "")
        first = 1
    else:
        if b"\x00" in data[: 1 << 16]:
            raise fail("binary contents, not CSV text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise fail("not UTF-8 text") from None
        try:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                nrows=MAX_STATE_ROWS + 1)
        except pd.errors.EmptyDataError:
            raise fail("the file is empty") from None
        except pd.errors.ParserError:
            raise fail("not a CSV table (a row with more fields than the header)") from None
        first = 2
    table.columns = [str(c).strip() for c in table.columns]
    if "record" not in table.columns:  # maybe not a state file at all: show nothing of it
        raise fail("no column named record")
    if len(table) > MAX_STATE_ROWS:
        raise fail(f"more than {MAX_STATE_ROWS:,} rows, over the cap")
    for column in table.columns:
        if column not in COLUMNS:
            import difflib

            close = difflib.get_close_matches(column, list(COLUMNS), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise StateError(file, "header", column, "not a column of a state file; "
                             f"expected some of {', '.join(COLUMNS)}{hint}")
    if len(set(table.columns)) < len(table.columns):
        dup = next(c for c in table.columns if list(table.columns).count(c) > 1)
        raise StateError(file, "header", dup, "a column named twice; expected each once")
    cells = table.astype(str).apply(lambda c: c.str.strip())
    return cells, first


def _number(text: str, file: str, where: str, low: float, high: float, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise StateError(file, where, text, f"expected {what}")
    return value


def read_state(path: str | os.PathLike[str], file: str | None = None) -> StartState:
    """Read and check a start-state file on its own (its format, not the scenario)."""
    path = os.fspath(path)
    file = file or path
    table, first = _table(_read_bytes(path, file), file)
    sellers: list[Seller] = []
    opportunities: list[Opportunity] = []
    names: dict[str, str] = {}
    ids: dict[str, str] = {}
    get = {c: (table[c].tolist() if c in table.columns else [""] * len(table))
           for c in COLUMNS}
    for i in range(len(table)):
        row = f"row {first + i}"

        def at(column: str, row: str = row) -> str:
            return f"{row}, column '{column}'"

        def optional(column: str, low: float, high: float, expected: str,
                     i: int = i) -> float | None:
            """An empty cell is None (not given), else a number in [low, high]."""
            cell = get[column][i]
            return None if cell == "" else _number(cell, file, at(column), low, high, expected)

        record = get["record"][i]
        if record not in RECORDS:
            raise StateError(file, at("record"), record, "expected seller or opportunity")
        for column, kinds in COLUMNS.items():
            if record not in kinds and get[column][i] != "":
                raise StateError(file, at(column), get[column][i], f"a {column} on a "
                                 f"{record} row; expected it empty there (it is for "
                                 f"{' and '.join(kinds)} rows)")
        name = get["seller"][i]
        if record == "seller":
            if not name:
                raise StateError(file, at("seller"), name, "expected the seller's name")
            if name in names:
                raise StateError(file, at("seller"), name, f"a seller listed twice (first "
                                 f"on {names[name]}); expected one row per seller")
            names[name] = row
            role = get["role"][i]
            tenure = get["tenure_months"][i]
            if tenure == "":
                raise StateError(file, at("tenure_months"), tenure, "expected the seller's "
                                 "tenure in months (a number >= 0)")
            tenure_months = _number(tenure, file, at("tenure_months"), 0, MAX_TENURE_MONTHS,
                                    f"a number of months in [0, {MAX_TENURE_MONTHS}]")
            multiplier = f"a multiplier in (0, {MAX_MULTIPLIER:g}] (1.25 means +25%), or empty"
            pipeline = optional("pipeline", 1e-9, MAX_MULTIPLIER, multiplier)
            win_rate = optional("win_rate", 1e-9, MAX_MULTIPLIER, multiplier)
            sellers.append(Seller(row, name, role, tenure_months, pipeline, win_rate))
            continue
        ident = get["id"][i]
        if ident:
            if ident in ids:
                raise StateError(file, at("id"), ident, f"an id used twice (first on "
                                 f"{ids[ident]}); expected one row per opportunity")
            ids[ident] = row
        age = get["age_days"][i]
        if age == "":
            raise StateError(file, at("age_days"), age, "expected the opportunity's age in "
                             "days at the scenario's start (a number >= 0)")
        age_days = _number(age, file, at("age_days"), 0, MAX_AGE_DAYS,
                           f"a number of days in [0, {MAX_AGE_DAYS:,}]")
        amount = optional("amount", 0, MAX_AMOUNT,
                          f"a number in [0, {MAX_AMOUNT:.0e}], or empty (drawn)")
        opportunities.append(Opportunity(row, ident, name, get["segment"][i], age_days,
                                         amount, get["product"][i]))
    return StartState(file, tuple(sellers), tuple(opportunities))


# Against a scenario -----------------------------------------------------------------------------


def check_state(state: StartState, scenario: Scenario) -> None:
    """The roster and pipeline fit the scenario: each role the roster names exists and is
    hired (not a manager); every seller role, and every role listed, is listed in full (its
    count equals `headcount`: the roster is today's team) and leaves `tenure_months` unset;
    an opportunity's owner is a seller of kind seller, its segment the owner's (or, routed,
    a segment with a seller in the roster)."""
    from sim.roles import KINDS

    file = state.file
    roles = scenario.roles
    counts: dict[str, int] = {}
    for seller in state.sellers:
        where = f"{seller.row}, column 'role'"
        name = seller.role
        if not name:
            sells = [n for n, r in roles.items() if KINDS[r.kind].sells]
            if len(sells) != 1:
                raise StateError(file, where, name, "expected the seller's role (the "
                                 f"scenario has {len(sells)} seller roles: "
                                 f"{', '.join(sells) or 'none'})")
            name = sells[0]
        role = roles.get(name)
        if role is None or not KINDS[role.kind].simulated:
            hired = [n for n, r in roles.items() if KINDS[r.kind].simulated]
            raise StateError(file, where, name, "expected a role of the scenario that is "
                             f"hired: {', '.join(hired) or 'none'}")
        if seller.win_rate is not None and not KINDS[role.kind].sells:
            raise StateError(file, f"{seller.row}, column 'win_rate'", str(seller.win_rate),
                             f"a win-rate multiplier for a {role.kind}; expected it only "
                             "for sellers")
        if seller.pipeline is not None and KINDS[role.kind].sources is None:
            raise StateError(file, f"{seller.row}, column 'pipeline'", str(seller.pipeline),
                             f"a pipeline multiplier for a {role.kind}, who sources nothing; "
                             "expected it empty")
        counts[name] = counts.get(name, 0) + 1
    for name, role in roles.items():
        if name not in counts and not KINDS[role.kind].sells:
            continue
        count = counts.get(name, 0)
        if count != role.headcount:
            raise StateError(file, f"role '{name}'", f"{count} listed", "expected the "
                             f"role's headcount, {role.headcount}: the roster is today's "
                             f"team (roles.{name}.headcount must equal it)")
        if role.tenure_months is not None:
            raise StateError(file, f"role '{name}'", None, f"roles.{name}.tenure_months is "
                             "set; expected it unset: the roster gives the tenures")
    owners = {s.name: (s.role or _only_seller_role(scenario)) for s in state.sellers}
    for opp in state.opportunities:
        role_name = owners.get(opp.owner) if opp.owner else None
        segment = opp.segment
        if role_name is not None:
            role = roles[role_name]
            if not KINDS[role.kind].sells:
                raise StateError(file, f"{opp.row}, column 'seller'", opp.owner, f"owned by a "
                                 f"{role.kind}; expected a seller (or empty: routed)")
            if segment and segment != role.segment:
                raise StateError(file, f"{opp.row}, column 'segment'", segment, "expected the "
                                 f"owner's segment, {role.segment}, or empty")
            continue
        if not segment:
            if len(scenario.segments) != 1:
                raise StateError(file, f"{opp.row}, column 'segment'", segment, "an "
                                 "opportunity without a listed owner needs its segment; "
                                 f"expected one of {', '.join(scenario.segments)}")
            segment = next(iter(scenario.segments))
        if segment not in scenario.segments:
            raise StateError(file, f"{opp.row}, column 'segment'", segment,
                             f"expected one of the segments: {', '.join(scenario.segments)}")
        if not any(KINDS[r.kind].sells and r.segment == segment and r.headcount > 0
                   for r in roles.values()):
            raise StateError(file, f"{opp.row}, column 'segment'", segment, "no seller works "
                             "this segment today to route the opportunity to; expected a "
                             "segment with sellers in the roster")


def _only_seller_role(scenario: Scenario) -> str:
    from sim.roles import KINDS

    return next(n for n, r in scenario.roles.items() if KINDS[r.kind].sells)


def compile_state(state: StartState, scenario: Scenario) -> StatePlan:
    """The engine's view of a checked state (see `StatePlan`)."""
    month_days = 365.0 / 12.0
    heads: dict[str, list[tuple[float, float, float]]] = {}
    seats: dict[str, tuple[str, int]] = {}
    for seller in state.sellers:
        role = seller.role or _only_seller_role(scenario)
        seat = len(heads.setdefault(role, []))
        heads[role].append((seller.tenure_months * month_days,
                            math.nan if seller.pipeline is None else seller.pipeline,
                            math.nan if seller.win_rate is None else seller.win_rate))
        seats[seller.name] = (role, seat)
    segment_index = {name: i for i, name in enumerate(scenario.segments)}
    opportunities = []
    for opp in state.opportunities:
        owner = seats.get(opp.owner) if opp.owner else None
        if owner is not None:
            segment = scenario.roles[owner[0]].segment
        else:
            segment = opp.segment or next(iter(scenario.segments))
        opportunities.append((None if owner is None else owner[0],
                              -1 if owner is None else owner[1], segment_index[segment],
                              opp.age_days, math.nan if opp.amount is None else opp.amount))
    return StatePlan(state.file, {r: tuple(h) for r, h in heads.items()}, tuple(opportunities))


def load_state(path: str, scenario: Scenario, file: str | None = None) -> StatePlan:
    """Read, check against `scenario` and compile a start-state file."""
    state = read_state(path, file)
    check_state(state, scenario)
    return compile_state(state, scenario)


# Drawing ----------------------------------------------------------------------------------------


def remaining_days(mu: float, sigma: float, age: float, v: float) -> float:
    """Days left of a lognormal(mu, sigma) cycle already `age` days old, at uniform `v` in
    (0, 1] (monotone: a larger `v` closes sooner): ``S⁻¹(v·S(age)) − age``."""
    if sigma <= 0:
        return max(0.0, math.exp(mu) - age)
    if age <= 0:
        return math.exp(mu - sigma * NORMAL.inv_cdf(min(v, 1.0 - 2.0**-53)))
    x = (math.log(age) - mu) / sigma
    survival = 0.5 * math.erfc(x / math.sqrt(2.0))
    p = v * survival
    if p <= 1e-300:  # deep in the tail: the lognormal's hazard there is about x / (sigma·a)
        return -math.log(v) * age * sigma / x
    p = min(p, 1.0 - 2.0**-53)
    return max(0.0, math.exp(mu - sigma * NORMAL.inv_cdf(p)) - age)


def undecided_given_age(segment: SegmentPlan, age: float, u_win: float, close: float
                        ) -> tuple[float, float]:
    """An open opportunity `age` days old in a segment with undecided opportunities: the
    older it is, the likelier it is one that never decides. With share s and decided cycle
    survival S, P(undecided | open at `age`) = s / (s + (1 − s)·S(age)), at every age: a
    CRM keeps stalled deals open past the drop age D, so a deal open at or beyond D is
    almost surely one (and drops on the first day). `u_win` (uniform) is mapped so that
    its first q = that probability makes it undecided (`u_win` at or above the decided
    share 1 − s, as the pipeline reads it; it drops `max(0, D − age)` from now) and the
    rest decided (below 1 − s, won at the win rate as any other). Returns (u_win, days
    until it closes); `close` is the decided one's remaining time."""
    share, drop = segment.no_decision, segment.no_decision_days
    decided = 1.0 - share
    q = share / (share + decided * segment.cycle.survival(age))
    if u_win < q:
        return decided + share * (u_win / q), max(0.0, drop - age)
    return decided * (u_win - q) / (1.0 - q), close


def draws(rng_uniform: np.random.Generator, rng_normal: np.random.Generator, n: int
          ) -> tuple[list[float], list[float], list[float]]:
    """The i-th opportunity's draws, the same whatever follows it: ``v`` (its remaining
    time, in (0, 1]), ``u_win`` and ``z_size``."""
    uniforms = rng_uniform.random((n, 2))
    return ((1.0 - uniforms[:, 0]).tolist(), uniforms[:, 1].tolist(),
            rng_normal.standard_normal(n).tolist())


__all__ = ["COLUMNS", "StartState", "StateError", "StatePlan", "check_state", "compile_state",
           "draws", "load_state", "read_state", "remaining_days"]
