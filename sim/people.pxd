# Cython declarations for sim/people.py (compiled core, sim/core.py): typed attributes of a
# head. The .py stays plain Python; this file only types what it already holds.

import cython

from sim.arrivals cimport Arrivals
from sim.days cimport month_of
from sim.streams cimport OppDraws, source

# days per month and year (sim.days), C constants here
cdef double MONTH_DAYS


# lever indices (sim.levers), C constants here
cdef Py_ssize_t ATTRITION, CAPACITY, CYCLE_TIME, DEAL_SIZE, PIPELINE, RAMP_SPEED
cdef Py_ssize_t SELLING_TIME, WIN_RATE


# a head's spares until seated: one view for every head (no new memoryview per head)
cdef double[::1] NO_SPARES


cdef class Head:
    # First and together, what the pipeline's loop reads of the head an arrival or a close
    # belongs to (Pipeline.work_until): three cache lines of the object, where they were
    # spread over eight (C lays the fields out in this order).
    cdef public Py_ssize_t slot, n_open, segment_no, opps, wins
    cdef public double p_win, decided, deal_mu, deal_sigma, deal_mult, commission, bookings
    cdef public double cycle_mu, cycle_sigma, cycle_mult
    cdef public bint active, plain
    cdef public object deal_mix
    cdef public double[::1] spares  # the segment's spare capacities (sim.pipeline)
    # the rest
    cdef public object role, segment, month_pieces, kind
    cdef public list lever
    cdef public OppDraws draws
    cdef public object cycle_table
    cdef public long long order  # routing order: role order × 1,000,000 + seat
    cdef public tuple ramp
    cdef public Py_ssize_t seat, occupant
    cdef public object segment_index
    cdef public double skill, attrition_left, tth_z, hired_at, left_at, progress_days
    cdef public double progress_at, ramp_avg, capacity, spare
    cdef public double rate_unit, seat_factor, room, hazard
    cdef public double no_decision_days, opps_factor
    cdef public double opps_per_day, attrition_per_day, cost_per_day, win_rate
    cdef public double skill_sigma, spread
    cdef public object ident
    cdef public str role_name
    cdef public double ramp_last, ramp_speed, max_open, month_from, month_to, month_ramp
    cdef public bint ramped, own, unlimited, stationary, sells

    @cython.locals(rate=cython.double, hazard=cython.double, wait=cython.double,
                   factor=cython.double, days=cython.double)
    cpdef double month(self, double start, double end, double segment_factor,
                       Arrivals arrivals, bint may_leave)

    @cython.locals(pipeline=cython.double, selling_time=cython.double, capacity=cython.double,
                   attrition=cython.double, win_rate=cython.double)
    cpdef set_lever(self, list lever)
    cpdef _read_figures(self, object role, object segment)
    cpdef _copy_figures(self, Head like)

    cpdef advance_progress(self, double day)

    @cython.locals(speed=cython.double, progress=cython.double, t=cython.double,
                   t_next=cython.double, step=cython.double, k=Py_ssize_t, pieces=list)
    cpdef list ramp_pieces(self, double start, double end)


@cython.locals(x=cython.double, y=cython.double, r=cython.double, lo=cython.double,
               hi=cython.double, total=cython.double)
cpdef double ramp_days(list pieces, double a, double b)


@cython.locals(head=Head, a=cython.double, b=cython.double, days=cython.double,
               cost=cython.double, head_days=cython.double, seller_days=cython.double,
               ramped=cython.double, lo=cython.double, hi=cython.double)
cpdef tuple employed_days(list heads, double start, double end)


@cython.locals(head=Head, leaves=cython.double, factor=cython.double, leaving=list)
cpdef list heads_month(list heads, double start, double end, list segment_factor,
                       Arrivals arrivals, bint may_leave)


@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t, mid=Py_ssize_t, other=Head, value=cython.longlong)
cpdef Py_ssize_t heads_bisect(list heads, long long key, bint by_order, bint right) except -1


cpdef seat_insert(list heads, Head head)


cpdef seat_remove(list heads, Head head)


@cython.locals(head=Head)
cpdef advance_all(list heads, double day)


@cython.locals(head=Head, neutral=list)
cpdef neutral_levers(list heads)


# A role's seats and heads: its fields in C slots, so that making a head reads them
# directly (the model reads them too, as attributes)
cdef class Roster:
    cdef public object role, segment
    cdef public Head made
    cdef public Py_ssize_t order, high
    cdef public list active, freed
    cdef public dict occupants
    cdef public set taken
    cdef bint sells
    cdef Py_ssize_t headcount
    cdef double territory_decay

    @cython.locals(occupant=Py_ssize_t, head=Head)
    cpdef Head new_head(self, Py_ssize_t seat, object seed, Py_ssize_t rep)

    @cython.locals(freed=list, taken=set)
    cpdef Py_ssize_t free_seat(self)

    cpdef release(self, Py_ssize_t seat)

    @cython.locals(extra=Py_ssize_t)
    cpdef double seat_factor(self, Py_ssize_t seat)
