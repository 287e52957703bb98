"""A scenario compiled for the engine: rates per day, indices instead of names.

Built once per run (cheap, picklable) and shared by every replication.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import TYPE_CHECKING

from sim.days import MONTH_DAYS, YEAR_DAYS, month_of  # noqa: F401 (month_of re-exported)
from sim.roles import KINDS, Kind
from sim.state import StatePlan, load_state, remaining_days
from sim.streams import name_id

if TYPE_CHECKING:  # the schema (pydantic) is loaded by compile_plan, not to simulate
    from sim.scenario.schema import Dist, Role, Scenario

# The warm-up: the stationary people state and open pipeline are drawn at its start
# (sim.steady), so it only has to let what the draw approximates settle (capacity limits,
# hand-overs, levers of support staff): about one cycle. It runs to the cycle's 90% quantile
# (with undecided opportunities, of the time open: `SegmentPlan.open_high`), at least 3 and
# at most 12 months (a long-tailed cycle's old pipeline is drawn, not warmed).
WARM_QUANTILE_Z = 1.2816  # 90% quantile of a normal
WARM_MIN_MONTHS = 3
WARM_MAX_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Lognormal:
    """A lognormal by (mu, sigma) of its log; `mean == 0` means always 0."""

    mean: float
    mu: float
    sigma: float

    @classmethod
    def of(cls, dist: Dist) -> Lognormal:
        return cls(dist.mean, dist.mu, dist.sigma)

    def at(self, z: float) -> float:
        """The value at standard-normal draw `z` (monotone in `z`)."""
        if self.mean <= 0:
            return 0.0
        return math.exp(self.mu + self.sigma * z)

    def quantile_high(self) -> float:
        """The 90% quantile (sets the warm-up's length)."""
        return self.at(WARM_QUANTILE_Z)

    def remaining(self, age: float, v: float) -> float:
        """Days left of a cycle already `age` days old, at uniform `v` in (0, 1]."""
        return remaining_days(self.mu, self.sigma, age, v)

    def survival(self, age: float) -> float:
        """P(cycle > age)."""
        if self.sigma <= 0:
            return 1.0 if math.exp(self.mu) > age else 0.0
        if age <= 0:
            return 1.0
        return 0.5 * math.erfc((math.log(age) - self.mu) / self.sigma / math.sqrt(2.0))

    def length_biased(self, z: float) -> float:
        """The value at `z` of the length-biased law (density ∝ x·f(x)): for a lognormal,
        lognormal(mu + sigma², sigma). A renewal process's current interval has this law."""
        if self.mean <= 0:
            return 0.0
        return math.exp(self.mu + self.sigma * (self.sigma + z))


def normal_cdf(z: float) -> float:
    """The standard normal's CDF at `z` (the uniform a normal draw stands for)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


NORMAL = NormalDist()
U_EDGE = 1e-15  # a uniform kept inside (0, 1) before the normal's inverse CDF


@dataclass(frozen=True, slots=True)
class Empirical:
    """A law by its quantile table: the quantile function is linear between the knots
    ``(probs[k], values[k])`` (probs from 0 to 1), so the density is flat between them.

    Every draw maps a standard-normal `z` through ``u = Φ(z)``, monotone in `z` like
    `Lognormal.at`, so common random numbers pair the same way.
    """

    probs: tuple[float, ...]
    values: tuple[float, ...]
    mean: float
    biased: tuple[float, ...]  # cumulative weight of each piece in the length-biased law

    @classmethod
    def of(cls, quantiles: list[list[float]]) -> Empirical:
        pairs = [(float(p), float(x)) for p, x in quantiles]
        if pairs[0][0] > 0:
            pairs.insert(0, (0.0, 0.0))
        probs = tuple(p for p, _ in pairs)
        values = tuple(x for _, x in pairs)
        pieces = [(probs[k] - probs[k - 1]) * (values[k - 1] + values[k]) / 2
                  for k in range(1, len(pairs))]
        mean = sum(pieces)
        biased, total = [0.0], 0.0
        for piece in pieces:
            total += piece
            biased.append(total / mean)
        biased[-1] = 1.0
        return cls(probs, values, mean, tuple(biased))

    def quantile(self, u: float) -> float:
        """The value at probability `u` in [0, 1]."""
        probs, values = self.probs, self.values
        k = min(max(bisect.bisect_right(probs, u), 1), len(probs) - 1)
        p0, p1 = probs[k - 1], probs[k]
        return values[k - 1] + (values[k] - values[k - 1]) * min(1.0, (u - p0) / (p1 - p0))

    def at(self, z: float) -> float:
        """The value at standard-normal draw `z` (monotone in `z`)."""
        return self.quantile(normal_cdf(z))

    def survival(self, age: float) -> float:
        """P(cycle > age): one minus the table's CDF, linear between the knots."""
        values, probs = self.values, self.probs
        if age < values[0]:
            return 1.0
        k = bisect.bisect_right(values, age)
        if k >= len(values):
            return 0.0
        x0, x1 = values[k - 1], values[k]
        return 1.0 - (probs[k - 1] + (probs[k] - probs[k - 1]) * (age - x0) / (x1 - x0))

    def remaining(self, age: float, v: float) -> float:
        """Days left of a cycle already `age` days old, at uniform `v` in (0, 1]: the
        quantile at ``1 − v·S(age)`` less the age; 0 past the table's longest cycle."""
        left = self.survival(age)
        if left <= 0.0:
            return 0.0
        return max(0.0, self.quantile(1.0 - v * left) - age)

    def quantile_high(self) -> float:
        """The 90% quantile (sets the warm-up's length)."""
        return self.quantile(0.9)

    def length_biased(self, z: float) -> float:
        """The value at `z` of the length-biased law (density ∝ x·f(x)): a piece [a, b] is
        chosen with weight (its probability × its mean), and within it x = √(a² + v(b² − a²))
        for the uniform v left over."""
        u = normal_cdf(z)
        biased = self.biased
        k = min(max(bisect.bisect_right(biased, u), 1), len(biased) - 1)
        w0, w1 = biased[k - 1], biased[k]
        v = min(1.0, max(0.0, (u - w0) / (w1 - w0))) if w1 > w0 else 0.0
        a, b = self.values[k - 1], self.values[k]
        return math.sqrt(a * a + v * (b * b - a * a))


@dataclass(frozen=True, slots=True)
class Mix:
    """A mix of lognormals: component k with probability `shares[k]`.

    One standard-normal `z` picks both: ``u = Φ(z)`` falls in component k's slice of (0, 1)
    and what is left of it, rescaled to (0, 1), is that component's own normal draw.
    """

    shares: tuple[float, ...]
    parts: tuple[Lognormal, ...]
    mean: float
    upper: tuple[float, ...]  # cumulative shares; the last is 1

    @classmethod
    def of(cls, mix: list) -> Mix:
        shares = tuple(part.share for part in mix)
        total = sum(shares)
        upper, running = [], 0.0
        for share in shares:
            running += share / total
            upper.append(running)
        upper[-1] = 1.0
        parts = tuple(Lognormal.of(part) for part in mix)
        mean = sum(share * part.mean for share, part in zip(shares, parts, strict=True)) / total
        return cls(shares, parts, mean, tuple(upper))

    def at(self, z: float) -> float:
        """The value at standard-normal draw `z`."""
        u = normal_cdf(z)
        upper = self.upper
        k = min(bisect.bisect_right(upper, u), len(upper) - 1)
        low = upper[k - 1] if k else 0.0
        v = (u - low) / (upper[k] - low)
        part = self.parts[k]
        if part.sigma == 0:
            return part.at(0.0)
        return part.at(NORMAL.inv_cdf(min(1.0 - U_EDGE, max(U_EDGE, v))))


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    index: int
    name: str
    ident: int
    win_rate: float  # of a decided opportunity
    deal: Lognormal | Mix
    cycle: Lognormal | Empirical  # of a decided opportunity
    accounts: int | None
    inbound_per_day: float
    seasonality: tuple[float, ...]  # by calendar month, index 0 = January
    no_decision: float = 0.0  # share of opportunities that never decide
    no_decision_days: float = 0.0  # the age at which an undecided one drops out

    @property
    def open_mean(self) -> float:
        """Mean days an opportunity stays open: its cycle, or the drop age if undecided."""
        share = self.no_decision
        if not share:
            return self.cycle.mean
        return (1.0 - share) * self.cycle.mean + share * self.no_decision_days

    def open_high(self, cycle_factor: float) -> float:
        """The 90% quantile of the days an opportunity stays open, its cycle × `cycle_factor`
        (sets the warm-up's length)."""
        share, drop = self.no_decision, self.no_decision_days
        if not share:
            return self.cycle.quantile_high() * cycle_factor
        # P(open <= x) = (1 − share)·F(x / factor) + share·[x >= drop], from 0.9 up
        decided_only = 0.9 / (1.0 - share)
        if decided_only <= 1.0:
            early = _cycle_quantile(self.cycle, decided_only) * cycle_factor
            if early < drop:
                return early
        if (1.0 - share) * _cycle_cdf(self.cycle, drop / cycle_factor) + share >= 0.9:
            return drop
        return _cycle_quantile(self.cycle, (0.9 - share) / (1.0 - share)) * cycle_factor


def _cycle_quantile(cycle: Lognormal | Empirical, u: float) -> float:
    if isinstance(cycle, Empirical):
        return cycle.quantile(u)
    return cycle.at(NORMAL.inv_cdf(min(1.0 - U_EDGE, max(U_EDGE, u))))


def _cycle_cdf(cycle: Lognormal | Empirical, x: float) -> float:
    if isinstance(cycle, Empirical):
        low, high = 0.0, 1.0
        for _ in range(60):  # the quantile function is monotone: bisect it
            mid = (low + high) / 2
            if cycle.quantile(mid) <= x:
                low = mid
            else:
                high = mid
        return low
    if cycle.sigma == 0:
        return 1.0 if x >= cycle.mean else 0.0
    return normal_cdf((math.log(x) - cycle.mu) / cycle.sigma) if x > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Follow:
    """A role's headcount driver: one head per `per` of ARR (`driver` "arr") or of sellers."""

    driver: str  # "arr" or "sellers"
    per: float
    shrink: bool  # heads leave (requisitions are cancelled first) when the driver falls

    def need(self, value: float) -> int:
        """Heads the driver's `value` needs: ceil(value / per), a rounding residue ignored."""
        return max(0, math.ceil(value / self.per - 1e-9))


@dataclass(frozen=True, slots=True)
class RolePlan:
    name: str
    ident: int
    kind: Kind  # what the role does (sim.roles)
    segment: int | None  # segment index (sellers, sdrs, support); None = all / not used
    headcount: int
    tenures_days: tuple[float, ...] | None  # today's heads' tenures; None: stationary start
    cost_per_day: float
    commission: float
    hire_cost: float
    ramp: tuple[float, ...]
    attrition_per_day: float
    backfill: bool
    time_to_hire: Lognormal
    opps_per_day: float
    max_open_opps: float  # inf = unlimited
    skill_sigma: float
    territory_decay: float
    book_per_head: float
    covers: float
    effects: dict[str, float]
    span: int
    follows: Follow | None = None  # headcount follows a driver (at least `headcount`)
    opps_spread: float = 0.0  # cv of a head's lognormal multiplier on what it sources


@dataclass(frozen=True, slots=True)
class ProgramPlan:
    name: str
    start_month: int
    end_month: int  # exclusive
    cost: float
    monthly_cost: float
    seat_cost_per_month: float
    role: str | None
    who: str
    reselect_months: int  # bottom_quartile chosen again this often (0: once)
    effects: dict[str, float]
    phase_in_months: int

    def active(self, month: int) -> bool:
        return self.start_month <= month < self.end_month


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    seed: int
    months: int
    warm_months: int
    start_calendar_month: int  # 0 = January
    segments: tuple[SegmentPlan, ...]
    roles: tuple[RolePlan, ...]
    customers_count: int
    customers_arr: float
    churn: float
    expansion: float
    overload_churn: float
    hiring: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # month -> [(role, n)]
    programs: tuple[ProgramPlan, ...] = ()
    other_heads: int | None = None  # company heads outside go-to-market (company.other_heads)
    open_pipeline: bool = True  # draw the stationary open pipeline at the warm-up's start
    # ranged assumptions (sim.ranges.Range) and the scenario to compile each replication's
    # draws into (sim.ranges.drawn_plan); () and None without ranges
    ranges: tuple = ()
    source: Scenario | None = None
    state: StatePlan | None = None  # a given start state (sim.state): no warm-up

    @property
    def warm_days(self) -> float:
        return self.warm_months * MONTH_DAYS

    def role(self, name: str) -> RolePlan:
        return next(r for r in self.roles if r.name == name)

    def calendar_month(self, month: int) -> int:
        """Calendar month (0 = January) of horizon month `month` (negative: warm-up)."""
        return (self.start_calendar_month + month) % 12


def _role_plan(name: str, role: Role, segment_index: dict[str, int]) -> RolePlan:
    return RolePlan(
        name=name,
        ident=name_id(name),
        kind=KINDS[role.kind],
        segment=segment_index[role.segment] if role.segment is not None else None,
        headcount=role.headcount,
        tenures_days=(None if role.tenures() is None
                      else tuple(t * MONTH_DAYS for t in role.tenures())),
        cost_per_day=role.cost / YEAR_DAYS,
        commission=role.commission,
        hire_cost=role.hire_cost,
        ramp=tuple(role.ramp),
        attrition_per_day=role.attrition / YEAR_DAYS,
        backfill=role.backfill,
        time_to_hire=Lognormal.of(role.time_to_hire_days),
        opps_per_day=role.opps_per_month / MONTH_DAYS,
        max_open_opps=float(role.max_open_opps) if role.max_open_opps else math.inf,
        skill_sigma=role.skill_sigma,
        territory_decay=role.territory_decay,
        book_per_head=role.book_per_head or 0.0,
        covers=role.covers or 0.0,
        effects=dict(role.effects),
        span=role.span or 1,
        follows=(None if role.follows is None else Follow(
            "arr" if role.follows.arr is not None else "sellers",
            role.follows.arr if role.follows.arr is not None else role.follows.sellers,
            role.follows.shrink)),
        opps_spread=role.opps_spread,
    )


def compile_plan(scenario: Scenario, state: StatePlan | None = None) -> Plan:
    """Compile a validated scenario into the engine's plan. `state`, when given, is its
    start state already read (a replication's drawn plan reuses the run's: the file is
    read once, and draws change no name or count it depends on)."""
    from sim.scenario.schema import parse_month

    segment_index = {name: i for i, name in enumerate(scenario.segments)}
    segments = tuple(
        SegmentPlan(
            index=i,
            name=name,
            ident=name_id(name),
            win_rate=seg.win_rate,
            deal=(Lognormal.of(seg.deal_size) if seg.deal_size.mix is None
                  else Mix.of(seg.deal_size.mix)),
            cycle=(Lognormal.of(seg.cycle_days) if seg.cycle_days.quantiles is None
                   else Empirical.of(seg.cycle_days.quantiles)),
            accounts=seg.accounts,
            inbound_per_day=seg.inbound_opps_per_month / MONTH_DAYS,
            seasonality=tuple(seg.seasonality or [1.0] * 12),
            no_decision=seg.no_decision.share if seg.no_decision else 0.0,
            no_decision_days=seg.no_decision.after_days if seg.no_decision else 0.0,
        )
        for i, (name, seg) in enumerate(scenario.segments.items())
    )
    roles = tuple(_role_plan(n, r, segment_index) for n, r in scenario.roles.items())
    if state is None and scenario.start_state is not None:
        state = load_state(scenario.start_state, scenario)
    if state is not None:  # the roster sets today's tenures
        roles = tuple(
            replace(r, tenures_days=tuple(t for t, _p, _w in state.heads[r.name]))
            if r.name in state.heads else r for r in roles)
    hiring: dict[int, list[tuple[str, int]]] = {}
    for hire in scenario.hiring:
        hiring.setdefault(scenario.month_index(hire.month), []).append((hire.role, hire.count))
    programs = tuple(
        ProgramPlan(
            name=name,
            start_month=scenario.month_index(p.start),
            end_month=(
                scenario.month_index(p.start) + p.months if p.months else scenario.months
            ),
            cost=p.cost,
            monthly_cost=p.monthly_cost,
            seat_cost_per_month=p.seat_cost_per_month,
            role=p.targets.role if p.targets else None,
            who=p.targets.who if p.targets else "all",
            reselect_months=p.targets.reselect_months if p.targets else 0,
            effects=dict(p.effects),
            phase_in_months=p.phase_in_months,
        )
        for name, p in scenario.programs.items()
    )
    longest_cycle = max(s.open_high(_max_cycle_lever(scenario)) for s in segments)
    warm = math.ceil(longest_cycle / MONTH_DAYS)
    return Plan(
        name=scenario.name,
        seed=scenario.seed,
        months=scenario.months,
        warm_months=0 if state is not None else min(WARM_MAX_MONTHS, max(WARM_MIN_MONTHS, warm)),
        start_calendar_month=parse_month(scenario.start)[1] - 1,
        segments=segments,
        roles=roles,
        customers_count=scenario.customers.count,
        customers_arr=scenario.customers.arr,
        churn=scenario.customers.churn,
        expansion=scenario.customers.expansion,
        overload_churn=scenario.customers.overload_churn,
        hiring=hiring,
        programs=programs,
        other_heads=scenario.company.other_heads if scenario.company else None,
        ranges=scenario.ranges,
        source=scenario if scenario.ranges else None,
        open_pipeline=state is None,
        state=state,
    )


def _max_cycle_lever(scenario: Scenario) -> float:
    """Support staff act from the first day, so warm up with their cycle effect too."""
    factor = 1.0
    for role in scenario.roles.values():
        factor *= max(1.0, role.effects.get("cycle_time", 1.0))
    return factor
