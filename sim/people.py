"""People: heads (sellers and other staff), seats, requisitions and the ramp.

A head is one person in one seat of a role. Seats are the stable identity of a head's
random stream together with the occupant number (0 = today's team or the first person in a
new seat; a backfill is the next occupant). Hires fill the lowest free seat, so a seat
beyond today's team (territory decay) is reused before a new one is opened.
"""

from __future__ import annotations

import heapq
from array import array
from typing import TYPE_CHECKING

from sim.days import MONTH_DAYS, month_of
from sim.levers import (
    ATTRITION,
    CAPACITY,
    CYCLE_TIME,
    DEAL_SIZE,
    NEUTRAL,
    PIPELINE,
    RAMP_SPEED,
    SELLING_TIME,
    WIN_RATE,
)
from sim.plan import Empirical, Mix, RolePlan, SegmentPlan
from sim.roles import SELF
from sim.streams import HEAD, HEAD_SPREAD, OppDraws, source

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython

if cython.compiled:  # C's infinity and NaN, and the libm functions math's call
    from cython.cimports.libc.math import INFINITY as INF
    from cython.cimports.libc.math import NAN, exp, log1p, sqrt
else:
    from math import exp, log1p, sqrt
    from math import inf as INF
    from math import nan as NAN

if cython.compiled:  # numpy's random C API: the functions the Generator methods below call
    from cython.cimports.sim.npyrandom import random_standard_exponential, random_standard_normal
    from cython.cimports.sim.streams import bitgen_of

if TYPE_CHECKING:
    from sim.arrivals import Arrivals

# A head's figures from its role and segment (`Head._read_figures`; a head made like
# another copies them, `Head._copy_figures`)
FIGURES = ("ident", "role_name", "sells", "segment_index", "segment_no", "skill_sigma",
           "spread", "commission",
           "kind", "ramp", "ramp_last", "own", "max_open", "unlimited", "stationary",
           "opps_per_day", "attrition_per_day", "cost_per_day", "cycle_mu", "cycle_sigma",
           "deal_mu", "deal_sigma", "plain", "decided", "no_decision_days", "cycle_table",
           "deal_mix", "win_rate")

UNLIMITED = 1e12  # capacity of a seller without max_open_opps: spare = UNLIMITED - open


NO_SPARES = array("d")  # a head's spares until it is seated (never written: sim.pipeline)


class Head:
    """One person. Times are in days from the horizon start (negative = before it)."""

    __slots__ = (
        "role", "seat", "occupant", "draws", "skill", "attrition_left", "tth_z",
        "hired_at", "left_at", "active", "progress_days", "progress_at", "lever",
        "ramp_avg", "ramped", "capacity", "spare", "opps", "wins", "bookings", "order",
        "month_pieces", "segment", "segment_index", "segment_no", "slot", "spares", "n_open",
        "p_win", "cycle_mu", "cycle_sigma", "cycle_mult", "deal_mu", "deal_sigma", "deal_mult",
        "commission", "kind", "rate_unit", "seat_factor", "room", "hazard",
        "plain", "decided", "no_decision_days", "cycle_table", "deal_mix", "opps_factor",
        "ramp", "ramp_last", "ramp_speed", "own", "max_open", "unlimited", "stationary",
        "month_from", "month_to", "month_ramp", "opps_per_day", "attrition_per_day",
        "cost_per_day", "win_rate", "ident", "skill_sigma", "spread", "role_name", "sells",
    )

    def __init__(self, role: RolePlan, seat: int, occupant: int, seed: int, rep: int,
                 order: int, segment: SegmentPlan | None = None, like: Head | None = None
                 ) -> None:
        """A head of `role` in `seat` (its `occupant`-th); `like`, another head of the same
        role and segment, lends its figures (`FIGURES`) instead of reading them again."""
        self.role = role
        self.segment = segment  # the SegmentPlan a seller or SDR works in
        if like is None:
            self._read_figures(role, segment)
        else:
            self._copy_figures(like)
        self.seat = seat
        self.occupant = occupant
        self.order = order  # routing tie-breaks: role order × 1,000,000 + seat
        rng = source(seed, rep, HEAD, (self.ident, seat, occupant))
        self.draws = OppDraws(rng)  # it draws nothing before its first block
        # Header draws, always in this order and count, before any opportunity draws (one
        # at a time: the same numbers as ``standard_normal(2)``, without an array)
        if cython.compiled:  # the Generator's C calls, without its method calls
            tth_z = random_standard_normal(self.draws._bitgen)
            skill_z = random_standard_normal(self.draws._bitgen)
            self.attrition_left = random_standard_exponential(self.draws._bitgen)
        else:
            tth_z = rng.standard_normal()
            skill_z = rng.standard_normal()
            self.attrition_left = rng.standard_exponential()
        sigma = self.skill_sigma
        self.skill = exp(sigma * skill_z - 0.5 * sigma * sigma)
        self.tth_z = tth_z
        self.hired_at = NAN
        self.left_at = NAN
        self.active = False
        self.progress_days = 0.0  # ramp progress at time `progress_at`
        self.progress_at = 0.0
        self.ramp_avg = 0.0  # time-average ramp factor over this month's employed part
        self.ramped = False  # at the last value of the ramp for good
        self.capacity = 0.0  # max open opportunities this month
        self.month_pieces: list[tuple[float, float, float]] = []  # this month's ramp pieces
        self.spare = 0.0  # capacity - open opportunities (see Pipeline.spares)
        self.slot = 0  # position in the segment's spare list (-1 once it has left)
        self.spares = NO_SPARES  # the segment's spare capacities, once seated (shared)
        self.n_open = 0  # open opportunities owned
        self.opps = 0
        self.wins = 0
        self.bookings = 0.0
        self.seat_factor = 1.0  # territory decay of a seller's seat (set by the roster)
        # opportunities per day before ramp, market and season; capacity levers; hazard
        self.rate_unit = self.room = self.hazard = 0.0
        # this month's levers, cached for the pipeline
        self.p_win = 0.0
        self.cycle_mult = self.deal_mult = 1.0
        # a head's own multiplier on what it sources (opps_spread), from a stream of its own
        self.opps_factor = 1.0
        if self.spread > 0:
            spread = self.spread
            spread_rng = source(seed, rep, HEAD_SPREAD, (self.ident, seat, occupant))
            if cython.compiled:  # (spread_rng, referenced, keeps the bit generator alive)
                z = random_standard_normal(bitgen_of(spread_rng))
            else:
                z = float(spread_rng.standard_normal())
            self.opps_factor = exp(spread * z - 0.5 * spread * spread)
        self.set_lever(NEUTRAL)

    def _read_figures(self, role: RolePlan, segment: SegmentPlan | None) -> None:
        """The role's and segment's figures (`FIGURES`) the month, the pipeline and the
        month end read, from the plan."""
        self.ident = role.ident
        self.role_name = role.name  # the model's people events read these two
        self.sells = role.kind.sells
        self.segment_index = role.segment
        # the same as a C integer for the pipeline (-1: a role without a segment, who
        # never reaches it)
        self.segment_no = -1 if role.segment is None else role.segment
        if role.kind.sources is not None and role.segment is None:  # (the schema's rule;
            # the pipeline indexes by segment_no without bounds checks)
            raise ValueError(f"role {role.name!r} sources opportunities but has no segment")
        self.skill_sigma = role.skill_sigma
        self.spread = sqrt(log1p(role.opps_spread ** 2)) if role.opps_spread > 0 else 0.0
        self.commission = role.commission
        self.kind = role.kind.sources  # arrival kind of its own opportunities
        self.ramp = role.ramp
        self.ramp_last = role.ramp[-1]
        self.own = self.kind == SELF  # a seller: capacity, its own pipeline, seller-days
        self.max_open = role.max_open_opps
        self.unlimited = role.max_open_opps == INF
        self.stationary = role.tenures_days is None  # leaves in the warm-up too
        self.opps_per_day = role.opps_per_day
        self.attrition_per_day = role.attrition_per_day
        self.cost_per_day = role.cost_per_day
        # the segment's distributions. What a fitted scenario may add (sim.pipeline reads
        # `plain` first): undecided opportunities (u_win >= `decided`), an empirical
        # cycle, a deal-size mix.
        self.cycle_mu = self.cycle_sigma = self.deal_mu = self.deal_sigma = 0.0
        self.plain = True
        self.decided = 1.0
        self.no_decision_days = 0.0
        self.cycle_table: Empirical | None = None
        self.deal_mix: Mix | None = None
        self.win_rate = 0.0
        if segment is not None:
            if isinstance(segment.cycle, Empirical):
                self.cycle_table = segment.cycle
            else:
                self.cycle_mu, self.cycle_sigma = segment.cycle.mu, segment.cycle.sigma
            if isinstance(segment.deal, Mix):
                self.deal_mix = segment.deal
            else:
                self.deal_mu, self.deal_sigma = segment.deal.mu, segment.deal.sigma
            self.decided = 1.0 - segment.no_decision
            self.no_decision_days = segment.no_decision_days
            self.plain = self.cycle_table is None and not segment.no_decision
            self.win_rate = segment.win_rate

    def _copy_figures(self, like: Head) -> None:
        """`FIGURES` from `like`, a head of the same role and segment."""
        self.ident = like.ident
        self.role_name = like.role_name
        self.sells = like.sells
        self.segment_index = like.segment_index
        self.segment_no = like.segment_no
        self.skill_sigma = like.skill_sigma
        self.spread = like.spread
        self.commission = like.commission
        self.kind = like.kind
        self.ramp = like.ramp
        self.ramp_last = like.ramp_last
        self.own = like.own
        self.max_open = like.max_open
        self.unlimited = like.unlimited
        self.stationary = like.stationary
        self.opps_per_day = like.opps_per_day
        self.attrition_per_day = like.attrition_per_day
        self.cost_per_day = like.cost_per_day
        self.cycle_mu = like.cycle_mu
        self.cycle_sigma = like.cycle_sigma
        self.deal_mu = like.deal_mu
        self.deal_sigma = like.deal_sigma
        self.plain = like.plain
        self.decided = like.decided
        self.no_decision_days = like.no_decision_days
        self.cycle_table = like.cycle_table
        self.deal_mix = like.deal_mix
        self.win_rate = like.win_rate

    def set_lever(self, lever: list[float]) -> None:
        """This month's levers, and the products of them the month and pipeline read."""
        self.lever = lever
        self.ramp_speed = lever[RAMP_SPEED]
        # the multipliers as C doubles in the compiled core (arithmetic unboxed)
        pipeline, selling_time = lever[PIPELINE], lever[SELLING_TIME]
        capacity, attrition, win_rate = lever[CAPACITY], lever[ATTRITION], lever[WIN_RATE]
        self.rate_unit = self.opps_per_day * pipeline * selling_time
        if self.opps_factor != 1.0:
            self.rate_unit *= self.opps_factor
        self.room = capacity * selling_time
        self.hazard = self.attrition_per_day * attrition
        if self.segment is not None:
            self.p_win = self.win_rate * self.skill * win_rate
            if self.decided < 1.0:  # won: u_win below the win rate's share of the decided
                self.p_win = min(1.0, self.p_win) * self.decided
            self.cycle_mult = lever[CYCLE_TIME]
            self.deal_mult = lever[DEAL_SIZE]

    def open_days(self, u_win: float, z_cycle: float) -> float:
        """Days a new opportunity stays open (the pipeline's path when not `plain`): the drop
        age if it never decides (u_win >= `decided`), else its cycle."""
        if u_win >= self.decided:
            return self.no_decision_days
        table = self.cycle_table
        if table is None:
            return exp(self.cycle_mu + self.cycle_sigma * z_cycle) * self.cycle_mult
        return table.at(z_cycle) * self.cycle_mult

    def month(self, start: float, end: float, segment_factor: float, arrivals: Arrivals,
              may_leave: bool) -> float:
        """This head's month from `start` (sim.model): ramp, a seller's capacity, its
        arrivals (at `segment_factor` × its own rate) added to `arrivals`, and attrition
        when `may_leave`: the day it leaves within the month, else NaN.

        The month's ramp is kept for `employed_days`: [`month_from`, `month_to`) at
        `month_ramp` when `month_pieces` is None (a ramped head: no list), else the pieces."""
        self.month_from = start
        self.month_to = end
        pieces = None
        if self.ramped:
            factor = self.ramp_last
        else:
            pieces = self.ramp_pieces(start, end)
            factor = pieces[0][2]
            if len(pieces) == 1:  # at one value all month (e.g. ramped from now on)
                pieces = None
        self.month_pieces = pieces
        self.month_ramp = factor
        if pieces is None:
            days = (end - start) * factor if end > start else 0.0  # as ramp_days, one piece
        else:
            days = ramp_days(pieces, start, end)
        self.ramp_avg = days / (end - start)
        kind = self.kind
        if kind is not None:  # sellers and SDRs source opportunities
            rate = self.rate_unit * segment_factor * self.seat_factor
            if self.own:
                if self.unlimited:
                    self.capacity = UNLIMITED if self.ramp_avg > 0 else 0.0
                else:
                    self.capacity = self.max_open * self.ramp_avg * self.room
                self.spare = self.capacity - self.n_open
            if rate > 0:
                if pieces is None:  # as OppDraws.arrivals over the one piece
                    if rate * factor > 0.0:
                        self.draws.between(start, end, rate * factor, kind, self, arrivals)
                else:
                    self.draws.arrivals(pieces, rate, kind, self, arrivals)
        hazard = self.hazard
        if hazard > 0 and may_leave:
            wait = self.attrition_left / hazard
            if start + wait < end:
                self.attrition_left = INF
                return start + wait
            self.attrition_left -= hazard * (end - start)
        return NAN

    def start(self, day: float, progress_days: float = 0.0) -> None:
        self.active = True
        self.hired_at = day
        self.progress_at = day
        self.progress_days = progress_days

    def advance_progress(self, day: float) -> None:
        """Bring ramp progress up to `day` at this month's ramp speed (moot once ramped)."""
        if day > self.progress_at and not self.ramped:
            self.progress_days += (day - self.progress_at) * self.ramp_speed
            self.progress_at = day

    def ramp_now(self) -> float:
        """Ramp factor at `progress_at` (the month's start once progress is advanced)."""
        ramp = self.ramp
        return ramp[min(month_of(self.progress_days), len(ramp) - 1)]

    def ramp_pieces(self, start: float, end: float) -> list[tuple[float, float, float]]:
        """(from_day, to_day, ramp factor) pieces over [start, end), tenure month by month.

        Progress along the ramp runs at ramp_speed; `ramp[k]` holds in month k of progress
        and the last value holds after the curve ends.
        """
        ramp = self.ramp
        if self.ramped:
            return [(start, end, ramp[-1])]
        speed = self.ramp_speed
        progress = self.progress_days + (start - self.progress_at) * speed
        pieces = []
        t = start
        last = len(ramp) - 1
        while t < end:
            # past the curve's end the month number only picks the last value: capped, it
            # fits a C integer even for a tenure of 1e90 days (a stationary start can draw it)
            k = month_of(min(progress, (last + 1) * MONTH_DAYS))
            if k >= len(ramp) - 1 and t == start:
                self.ramped = True  # progress never goes back
            if k >= len(ramp) - 1 or speed <= 0:
                pieces.append((t, end, ramp[min(k, len(ramp) - 1)]))
                break
            step = (k + 1) * MONTH_DAYS
            t_next = min(end, t + (step - progress) / speed)
            pieces.append((t, t_next, ramp[k]))
            # at a step, progress is exactly the step: a sum a rounding error short of it
            # would find the same k again and stall the month there
            progress = step if t_next < end else progress + (t_next - t) * speed
            t = t_next
        return pieces


def ramp_days(pieces: list[tuple[float, float, float]], a: float, b: float) -> float:
    """Ramp-weighted days of ramp `pieces` within [a, b)."""
    if len(pieces) == 1:  # the usual case: no generator, no min and max calls
        x, y, r = pieces[0]
        lo = x if x > a else a
        hi = y if y < b else b
        return (hi - lo) * r if hi > lo else 0.0
    total = 0.0  # summed in order, as sum() over the pieces would
    for x, y, r in pieces:
        lo = x if x > a else a
        hi = y if y < b else b
        if hi > lo:
            total += (hi - lo) * r
    return total


def employed_days(heads: list[Head], start: float, end: float
                  ) -> tuple[float, float, float, float]:
    """Loaded cost, head-days, seller-days and ramp-weighted seller-days of `heads` in their
    employed part of [start, end) (sim.model's month end), summed in list order."""
    cost = head_days = seller_days = ramped = 0.0
    for head in heads:
        a = max(start, head.hired_at)
        b = end if head.active else min(end, head.left_at)
        if b <= a:
            continue
        days = b - a
        cost += days * head.cost_per_day
        head_days += days
        if head.own:
            seller_days += days
            if head.month_pieces is None:  # one piece (Head.month): as ramp_days
                lo = head.month_from if head.month_from > a else a
                hi = head.month_to if head.month_to < b else b
                if hi > lo:
                    ramped += (hi - lo) * head.month_ramp
            else:
                ramped += ramp_days(head.month_pieces, a, b)
    return cost, head_days, seller_days, ramped


def heads_month(heads: list[Head], start: float, end: float, segment_factor: list[float],
                arrivals: Arrivals, may_leave: bool) -> list[tuple[float, Head]]:
    """Every head's month from `start` in list order (`Head.month`, its segment's
    `segment_factor`; a stationary role's heads may leave in the warm-up too): the heads
    that leave within the month, as (day, head) in that order."""
    leaving = []
    for head in heads:
        # (a head that sources has a segment)
        factor = segment_factor[head.segment_no] if head.kind is not None else 1.0
        leaves = head.month(start, end, factor, arrivals, may_leave or head.stationary)
        if leaves == leaves:  # not NaN: it leaves this month
            leaving.append((leaves, head))
    return leaving


def heads_bisect(heads: list[Head], key: int, by_order: bool, right: bool) -> int:
    """Where `key` goes in `heads`, sorted by routing order (`by_order`) or by seat: after
    equal keys (`right`: bisect.bisect_right's place) or before them (bisect_left's),
    comparing the heads' slots directly (C slots in the compiled core; bisect with a key
    would call a Python function per step)."""
    lo, hi = 0, len(heads)
    while lo < hi:
        mid = (lo + hi) // 2
        other = heads[mid]
        value = other.order if by_order else other.seat
        if key < value or (key == value and not right):
            hi = mid
        else:
            lo = mid + 1
    return lo


def seat_insert(heads: list[Head], head: Head) -> None:
    """Insert `head` into `heads`, kept in seat order (seats are unique among the active)."""
    heads.insert(heads_bisect(heads, head.seat, False, True), head)


def seat_remove(heads: list[Head], head: Head) -> None:
    """Remove `head` from `heads`, kept in seat order (found by its seat)."""
    del heads[heads_bisect(heads, head.seat, False, False)]


def advance_all(heads: list[Head], day: float) -> None:
    """`Head.advance_progress` of each of `heads` to `day`."""
    for head in heads:
        head.advance_progress(day)


def neutral_levers(heads: list[Head]) -> None:
    """Every one of `heads` at the neutral levers (`sim.levers.NEUTRAL`; a head already at an
    equal list keeps its own)."""
    neutral = NEUTRAL
    for head in heads:
        if head.lever is not neutral and head.lever != neutral:
            head.set_lever(neutral)


class Roster:
    """The seats and heads of one role."""

    def __init__(self, role: RolePlan, order: int, segment: SegmentPlan | None = None) -> None:
        self.role = role
        self.order = order
        self.segment = segment
        self.active: list[Head] = []
        self.occupants: dict[int, int] = {}  # seat -> occupants so far
        self.taken: set[int] = set()  # seats occupied or with an open requisition
        # every seat below `high` that is not taken is in `freed` (a heap; may hold stale)
        self.high = 0
        self.freed: list[int] = []
        self.made: Head | None = None  # the last head made (its figures lend themselves)
        # the role's figures a new head reads
        self.sells = role.kind.sells
        self.headcount = role.headcount
        self.territory_decay = role.territory_decay

    def new_head(self, seat: int, seed: int, rep: int) -> Head:
        occupant = self.occupants.get(seat, 0)
        self.occupants[seat] = occupant + 1
        self.taken.add(seat)
        head = Head(self.role, seat, occupant, seed, rep, self.order * 1_000_000 + seat,
                    self.segment, self.made)
        self.made = head  # the next head of this roster copies its figures
        if self.sells:
            head.seat_factor = self.seat_factor(seat)
        return head

    def free_seat(self) -> int:
        """The lowest seat neither occupied nor with an open requisition."""
        freed, taken = self.freed, self.taken
        while freed and freed[0] in taken:
            heapq.heappop(freed)
        while self.high in taken:
            self.high += 1
        return min(freed[0], self.high) if freed else self.high

    def release(self, seat: int) -> None:
        """`seat` is empty and will not be backfilled."""
        self.taken.discard(seat)
        heapq.heappush(self.freed, seat)

    def seat_factor(self, seat: int) -> float:
        """Territory decay: the k-th seat beyond today's team gets (1 - d)^k of the pipeline."""
        extra = seat - self.headcount + 1
        return (1.0 - self.territory_decay) ** extra if extra > 0 else 1.0

    def longest_tenure(self, count: int) -> list[Head]:
        return sorted(self.active, key=lambda h: (h.hired_at, h.seat))[:count]

