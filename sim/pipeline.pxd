# Cython declarations for sim/pipeline.py (compiled core, sim/core.py): the pipeline's
# state and the hot loop's locals typed; the .py stays plain Python. The arrival and
# open-opportunity columns are C arrays behind typed memoryviews.
import cython

from sim.arrivals cimport Arrivals
from sim.customers cimport Book
from sim.people cimport Head, heads_bisect

# days per month and year (sim.days), C constants here
cdef double MONTH_DAYS

cdef Py_ssize_t OPENED  # numbers per slot in Pipeline.opened


@cython.locals(slot=Py_ssize_t, i=Py_ssize_t, best=cython.double)
cpdef Py_ssize_t first_max(double[::1] spares, Py_ssize_t n)


@cython.locals(i=Py_ssize_t, low=cython.double, high=cython.double)
cpdef stable_order(double[::1] day, Py_ssize_t n)


@cython.locals(out=cython.p_long, bucket=cython.p_long, starts=cython.p_long,
               buffer=cython.p_long, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t,
               b=cython.long, first=Py_ssize_t, last=Py_ssize_t, row=cython.long)
cdef _bucket_order(double[::1] day, Py_ssize_t n, double low, double scale)


@cython.locals(src=cython.p_long, dst=cython.p_long, edges=cython.p_long,
               buffer=cython.p_long, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, lo=Py_ssize_t,
               mid=Py_ssize_t, hi=Py_ssize_t, runs=Py_ssize_t, merged=Py_ssize_t,
               r=Py_ssize_t, left=cython.long, right=cython.long, take=Py_ssize_t)
cpdef _merge_order(double[::1] day, Py_ssize_t n)


cdef class SpareColumn:
    cdef public object store
    cdef public double[::1] values


cdef class Pipeline:
    cdef public Py_ssize_t month, next, added, key, capacity, heap_n, free_n
    cdef public Arrivals arrivals
    cdef public long[::1] order, keys, heap, free, heap_key
    cdef public double[::1] opened, heap_day
    cdef public list extra, routers, sellers, spares, created, won, owners, _open_columns
    cdef public list entries  # the interpreted core's heap (sim/pipeline.py)
    cdef public dict heirs, amounts
    cdef public object unworked, full, lost, log  # log: sim.synth, None when off
    cdef public Book book

    @cython.locals(old=Py_ssize_t, slot=Py_ssize_t, free=cython.long[::1], grown=list)
    cpdef _grow_open(self, Py_ssize_t capacity)
    cpdef _reserve(self, Py_ssize_t count)

    @cython.locals(n=Py_ssize_t)
    cpdef new_month(self, Arrivals arrivals)

    @cython.locals(slot=Py_ssize_t, i=Py_ssize_t, parent=Py_ssize_t)
    cdef void _open(self, double close_day, long key, object owner, double created_day,
                    double u_win, double z_size) except *

    @cython.locals(top=Py_ssize_t, n=Py_ssize_t, last=Py_ssize_t, day=cython.double,
                   key=cython.long, i=Py_ssize_t, child=Py_ssize_t, left=cython.double,
                   right=cython.double)
    cdef Py_ssize_t _close_first(self) except -1

    cdef double _next_close(self) except? -1

    @cython.locals(column=SpareColumn, slot=Py_ssize_t)
    cpdef _most_spare(self, Py_ssize_t segment)

    @cython.locals(router=object, sellers=list, column=SpareColumn, values=cython.double[::1],
                   slot=Py_ssize_t, head=Head)
    cpdef seat(self, Py_ssize_t segment)

    @cython.locals(column=SpareColumn, sellers=list, values=cython.double[::1],
                   slot=Py_ssize_t, head=Head)
    cpdef _unseat(self, Py_ssize_t segment)

    @cython.locals(row=Py_ssize_t)
    cpdef Py_ssize_t _first(self, Py_ssize_t i) except -1

    @cython.locals(owner=Head, day=cython.double, i=Py_ssize_t, key=Py_ssize_t,
                   month=Py_ssize_t, slot=Py_ssize_t, row=Py_ssize_t, kind=cython.long,
                   u_win=cython.double, z_cycle=cython.double, z_size=cython.double,
                   created_day=cython.double, next_day=cython.double,
                   size=cython.double, cycle_days=cython.double, month_end=cython.double,
                   arrivals=Arrivals, order=cython.p_long, a_day=cython.p_double,
                   a_kind=cython.p_long, a_u_win=cython.p_double, a_z_cycle=cython.p_double,
                   a_z_size=cython.p_double, opened=cython.p_double, o_keys=cython.p_long,
                   sources=list, owners=list, sdr=Head,
                   extra=list, all_spares=list, all_sellers=list, routers=list,
                   created=list, unworked=list, lost=list, full=list, won=list,
                   bookings=list, customers=list, cycles=list, commission=list,
                   amounts=dict, book=Book, segment=Py_ssize_t,
                   column=SpareColumn, n_self=cython.double, n_sdr=cython.double,
                   n_inbound=cython.double, n_unworked=cython.double, n_full=cython.double,
                   n_lost=cython.double, n_won=cython.double, n_bookings=cython.double,
                   n_customers=cython.double, n_cycles=cython.double,
                   n_commission=cython.double, self_kind=cython.long, sdr_kind=cython.long)
    cpdef work_until(self, double until)

    @cython.locals(head=Head, count=Py_ssize_t)
    cpdef open_count(self)

    @cython.locals(sellers=list, segment=Py_ssize_t, column=SpareColumn)
    cpdef join(self, Head head)
    @cython.locals(segment=Py_ssize_t)
    cpdef leave(self, Head head, double day)

    @cython.locals(owner=Head, segment=Py_ssize_t, _=Py_ssize_t)
    cpdef _hand_over(self, Head leaver, double day)

    @cython.locals(heir=Head)
    cpdef _heir(self, Head owner)

    cpdef open_at_start(self, Head owner, Py_ssize_t segment, double created_day,
                        double close_day, double u_win, double z_size, bint full_ok)
    cpdef place_at_start(self, Head owner, Py_ssize_t segment, double created_day,
                         double close_day, double u_win, double z_size, double amount)
