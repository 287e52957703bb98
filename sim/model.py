"""One replication: the go-to-market team as a discrete-event simulation on SimPy.

SimPy runs the clock and the people: month starts and ends, requisitions filled after their
time-to-hire, departures at their attrition times. Opportunities are the bulk of the events
and need no process of their own: each month's arrivals are drawn in blocks per source at
the month's start, and the `Pipeline` takes them and the closes of open opportunities in
time order between the people events.

Time is in days from the horizon start; the simulation starts ``warm_months`` earlier, with
today's seats and open pipeline drawn in their stationary state (sim.steady), so day 0 is
steady (nothing before day 0 is recorded; a role with `tenure_months` set neither leaves
nor hires before day 0).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import simpy

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython
from simpy.events import NORMAL

from sim import levers, steady
from sim import pipeline as pipeline_module
from sim import state as state_module
from sim.arrivals import Arrivals
from sim.customers import Book
from sim.days import MONTH_DAYS, YEAR_DAYS, month_of
from sim.metrics import Layout
from sim.people import (
    Head,
    Roster,
    advance_all,
    employed_days,
    heads_month,
    neutral_levers,
    seat_insert,
    seat_remove,
)
from sim.pipeline import ROUTED_INBOUND, Pipeline, stable_order
from sim.plan import Plan, ProgramPlan, RolePlan
from sim.ranges import drawn_plan
from sim.streams import INBOUND, START_STATE, OppDraws, source, stream

if cython.compiled:  # the stationary start's rows read through C pointers
    from cython.cimports.cpython import array as carray

OPEN = steady.OPEN  # numbers per open opportunity drawn at the start


class SellerRow(NamedTuple):
    """One seller of one replication (a row of reps.csv before labels)."""

    role: str
    seat: int
    occupant: int
    hired_day: float
    left_day: float  # NaN while still employed at the horizon's end
    skill: float
    opps: int
    wins: int
    bookings: float


@dataclass
class ReplicationResult:
    """Raw monthly metrics (layout rows x months) and one row per seller."""

    replication: int
    raw: np.ndarray
    sellers: list[SellerRow]


HIRE, DEPARTURE, MONTH_END = 0, 1, 2  # what a `ClockEvent` is


class Clock:
    """What a model's `ClockEvent`s reach it through. The run cuts it when it ends, so that
    the events SimPy still holds (people events after the horizon: SimPy's environment is
    a reference cycle, freed only by the garbage collector) do not keep the model alive;
    reference counting frees the model as soon as it is dropped."""

    def __init__(self, model: Model) -> None:
        self.model = model


class ClockEvent:
    """A hire or a departure of `head`, or a month's end, at `day` on the SimPy clock.

    SimPy's `Environment.step` processes it as any event: it takes `callbacks` (leaving
    None), calls each with the event, then reads `_ok`. So the model schedules it with
    `Environment.schedule`, as a `Timeout` schedules itself, without a `Timeout`'s set-up
    or a process to resume; its one callback hands it to its model (`Model._happen`)."""

    def __init__(self, clock: Clock, kind: int, head: Head | None, day: float) -> None:
        self.callbacks = HAPPEN
        self._ok = True
        self.clock = clock
        self.kind = kind
        self.head = head
        self.day = day  # the time SimPy gives it: now + delay (Environment.schedule)


def _happen(event: ClockEvent) -> None:
    event.clock.model._happen(event)


HAPPEN = (_happen,)  # every ClockEvent's callbacks (SimPy replaces them, never appends)


def layout_for(plan: Plan) -> Layout:
    return Layout(
        [r.name for r in plan.roles], [r.name for r in plan.roles if r.kind.covers_book]
    )


class Model:
    """Simulates one replication of a plan; `run()` returns its raw metrics.

    With `log_opportunities`, `pipeline.log` records every opportunity open on or after
    day 0 (sim.synth reads it); off, nothing is recorded and the numbers are the same."""

    def __init__(self, plan: Plan, replication: int, layout: Layout | None = None,
                 log_opportunities: bool = False) -> None:
        plan = drawn_plan(plan, replication)  # this replication's draws of ranged assumptions
        self.plan = plan
        self.replication = replication
        self.layout = layout or layout_for(plan)
        self.ix = self.layout.index
        self.raw = [[0.0] * plan.months for _ in range(len(self.layout))]
        self.env = simpy.Environment(initial_time=-plan.warm_months * MONTH_DAYS)
        self.now = self.env.now  # SimPy's time (`_happen` keeps it)
        self.clock = Clock(self)
        self.month = -plan.warm_months
        self.month_start = self.env.now
        self.book = Book(plan, replication)
        self.pipeline = Pipeline(
            len(plan.segments),
            {name: self.raw[self.ix[name]] for name in self.layout.names},
            self.book,
            routed=[s.index for s in plan.segments
                    if _most_sellers(plan, s.index) >= pipeline_module.ROUTER_FROM],
        )
        if log_opportunities:
            self.pipeline.log = {}
        self.rosters = {
            r.name: Roster(r, i, None if r.segment is None else plan.segments[r.segment])
            for i, r in enumerate(plan.roles)
            if r.kind.simulated
        }
        self.role_no = {r.name: i for i, r in enumerate(plan.roles)}
        self.months = plan.months
        # the CSM rosters and the book each of their heads covers (`_csm_capacity`)
        self.csm_rosters = [(r, r.role.book_per_head) for r in self.rosters.values()
                            if r.role.kind.covers_book]
        self.managers = [r for r in plan.roles if not r.kind.simulated]
        # each role's heads_<role> row of `raw`, beside its roster or plan (`_end_month`)
        self.roster_heads = [(r, self.raw[self.ix[f"heads_{r.role.name}"]])
                             for r in self.rosters.values()]
        self.manager_heads = [(r, self.raw[self.ix[f"heads_{r.name}"]]) for r in self.managers]
        self.sellers = self.pipeline.sellers  # active sellers by segment, in routing order
        self.started: list[Head] = []  # heads employed at some point this month
        self.all_sellers: list[Head] = []
        self.inbound = [
            OppDraws(source(plan.seed, replication, INBOUND, (s.ident,))) for s in plan.segments
        ]
        self.segment_factor = [1.0] * len(plan.segments)
        self.company = levers.neutral()
        self.month_programs: list[tuple[ProgramPlan, float, set]] = []
        self.month_support: list[tuple[int | None, dict[str, float], float]] = []
        self.cohorts: dict[str, set] = {}
        # roles whose headcount follows a driver, their open requisitions (oldest first) and
        # requisitions cancelled before they filled (follows.shrink)
        self.followers = [r for r in self.rosters.values() if r.role.follows is not None]
        self.pending: dict[str, list[Head]] = {r.role.name: [] for r in self.followers}
        self.cancelled: set[Head] = set()
        self.manager_days = {r.name: 0.0 for r in self.managers}
        self.manager_mark = self.env.now
        self.arr_at_start = self.book.total_arr
        if plan.warm_months == 0:
            self.book.mark()  # day 0: the first cohort of trailing-twelve-month retention
        self.state_heads: dict[tuple[str, int], Head] = {}  # a start state's heads by seat
        self._hire_today_team()

    # ---- set-up -------------------------------------------------------------------
    def _hire_today_team(self) -> None:
        """Today's seats at the warm-up's start: as `tenure_months` says (no vacancies), or
        drawn from the role's stationary state (sim.steady)."""
        first_day = self.env.now
        plan, rep = self.plan, self.replication
        self.seat_states: list[tuple[Roster, int, Head | None, bool, float]] = []
        for roster in self.rosters.values():
            role = roster.role
            seats = self._start_seats(role)
            if role.tenures_days is None:
                for seat in range(seats):
                    vacant, age, remaining = steady.seat_start(plan, role, seat, rep)
                    head = roster.new_head(seat, plan.seed, rep)
                    if vacant:
                        self._hire_at(first_day + remaining, head)
                    else:
                        self._start_head(head, first_day, first_day - age)
                    self.seat_states.append((roster, seat, None if vacant else head, vacant, age))
                continue
            tenures = list(role.tenures_days)  # a follower's extra seats: the mean tenure
            tenures += [sum(tenures) / len(tenures) if tenures else 0.0] * (seats - len(tenures))
            for seat, tenure_days in enumerate(tenures):
                head = roster.new_head(seat, plan.seed, rep)
                if plan.state is not None and seat < len(plan.state.heads.get(role.name, ())):
                    self._as_listed(head, *plan.state.heads[role.name][seat][1:])
                hired = -tenure_days
                if hired <= first_day:
                    self._start_head(head, first_day, hired)
                    self.seat_states.append((roster, seat, head, False, first_day - hired))
                else:
                    self._hire_at(hired, head)

    def _as_listed(self, head: Head, pipeline: float, win_rate: float) -> None:
        """A start state's seller: its pipeline multiplier in place of the drawn spread
        (`opps_spread`), and its win-rate multiplier in place of the drawn skill (NaN: not
        given, drawn as for any head)."""
        if not math.isnan(pipeline):
            head.seat_factor *= pipeline
            head.opps_factor = 1.0
        if not math.isnan(win_rate):
            head.skill = win_rate
        head.set_lever(head.lever)
        self.state_heads[(head.role_name, head.seat)] = head

    def _open_state(self) -> None:
        """A given start state's open opportunities at day 0 (sim.state): each with the rest
        of its cycle drawn given its age, owned by its seller (the owned ones first), else
        routed like an inbound one; the i-th gets the i-th draws of the state's streams."""
        plan, rep = self.plan, self.replication
        opportunities = plan.state.opportunities
        v, u_win, z_size = state_module.draws(stream(plan.seed, rep, START_STATE, 0),
                                              stream(plan.seed, rep, START_STATE, 1),
                                              len(opportunities))
        placed = []
        for i, (role, seat, segment, age, amount) in enumerate(opportunities):
            seg = plan.segments[segment]
            u = u_win[i]
            close = seg.cycle.remaining(age, v[i])
            if seg.no_decision > 0:
                u, close = state_module.undecided_given_age(seg, age, u, close)
            owner = self.state_heads.get((role, seat)) if role is not None else None
            placed.append((owner is None, i, owner, segment, -age, close, u, amount))
        placed.sort(key=itemgetter(0, 1))
        for _routed, i, owner, segment, created, close, u, amount in placed:
            self.pipeline.place_at_start(owner, segment, created, close, u, z_size[i], amount)

    def _start_seats(self, role: RolePlan) -> int:
        """Today's seats: `headcount`, or for a follower at least what its driver needs at
        the start (today's book, `customers.arr`, or today's sellers, their headcount)."""
        follow = role.follows
        if follow is None:
            return role.headcount
        if follow.driver == "arr":
            value = self.plan.customers_arr
        else:
            value = sum(r.headcount for r in self.plan.roles if r.kind.sells)
        return max(role.headcount, follow.need(value))

    def _start_head(self, head: Head, first_day: float, hired: float) -> None:
        self._activate(head, first_day)
        if head.sells:
            self.pipeline.join(head)
        head.hired_at = hired
        head.progress_days = first_day - hired

    def _open_pipeline(self, start: float) -> None:
        """The stationary open pipeline at the warm-up's start (`start`): each seat's heads'
        opportunities still open, and the segments' inbound ones (sim.steady)."""
        plan, rep = self.plan, self.replication
        seasons = [steady.Season(plan, seg) for seg in plan.segments]
        # the opportunities (OPEN numbers each) by group, a seat's or a segment's
        # inbound: per group its seller (an occupant that sells, else None: routed) in
        # `owners`, and (segment, full_ok, end row) in `groups`
        rows = array("d")
        owners: list[Head | None] = []
        groups = array("l")
        for roster, seat, head, vacant, age in self.seat_states:
            role = roster.role
            if role.kind.sources is None or role.opps_per_day <= 0:
                continue
            seg = plan.segments[role.segment]
            index = seg.index
            rate = role.opps_per_day * self.book.market_factor(index)
            sells = role.kind.sells
            if sells:
                rate *= roster.seat_factor(seat)
            own_factor = head.opps_factor if head is not None else 1.0
            opens = steady.seat_opportunities(plan, role, seat, rep, start, rate, vacant, age,
                                              seasons[index], max(seg.seasonality),
                                              own_factor)
            if len(opens):
                rows.extend(opens)
                owners.append(head if sells else None)
                groups.extend((index, 1 if sells else 0, len(rows) // OPEN))
        for seg in plan.segments:
            index = seg.index
            rate = seg.inbound_per_day * self.book.market_factor(index)
            opens = steady.inbound_opportunities(plan, index, rep, start, rate, seasons[index],
                                                 max(seg.seasonality))
            if len(opens):
                rows.extend(opens)
                owners.append(None)
                groups.extend((index, 0, len(rows) // OPEN))
        self._open_rows(rows, owners, groups)

    def _open_rows(self, rows: array, owners: list[Head | None], groups: array) -> None:
        """Open `_open_pipeline`'s opportunities in the order of their `u_order`, equal ones
        in the order drawn: its own ones to their seat's occupant (if it has room), a
        leaver's (handed over, even beyond capacity) or an SDR's routed."""
        n = len(rows) // OPEN
        order = stable_order(rows[::OPEN], n)
        group_of = array("l", [0]) * max(n, 1)  # each row's group
        if cython.compiled:
            r = cython.cast(carray.array, rows).data.as_doubles
            g = cython.cast(carray.array, groups).data.as_longs
            o = cython.cast(carray.array, order).data.as_longs
            w = cython.cast(carray.array, group_of).data.as_longs
        else:
            r, g, o, w = rows, groups, order, group_of
        group = 0
        for i in range(n):
            while i >= g[3 * group + 2]:
                group += 1
            w[i] = group
        pipeline = self.pipeline
        for j in range(n):
            i = o[j]
            group = w[i]
            k = OPEN * i
            pipeline.open_at_start(owners[group] if r[k + 3] != 0.0 else None, g[3 * group],
                                   r[k + 1], r[k + 2], r[k + 4], r[k + 5], g[3 * group + 1] != 0)

    # ---- the clock ----------------------------------------------------------------
    def run(self) -> ReplicationResult:
        self.simulate()
        return ReplicationResult(self.replication, np.array(self.raw, dtype=np.float64),
                                 self._seller_rows())

    def simulate(self) -> None:
        """Run the replication: its raw metrics in `raw`, its sellers in `all_sellers`
        (`run` returns them as a result; a worker reads `raw` and `seller_block`)."""
        self.done = self.env.event()
        self._begin_month(-self.plan.warm_months)
        self.env.run(until=self.done)
        self.clock.model = None  # the events left on SimPy's clock let go of the model

    # SimPy's clock runs the people events and the month ends, each a `ClockEvent` whose
    # callback (`_happen`) first works the pipeline up to it. Opportunity events never
    # schedule people events, so the pipeline runs between them without SimPy. A month's
    # end is scheduled once no people event is due before it, after those scheduled
    # earlier for the same time: the order a clock process would give waiting on each
    # people event, then on a timeout to the month's end (tests/test_clock.py).
    def _begin_month(self, month: int) -> None:
        start = month * MONTH_DAYS
        self.month_end = start + MONTH_DAYS
        self.end_scheduled = False
        self._start_month(month, start, self.month_end)
        if month == -self.plan.warm_months and self.plan.open_pipeline:
            self._open_pipeline(start)
        elif month == 0 and self.plan.state is not None:
            self._open_state()
        self._end_when_due()

    def _end_when_due(self) -> None:
        """With no people event due before the month's end, work the pipeline to it and
        schedule the end."""
        if self.env.peek() >= self.month_end:
            self.pipeline.work_until(self.month_end)
            self._at(self.month_end, MONTH_END, None)
            self.end_scheduled = True

    def _happen(self, event: ClockEvent) -> None:
        """A `ClockEvent` on SimPy's clock, now."""
        self.now = event.day
        if event.kind == MONTH_END:
            month = self.month
            self._end_month(month, month * MONTH_DAYS, self.month_end)
            if month + 1 < self.months:
                self._begin_month(month + 1)
            else:
                self.done.succeed()
            return
        if not self.end_scheduled:
            self.pipeline.work_until(event.day)
        if event.kind == HIRE:
            self._hire(event.head)
        else:
            self._departure(event.head)
        if not self.end_scheduled:
            self._end_when_due()

    def _at(self, day: float, kind: int, head: Head | None) -> None:
        """Schedule a `ClockEvent` of `kind` for `head` on the SimPy clock at `day` (now if
        `day` has passed)."""
        delay = max(0.0, day - self.now)
        self.env.schedule(ClockEvent(self.clock, kind, head, self.now + delay), NORMAL, delay)

    def _record(self, name: str, day: float, value: float) -> None:
        month = month_of(day)
        if 0 <= month < self.months:
            self.raw[self.ix[name]][month] += value

    # ---- months -------------------------------------------------------------------
    def _start_month(self, month: int, start: float, end: float) -> None:
        self.month = month
        self.month_start = start
        self.pipeline.month = month
        plan = self.plan
        heads = [h for roster in self.rosters.values() for h in roster.active]
        advance_all(heads, start)
        moves = plan.hiring.get(month, ()) if month >= 0 else ()
        if moves:  # planned exits leave first: this month's cohorts and seats exclude them
            for role_name, count in moves:
                if count < 0:
                    self._planned(role_name, count, start)
            heads = [h for roster in self.rosters.values() for h in roster.active]
        shrinking = [r for r in self.followers if r.role.follows.shrink
                     and (month >= 0 or r.role.tenures_days is None)]
        if shrinking:  # followers let go before this month's cohorts and seats are set
            for roster in shrinking:
                self._follow(roster, start, grow=False)
            heads = [h for roster in self.rosters.values() for h in roster.active]
        self._set_levers(month, start, heads)
        for role_name, count in moves:  # requisitions read this month's time_to_hire lever
            if count > 0:
                self._planned(role_name, count, start)
        for roster in self.followers:
            if month >= 0 or roster.role.tenures_days is None:
                self._follow(roster, start, grow=True)
        calendar = plan.calendar_month(month)
        for seg in plan.segments:
            self.segment_factor[seg.index] = (
                self.book.market_factor(seg.index) * seg.seasonality[calendar]
            )
        self.started = list(heads)
        arrivals = self.pipeline.fresh_arrivals()
        # as _head_month for every head, in one loop: the month's largest
        for leaves, head in heads_month(heads, start, end, self.segment_factor, arrivals,
                                        month >= 0):
            self._at(leaves, DEPARTURE, head)
        for seg in plan.segments:
            rate = seg.inbound_per_day * self.segment_factor[seg.index]
            if rate > 0:
                self.inbound[seg.index].between(start, end, rate, ROUTED_INBOUND, seg.index,
                                                arrivals)
        self.pipeline.new_month(arrivals)
        for index in range(len(plan.segments)):
            self.pipeline.seat(index)  # spares from this month's capacity
        self.arr_at_start = self.book.total_arr
        self.book_size_at_start = self.book.n

    def _head_month(self, head: Head, start: float, end: float, arrivals: Arrivals) -> None:
        """A head's month from `start` (`Head.month`: ramp, capacity, its arrivals and
        attrition); a departure within the month goes on the clock. A stationary role's
        heads leave in the warm-up too."""
        role = head.role
        factor = self.segment_factor[role.segment] if head.kind is not None else 1.0
        leaves = head.month(start, end, factor, arrivals,
                            self.month >= 0 or role.tenures_days is None)
        if leaves == leaves:  # not NaN
            self._at(leaves, DEPARTURE, head)

    def _end_month(self, month: int, start: float, end: float) -> None:
        self.book.settle()
        if month == -1:
            self.book.mark()  # day 0: the first cohort of trailing-twelve-month retention
        if month < 0:
            self._managers_to(end)
            self.manager_days = dict.fromkeys(self.manager_days, 0.0)
            return
        self._people_costs(month, start, end)
        raw, ix = self.raw, self.ix
        heads_total = 0
        for roster, row in self.roster_heads:
            row[month] = len(roster.active)
            heads_total += len(roster.active)
        n_sellers = _count(self.sellers)
        for role, row in self.manager_heads:
            count = math.ceil(n_sellers / role.span)
            row[month] = count
            heads_total += count
        raw[ix["heads_total"]][month] = heads_total
        raw[ix["sellers"]][month] = n_sellers
        raw[ix["open_opps"]][month] = self.pipeline.open_count()
        book = self.book
        raw[ix["revenue"]][month] = book.month_revenue(self.arr_at_start)
        churned_arr, churned, expansion = book.month_end(
            month, self.book_size_at_start, self.company[levers.CHURN],
            self.company[levers.EXPANSION], self._csm_capacity(),
        )
        raw[ix["churned_arr"]][month] = churned_arr
        raw[ix["customers_churned"]][month] = churned
        raw[ix["expansion_arr"]][month] = expansion
        raw[ix["arr"]][month] = book.total_arr
        raw[ix["customers"]][month] = book.customers
        book.mark()
        (raw[ix["retention_arr_then"]][month], raw[ix["retention_arr_kept"]][month],
         raw[ix["retention_arr_now"]][month]) = book.retention(12)

    def _people_costs(self, month: int, start: float, end: float) -> None:
        """Loaded cost accrues daily for every head employed, ramping or not."""
        raw, ix = self.raw, self.ix
        cost, head_days, seller_days, ramp_days = employed_days(self.started, start, end)
        self._managers_to(end)
        for role in self.managers:
            days = self.manager_days[role.name]
            cost += days * role.cost_per_day
            head_days += days
            self.manager_days[role.name] = 0.0
        raw[ix["cost_people"]][month] = cost
        raw[ix["head_days"]][month] = head_days
        raw[ix["seller_days"]][month] = seller_days
        raw[ix["ramp_days"]][month] = ramp_days

    def _managers_to(self, day: float) -> None:
        """Accrue manager-days up to `day`: managers follow sellers, ceil(sellers / span)."""
        if self.managers and day > self.manager_mark:
            n_sellers = _count(self.sellers)
            for role in self.managers:
                count = math.ceil(n_sellers / role.span)
                self.manager_days[role.name] += count * (day - self.manager_mark)
        self.manager_mark = max(self.manager_mark, day)

    def _csm_capacity(self) -> float | None:
        """ARR the CSMs cover this month (ramp-weighted), or None without a CSM role."""
        if not self.csm_rosters:
            return None
        covered = []  # (summed as before: sum() of the list, in roster and head order)
        for roster, per_head in self.csm_rosters:
            for head in roster.active:
                covered.append(head.ramp_avg * per_head)
        return sum(covered)

    # ---- levers -------------------------------------------------------------------
    def _set_levers(self, month: int, start: float, heads: list[Head]) -> None:
        """This month's programs and support coverage, and every head's levers."""
        self.company = levers.neutral()
        self.month_programs = []
        program_cost = 0.0
        for program in self.plan.programs:
            if month < 0 or not program.active(month):
                continue
            elapsed = month - program.start_month
            fraction = levers.phase_fraction(elapsed, program.phase_in_months)
            if elapsed == 0:
                program_cost += program.cost
            every = program.reselect_months
            if program.who == "bottom_quartile" and (
                elapsed == 0 or (every and elapsed % every == 0)
            ):  # whoever is in the bottom quartile now, not a cohort that leaves over time
                self.cohorts[program.name] = _bottom_quartile(
                    [h for h in heads if h.role.name == program.role]
                )
            program_cost += program.monthly_cost
            cohort = self.cohorts.get(program.name, set())
            self.month_programs.append((program, fraction, cohort))
            targeted = 0
            for h in heads:
                if _targets(program, cohort, h, start):
                    targeted += 1
            program_cost += program.seat_cost_per_month * targeted
            book_effects = {k: v for k, v in program.effects.items() if k in ("churn", "expansion")}
            levers.apply(self.company, book_effects, fraction)
        if month >= 0:
            self.raw[self.ix["cost_programs"]][month] += program_cost
        self.month_support = []
        for roster in self.rosters.values():
            role = roster.role
            if not role.kind.supports or not role.effects:
                continue
            covered = sum(
                len(s) for i, s in enumerate(self.sellers) if role.segment in (None, i)
            )
            supported = role.covers * sum([h.ramp_now() for h in roster.active])
            coverage = min(1.0, supported / covered) if covered else 0.0
            self.month_support.append((role.segment, role.effects, coverage))
            book_effects = {k: v for k, v in role.effects.items() if k in ("churn", "expansion")}
            levers.apply(self.company, book_effects, coverage)
        if self.month_programs or self.month_support:
            _set_head_levers(heads, self.month_programs, self.month_support, start)
        else:  # no effect reaches any head this month
            neutral_levers(heads)

    def _head_levers(self, head: Head) -> list[float]:
        """`head`'s levers now (`_levers_for`)."""
        return _levers_for(head, self.month_programs, self.month_support, self.month_start,
                           None)

    def _time_to_hire_lever(self, role_name: str) -> float:
        lever = 1.0
        for program, fraction, _cohort in self.month_programs:
            factor = program.effects.get("time_to_hire")
            if factor is not None and program.role in (None, role_name):
                lever *= 1.0 + (factor - 1.0) * fraction
        return lever

    # ---- people -------------------------------------------------------------------
    def _driver_need(self, role: RolePlan) -> int:
        """Heads a follower's driver needs now (at least `headcount`)."""
        follow = role.follows
        if follow.driver == "arr":
            value = self.book.total_arr
        else:
            value = _count(self.sellers)
        return max(role.headcount, follow.need(value))

    def _follow(self, roster: Roster, day: float, grow: bool) -> None:
        """A month start: open requisitions up to what the driver needs (heads + open
        requisitions; `grow`), or with `shrink` cancel open requisitions (latest first), then
        let the longest-tenured heads go, down to it (not `grow`)."""
        role = roster.role
        need = self._driver_need(role)
        have = len(roster.taken)
        if grow and have < need:
            self._record("requisitions_follow", day, need - have)
            for _ in range(need - have):
                self._requisition(roster, roster.free_seat(), day)
        elif not grow and have > need:
            pending = self.pending[role.name]
            extra = have - need
            while extra and pending:
                head = pending.pop()
                self.cancelled.add(head)
                roster.release(head.seat)
                extra -= 1
            for head in roster.longest_tenure(extra):
                self._leave(head, day, backfill=False)

    def _planned(self, role_name: str, count: int, day: float) -> None:
        roster = self.rosters[role_name]
        if count > 0:
            for _ in range(count):
                self._requisition(roster, roster.free_seat(), day)
        else:
            for head in roster.longest_tenure(-count):
                self._leave(head, day, backfill=False)

    def _requisition(self, roster: Roster, seat: int, day: float) -> None:
        """Open a requisition for `seat`; its next occupant starts after time-to-hire."""
        head = roster.new_head(seat, self.plan.seed, self.replication)
        wait = roster.role.time_to_hire.at(head.tth_z) * self._time_to_hire_lever(
            roster.role.name
        )
        self._hire_at(day + wait, head)

    def _hire_at(self, day: float, head: Head) -> None:
        """`head` starts on `day` (a requisition open until then)."""
        pending = self.pending.get(head.role_name)
        if pending is not None:
            pending.append(head)
        self._at(day, HIRE, head)

    def _activate(self, head: Head, day: float) -> None:
        roster = self.rosters[head.role_name]
        if head.sells:
            self._managers_to(day)
            self.all_sellers.append(head)
        head.start(day)
        seat_insert(roster.active, head)

    def _hire(self, head: Head) -> None:
        if head in self.cancelled:  # a follower's requisition cancelled while open
            self.cancelled.discard(head)
            return
        pending = self.pending.get(head.role_name)
        if pending is not None:
            pending.remove(head)  # every follower's hire was scheduled by _hire_at
        day = self.now
        self._activate(head, day)
        self._record("hires", day, 1)
        self._record("cost_hiring", day, head.role.hire_cost)
        head.set_lever(self._head_levers(head))
        seats = sum([  # (a list: a cpdef method has no generator; the same sum)
            program.seat_cost_per_month
            for program, _fraction, cohort in self.month_programs
            if _targets(program, cohort, head, self.month_start)
        ])
        self._record("cost_programs", day, seats)  # a seat is bought for the starting month
        self.started.append(head)
        end = (self.month + 1) * MONTH_DAYS
        if day < end:
            arrivals = self.pipeline.arrivals
            first = arrivals.n
            self._head_month(head, day, end, arrivals)
            self.pipeline.add_arrivals(first)
        else:
            head.month_pieces = []
        if head.sells:
            self.pipeline.join(head)

    def _departure(self, head: Head) -> None:
        if head.active:
            backfill = head.role.backfill
            if backfill and head.role.follows is not None:
                # a follower's seat reopens only while the driver still needs it
                roster = self.rosters[head.role_name]
                backfill = len(roster.taken) - 1 < self._driver_need(head.role)
            self._leave(head, self.now, backfill=backfill)

    def _leave(self, head: Head, day: float, backfill: bool) -> None:
        roster = self.rosters[head.role_name]
        head.active = False
        head.left_at = day
        seat_remove(roster.active, head)
        self._record("departures", day, 1)
        if head.sells:
            self._managers_to(day)
            self.pipeline.leave(head, day)
        if backfill:
            self._requisition(roster, head.seat, day)
        else:
            roster.release(head.seat)

    # ---- results ------------------------------------------------------------------
    def raw_into(self, out: np.ndarray) -> None:
        """Write `raw` (metric rows x months of Python numbers) into `out`, a C-contiguous
        float64 array of that shape: one typed loop where numpy would inspect every
        element of the nested lists to find the array's shape and type."""
        rows = self.raw
        if not cython.compiled:  # numpy's conversion, in C too
            out[...] = rows
            return
        values = out  # a C view when compiled (sim/model.pxd)
        for r in range(len(rows)):
            row = rows[r]
            for m in range(len(row)):
                values[r, m] = row[m]

    def seller_block(self) -> np.ndarray:
        """Every seller (`all_sellers`, in order) as a row of float64s: `SellerRow`'s fields
        with the role as its index in the plan's roles (`sim.sellers.SELLER_COLUMNS`), in
        one array and one typed loop instead of a tuple per seller (all exact in float64)."""
        sellers = self.all_sellers
        count = len(sellers)
        block = np.empty((count, 9))
        rows = block  # a C view when compiled (sim/model.pxd)
        for i in range(count):
            head = sellers[i]
            rows[i, 0] = self.role_no[head.role_name]
            rows[i, 1] = head.seat
            rows[i, 2] = head.occupant
            rows[i, 3] = head.hired_at
            rows[i, 4] = head.left_at if not head.active else math.nan
            rows[i, 5] = head.skill
            rows[i, 6] = head.opps
            rows[i, 7] = head.wins
            rows[i, 8] = head.bookings
        return block

    def _seller_rows(self) -> list[SellerRow]:
        """`seller_block`'s rows as `SellerRow`s: the role by name, the counts as ints, and
        `math.nan` itself while employed (one NaN object: equal rows compare equal)."""
        roles = [role.name for role in self.plan.roles]
        return [SellerRow(roles[int(role)], int(seat), int(occupant), hired,
                          left if left == left else math.nan, skill, int(opps), int(wins),
                          bookings)
                for role, seat, occupant, hired, left, skill, opps, wins, bookings
                in self.seller_block().tolist()]


def _targets(program: ProgramPlan, cohort: set, head: Head, month_start: float) -> bool:
    """Whether `program` (its `cohort` this month) reaches `head` in the month from
    `month_start`."""
    if program.role is not None and head.role.name != program.role:
        return False
    if program.who == "bottom_quartile":
        return head in cohort
    if program.who == "new_hires":
        return head.hired_at > month_start - YEAR_DAYS
    return True


def _set_head_levers(heads: list[Head], programs: list, support: list,
                     month_start: float) -> None:
    """Each of `heads` at its levers this month (`_levers_for`; a head already at an equal
    list keeps its own)."""
    made: dict = {}  # heads reached by the same effects share one lever list
    for head in heads:
        lever = _levers_for(head, programs, support, month_start, made)
        if lever is not head.lever and lever != head.lever:
            head.set_lever(lever)


def _levers_for(head: Head, programs: list, support: list, month_start: float,
                made: dict | None) -> list[float]:
    """`head`'s levers this month: the effects of the `programs` (program, fraction, cohort)
    that reach it, then for a seller those of the `support` staff (segment, effects,
    coverage) covering its segment, applied in that order to neutral levers; NEUTRAL when
    none reaches it. `made` keeps the lists made this month by which effects reach a head
    (heads reached by the same ones get the same list)."""
    reach = 0  # bit i: the i-th program, then the i-th support entry, reaches the head
    bit = 1
    for program, _fraction, cohort in programs:
        if _targets(program, cohort, head, month_start):
            reach |= bit
        bit <<= 1
    if head.own:  # a seller
        for segment, _effects, _coverage in support:
            if segment in (None, head.segment_index):
                reach |= bit
            bit <<= 1
    if not reach:
        return levers.NEUTRAL
    lever = made.get(reach) if made is not None else None
    if lever is None:
        lever = levers.neutral()
        bit = 1
        for program, fraction, _cohort in programs:
            if reach & bit:
                levers.apply(lever, program.effects, fraction)
            bit <<= 1
        for _segment, effects, coverage in support:
            if reach & bit:
                levers.apply(lever, effects, coverage)
            bit <<= 1
        if made is not None:
            made[reach] = lever
    return lever


def _count(lists: list[list]) -> int:
    """How many items `lists` hold (the active sellers of every segment)."""
    count = 0
    for items in lists:
        count += len(items)
    return count


def _most_sellers(plan: Plan, segment: int) -> int:
    """The most sellers the segment can hold: today's team and every planned hire."""
    hires: dict[str, int] = {}
    for entries in plan.hiring.values():
        for role_name, count in entries:
            hires[role_name] = hires.get(role_name, 0) + max(0, count)
    return sum(r.headcount + hires.get(r.name, 0) for r in plan.roles
               if r.kind.sells and r.segment == segment)


def _bottom_quartile(heads: list[Head]) -> set:
    """The least skilled quarter of `heads` (at least one when there are any)."""
    if not heads:
        return set()
    count = max(1, round(len(heads) / 4))
    return set(sorted(heads, key=lambda h: (h.skill, h.order))[:count])
