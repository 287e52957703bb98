"""A scenario compiled for the engine: rates per day, indices instead of names.

Built once per run (cheap, picklable) and shared by every replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from sim.roles import KINDS, Kind
from sim.scenario.schema import Dist, Role, Scenario, parse_month
from sim.state import StatePlan, load_state
from sim.streams import name_id

MONTH_DAYS = 365.0 / 12.0
YEAR_DAYS = 365.0
# The warm-up: the stationary people state and open pipeline are drawn at its start
# (sim.steady), so it only has to let what the draw approximates settle (capacity limits,
# hand-overs, levers of support staff): about one cycle. It runs to the cycle's 90% quantile,
# at least 3 and at most 12 months (a long-tailed cycle's old pipeline is drawn, not warmed).
WARM_QUANTILE_Z = 1.2816  # 90% quantile of a normal
WARM_MIN_MONTHS = 3
WARM_MAX_MONTHS = 12


def month_of(day: float) -> int:
    """Month index of `day`: k with k·M <= day < (k+1)·M, exact at the boundaries.

    Month starts are computed as ``k * MONTH_DAYS``; plain ``day // MONTH_DAYS`` can put
    such a start in the month before it by rounding.
    """
    month = int(day // MONTH_DAYS)
    if (month + 1) * MONTH_DAYS <= day:
        return month + 1
    if month * MONTH_DAYS > day:
        return month - 1
    return month


@dataclass(frozen=True)
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

    def length_biased(self, z: float) -> float:
        """The value at `z` of the length-biased law (density ∝ x·f(x)): for a lognormal,
        lognormal(mu + sigma², sigma). A renewal process's current interval has this law."""
        if self.mean <= 0:
            return 0.0
        return math.exp(self.mu + self.sigma * (self.sigma + z))


@dataclass(frozen=True)
class SegmentPlan:
    index: int
    name: str
    ident: int
    win_rate: float
    deal: Lognormal
    cycle: Lognormal
    accounts: int | None
    inbound_per_day: float
    seasonality: tuple[float, ...]  # by calendar month, index 0 = January


@dataclass(frozen=True)
class Follow:
    """A role's headcount driver: one head per `per` of ARR (`driver` "arr") or of sellers."""

    driver: str  # "arr" or "sellers"
    per: float
    shrink: bool  # heads leave (requisitions are cancelled first) when the driver falls

    def need(self, value: float) -> int:
        """Heads the driver's `value` needs: ceil(value / per), a rounding residue ignored."""
        return max(0, math.ceil(value / self.per - 1e-9))


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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
    )


def compile_plan(scenario: Scenario, state: StatePlan | None = None) -> Plan:
    """Compile a validated scenario into the engine's plan. `state`, when given, is its
    start state already read (a replication's drawn plan reuses the run's: the file is
    read once, and draws change no name or count it depends on)."""
    segment_index = {name: i for i, name in enumerate(scenario.segments)}
    segments = tuple(
        SegmentPlan(
            index=i,
            name=name,
            ident=name_id(name),
            win_rate=seg.win_rate,
            deal=Lognormal.of(seg.deal_size),
            cycle=Lognormal.of(seg.cycle_days),
            accounts=seg.accounts,
            inbound_per_day=seg.inbound_opps_per_month / MONTH_DAYS,
            seasonality=tuple(seg.seasonality or [1.0] * 12),
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
    longest_cycle = max(
        s.cycle.quantile_high() * _max_cycle_lever(scenario) for s in segments
    )
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
