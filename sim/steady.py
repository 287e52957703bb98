"""The stationary start: today's seats and open pipeline as years under the scenario's own
rules would leave them, drawn directly at the warm-up's start.

**People.** A seat of a role with attrition `a` > 0 and backfill alternates occupations
(exponential with rate `a`, ending in a departure) and vacancies (the role's time to hire
`T`, a requisition open). In equilibrium the seat is vacant with probability
``E[T] / (E[T] + 1/a)``; a vacancy's requisition has the length-biased law of `T` as its
total wait `L`, with ``U·L`` elapsed and ``(1 − U)·L`` left (U uniform); an occupation's age
(the head's tenure) is exponential with rate `a` (memoryless). Without backfill or without
attrition every seat is occupied: the tenure is exponential with rate `a` when a > 0, else
`LONG_TENURE_MONTHS` (at least the ramp's length: fully ramped).

**Pipeline.** An opportunity open at time s was created at some age A before s with a cycle
C > A. With arrivals at rate λ(s − A), the open ones are a Poisson process with density
``λ(s − A) · f_C(c)`` on ``0 < A < c``: draw a Poisson number with mean ``λ_max · E[C]`` of
cycles ``L`` from the length-biased law of C (``lognormal(mu + sigma², sigma)``), ages
``U·L``, remaining ``(1 − U)·L``, and keep each with probability ``λ(s − A) / λ_max``. A
seat's λ in the past follows its history drawn backwards from its state at s: the current
occupation (its head's ramp; a vacancy sources nothing), before it a vacancy of `T`, an
occupation of Exp(a) with that head's ramp, and so on (an alternating renewal process seen
backwards from equilibrium); with a = 0 the seat was held by a fully ramped head before.
Seasonality is part of λ; the market factor and levers are taken as at s. Nothing here is
recorded: these opportunities close in the warm-up or later like any other.

**Fitted forms.** With undecided opportunities (`no_decision`: share s, drop age D) an
opportunity stays open for its cycle (probability 1 − s) or D: the same draw with the mean
and length-biased law of that mixture (`_candidates`). An empirical cycle brings its own
length-biased law (`Empirical.length_biased`). A seat's current occupant sources at its own
`opps_spread` multiplier; a predecessor at the mean, 1.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable

import numpy as np

from sim.days import MONTH_DAYS, month_of
from sim.pipeline import stable_order
from sim.plan import Empirical, Lognormal, Plan, RolePlan, SegmentPlan
from sim.streams import INBOUND_PIPELINE, SEAT, SEAT_PIPELINE, source

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython

if cython.compiled:  # C's infinity: no module attribute lookup each time
    from cython.cimports.libc.math import INFINITY as INF
else:
    from math import inf as INF

if cython.compiled:  # numpy's random C API: the functions the Generator methods below call
    from cython.cimports.cpython import array as carray
    from cython.cimports.libc.math import exp
    from cython.cimports.sim.npyrandom import (
        bitgen_t,
        random_poisson,
        random_standard_exponential,
        random_standard_normal,
        random_standard_normal_fill,
        random_standard_uniform,
        random_standard_uniform_fill,
    )
    from cython.cimports.sim.streams import bitgen_of
else:
    from math import exp

# Largest Poisson mean drawn by C directly; a larger one (or NaN) goes through
# Generator.poisson, which checks it (its limit is about 9.2e18) and raises as before.
POISSON_C_MAX = 1e18

_DOUBLES = array("d")  # the template of the compiled core's new arrays (`_doubles`)

LONG_TENURE_MONTHS = 24.0  # tenure at day 0 of a head in a role without attrition

# An open opportunity drawn at the start, OPEN numbers in a flat array: (u_order,
# created_day, close_day, own, u_win, z_size); own 1.0: created by the seat's current
# occupant (0.0: before it, or routed). Where capacity binds, they are placed in the order
# of `u_order`, independent of their ages: the ages of what a full seller holds are those
# of any open opportunity (insensitivity).
OPEN = 6


def seat_start(plan: Plan, role: RolePlan, seat: int, replication: int
               ) -> tuple[bool, float, float]:
    """A seat's state at the warm-up's start: ``(vacant, age, remaining)``.

    Occupied: `age` is the head's tenure in days (remaining 0). Vacant: `age` is the open
    requisition's elapsed wait and `remaining` the days until its hire. Always four draws
    from the seat's own stream, so nothing else changes them.
    """
    rng = source(plan.seed, replication, SEAT, (role.ident, seat))
    if cython.compiled:  # the Generator's C calls, without its method calls
        bitgen = cython.declare(cython.pointer(bitgen_t), bitgen_of(rng))
        u_vacant = random_standard_uniform(bitgen)
        u_split = random_standard_uniform(bitgen)
        z_wait = random_standard_normal(bitgen)
        e_tenure = random_standard_exponential(bitgen)
    else:
        u_vacant, u_split = rng.random(2).tolist()
        z_wait = float(rng.standard_normal())
        e_tenure = float(rng.standard_exponential())
    a = role.attrition_per_day
    wait = role.time_to_hire
    if a > 0 and role.backfill and wait.mean > 0:
        if u_vacant < wait.mean / (wait.mean + 1.0 / a):
            total = wait.length_biased(z_wait)
            return True, u_split * total, total - u_split * total
    if a > 0:
        return False, e_tenure / a, 0.0
    long_days = max(LONG_TENURE_MONTHS, float(len(role.ramp))) * MONTH_DAYS
    return False, long_days - plan.warm_days, 0.0


class _History:
    """A seat's past, drawn backwards from its state at the start as far as asked.

    `factor(age)` is the ramp factor of whoever held the seat `age` days before the start
    (0 in a vacancy); call it with ages in increasing order.
    """

    def __init__(self, rng: np.random.Generator, role: RolePlan, vacant: bool,
                 age: float) -> None:
        self.rng = rng
        if cython.compiled:
            self.bitgen = bitgen_of(rng)  # (self.rng keeps its bit generator alive)
        self.role = role
        self.ramp = role.ramp
        self.last = len(role.ramp) - 1
        self.attrition = role.attrition_per_day
        self.end = age  # the current period covers ages [begin, end)
        self.begin = 0.0
        self.vacant = vacant
        self.hired = age  # age at which the current occupation began (if occupied)

    def factor(self, age: float) -> float:
        while age >= self.end:
            self._previous()
        if self.vacant:
            return 0.0
        tenure = self.hired - age
        if tenure == INF:
            return self.ramp[self.last]
        # past the curve's end the month only picks the last value: capped, it fits a C
        # integer even for a tenure near 1e90 days (attrition of 5e-90 a year draws it)
        month = month_of(min(tenure, (self.last + 1) * MONTH_DAYS))
        return self.ramp[month if month < self.last else self.last]

    def _previous(self) -> None:
        a = self.attrition
        self.begin = self.end
        if a <= 0:  # no turnover: a fully ramped head held the seat before
            self.vacant, self.end, self.hired = False, INF, INF
        elif not self.vacant:  # before an occupation: the requisition that filled it
            self.vacant = True
            if cython.compiled:
                z = random_standard_normal(self.bitgen)
            else:
                z = float(self.rng.standard_normal())
            self.end = self.begin + self.role.time_to_hire.at(z)
        else:  # before a vacancy: the occupation that ended in a departure
            self.vacant = False
            if cython.compiled:
                e = random_standard_exponential(self.bitgen)
            else:
                e = float(self.rng.standard_exponential())
            self.end = self.hired = self.begin + e / a


class Season:
    """A segment's season factor by day: its `seasonality` at the day's calendar month
    (`Plan.calendar_month` of `month_of(day)`). Called like the function it stands for."""

    def __init__(self, plan: Plan, segment: SegmentPlan) -> None:
        self.table = segment.seasonality
        self.first = plan.start_calendar_month

    def at(self, day: float) -> float:
        month = month_of(day)
        return self.table[(self.first + month) % 12]

    def __call__(self, day: float) -> float:
        return self.at(day)


def _length_biased(cycle: Lognormal | Empirical, lognormal: bool, mu: float, sigma: float,
                   positive: bool, z: float) -> float:
    """``cycle.length_biased(z)``. A `Lognormal`'s (`lognormal`, its `mu` and `sigma`, its
    mean `positive`) is computed here by the method's formula, with C's exp in the compiled
    core: no Python method call per candidate."""
    if not lognormal:
        return cycle.length_biased(z)
    return exp(mu + sigma * (sigma + z)) if positive else 0.0


# A candidate opportunity, CANDIDATE numbers in a flat array: (age, remaining, u_keep,
# u_order, u_win, z_size)
CANDIDATE = 6


def _doubles(n: int) -> array:
    """A new array of `n` doubles to be filled (zeros in the interpreted core)."""
    if cython.compiled:
        out = carray.clone(_DOUBLES, n, False)
    else:
        out = array("d", bytes(8 * n))
    return out


def _candidates(rng: np.random.Generator, rate: float, seg: SegmentPlan) -> array:
    """A Poisson number with mean `rate` × the mean time open of candidates (`CANDIDATE`
    numbers each, flat), youngest first; equal ages in the order drawn.

    With undecided opportunities (`no_decision`), the time open is the cycle with
    probability 1 − s and the drop age D with probability s; its length-biased law picks D
    with probability q = s·D / E[open]. The same uniform `u_win` decides which (D when
    u_win >= 1 − q) and, rescaled, stays the opportunity's win draw: in [1 − s, 1) for an
    undecided one, below 1 − s for a decided one, as a new one gets it.
    """
    cycle = seg.cycle
    if rate <= 0:
        return _doubles(0)
    if cython.compiled:  # the Generator's C calls below, without its method calls
        bitgen = cython.declare(cython.pointer(bitgen_t), bitgen_of(rng))
    share = seg.no_decision
    mean = rate * cycle.mean if not share else rate * seg.open_mean
    if cython.compiled and 0.0 <= mean <= POISSON_C_MAX:
        n = random_poisson(bitgen, mean)
    else:
        n = int(rng.poisson(mean))
    if n == 0:
        return _doubles(0)
    # rows u_split, u_keep, u_order, u_win and z_length, z_size: the draws of
    # random((4, n)) and standard_normal((2, n)), flat (one array shape fewer to build)
    if cython.compiled:  # the methods' fill functions, into one C buffer
        draws = cython.declare(carray.array, carray.clone(_DOUBLES, 6 * n, False))
        random_standard_uniform_fill(bitgen, 4 * n, draws.data.as_doubles)
        random_standard_normal_fill(bitgen, 2 * n, draws.data.as_doubles + 4 * n)
        u = draws.data.as_doubles
        z = u + 4 * n
    else:
        u = rng.random(4 * n).tolist()
        z = rng.standard_normal(2 * n).tolist()
    lognormal = type(cycle) is Lognormal
    mu = cycle.mu if lognormal else 0.0
    sigma = cycle.sigma if lognormal else 0.0
    positive = lognormal and cycle.mean > 0
    ages, totals, wins = _doubles(n), _doubles(n), _doubles(n)
    if cython.compiled:
        age = cython.cast(carray.array, ages).data.as_doubles
        total = cython.cast(carray.array, totals).data.as_doubles
        win = cython.cast(carray.array, wins).data.as_doubles
    else:
        age, total, win = ages, totals, wins
    if not share:
        for i in range(n):
            total[i] = _length_biased(cycle, lognormal, mu, sigma, positive, z[i])
            age[i] = u[i] * total[i]
            win[i] = u[3 * n + i]
    else:
        drop = seg.no_decision_days
        q = share * drop / seg.open_mean
        below = math.nextafter(1.0 - share, 0.0)  # the largest win draw of a decided one
        for i in range(n):
            w = u[3 * n + i]
            if w >= 1.0 - q:  # undecided: open for the drop age
                total[i] = drop
                win[i] = 1.0 - share + (w - (1.0 - q)) / q * share
            else:
                total[i] = _length_biased(cycle, lognormal, mu, sigma, positive, z[i])
                win[i] = min(w / (1.0 - q) * (1.0 - share), below)
            age[i] = u[i] * total[i]
    youngest = stable_order(ages, n)
    width = CANDIDATE
    result = _doubles(width * n)
    if cython.compiled:
        order = cython.cast(carray.array, youngest).data.as_longs
        out = cython.cast(carray.array, result).data.as_doubles
    else:
        order, out = youngest, result
    for j in range(n):
        i = order[j]
        k = width * j
        out[k] = age[i]
        out[k + 1] = total[i] - age[i]
        out[k + 2] = u[n + i]
        out[k + 3] = u[2 * n + i]
        out[k + 4] = win[i]
        out[k + 5] = z[n + i]
    return result


def seat_opportunities(plan: Plan, role: RolePlan, seat: int, replication: int, start: float,
                       rate: float, vacant: bool, age: float,
                       season: Callable[[float], float], season_max: float,
                       own_factor: float = 1.0) -> array:
    """Open opportunities at `start` that the heads of a seat created, `OPEN` numbers each
    in a flat array.

    `rate`: opportunities per day of a fully ramped head (seat and market factors included);
    `vacant`, `age`: the seat's state at `start` (see `seat_start`); `season(day)`: the
    season factor at `day`, at most `season_max`; `own_factor`: the current occupant's own
    multiplier (`opps_spread`; a predecessor's is drawn as its mean, 1).
    """
    top = max(role.ramp)
    seg = plan.segments[role.segment]
    rng = source(plan.seed, replication, SEAT_PIPELINE, (role.ident, seat))
    bound = top * season_max
    if own_factor > 1.0:
        bound *= own_factor
    candidates = _candidates(rng, rate * top * season_max if own_factor <= 1.0
                             else rate * bound, seg)
    history = _History(rng, role, vacant, age) if len(candidates) else None
    return _kept(candidates, start, history, vacant, age, bound, season, own_factor)


def _kept(candidates: array, start: float, history: _History | None, vacant: bool,
          age: float, bound: float, season: Callable[[float], float],
          own_factor: float) -> array:
    """The `candidates` kept at rate ``factor / bound``, as open opportunities (`OPEN`
    numbers each, flat): factor is the season's at creation times, for a seat's also its
    `history`'s ramp factor of whoever held it then (None: 1, inbound) and, created by the
    current occupant (not `vacant`, younger than `age`), its `own_factor`."""
    n = len(candidates) // CANDIDATE
    width = OPEN
    result = _doubles(width * n)
    fast = season if type(season) is Season else None  # typed in the compiled core
    if cython.compiled:
        c = cython.cast(carray.array, candidates).data.as_doubles
        out = cython.cast(carray.array, result).data.as_doubles
    else:
        c, out = candidates, result
    k, step = 0, CANDIDATE
    for j in range(n):
        i = step * j
        old = c[i]
        created = start - old
        own = not vacant and old < age
        factor = history.factor(old) if history is not None else 1.0
        if fast is not None:  # a Season's factor: a C double times a C double
            factor *= fast.at(created)
        else:
            factor *= season(created)
        if own and own_factor != 1.0:
            factor *= own_factor
        if c[i + 2] * bound < factor:  # u_keep
            out[k] = c[i + 3]  # u_order
            out[k + 1] = created
            out[k + 2] = start + c[i + 1]  # closes when its remaining days have passed
            out[k + 3] = 1.0 if own else 0.0
            out[k + 4] = c[i + 4]  # u_win
            out[k + 5] = c[i + 5]  # z_size
            k += width
    del result[k:]
    return result


def inbound_opportunities(plan: Plan, segment: int, replication: int, start: float,
                          rate: float, season: Callable[[float], float], season_max: float
                          ) -> array:
    """Open inbound opportunities of a segment at `start` (`rate` per day before season),
    `OPEN` numbers each in a flat array."""
    seg = plan.segments[segment]
    rng = source(plan.seed, replication, INBOUND_PIPELINE, (seg.ident,))
    return _kept(_candidates(rng, rate * season_max, seg), start, None, True, 0.0,
                 season_max, season, 1.0)
