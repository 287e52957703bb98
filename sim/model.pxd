# Cython declarations for sim/model.py (compiled core, sim/core.py): the month's lever
# functions typed, called per head; the .py stays plain Python.
import cython

from cpython.array cimport array

from sim.arrivals cimport Arrivals
from sim.customers cimport Book
from sim.days cimport month_of
from sim.people cimport Head
from sim.pipeline cimport Pipeline
from sim.streams cimport source

# days per month and year (sim.days), C constants here
cdef double MONTH_DAYS, YEAR_DAYS
cdef Py_ssize_t OPEN  # numbers per open opportunity at the start (sim.steady)


cpdef bint _targets(object program, object cohort, Head head, double month_start)


@cython.locals(lever=list)
cpdef list _levers_for(Head head, list programs, list support, double month_start,
                       dict made)


@cython.locals(head=Head, lever=list, made=dict)
cpdef _set_head_levers(list heads, list programs, list support, double month_start)


@cython.locals(count=Py_ssize_t)
cpdef Py_ssize_t _count(list lists)


cdef class Model


cdef class Clock:
    cdef public Model model


# SimPy reads and writes `callbacks` and `_ok` (sim/model.py)
cdef class ClockEvent:
    cdef public object callbacks, head
    cdef public bint _ok
    cdef public Clock clock
    cdef public Py_ssize_t kind
    cdef public double day


cpdef _happen(ClockEvent event)


# Model's state in C slots (no instance dict): the compiled methods read and write their
# attributes directly instead of by dictionary lookup. Untyped: the .py decides the values.
cdef class Model:
    cdef public object all_sellers, arr_at_start, book_size_at_start, cancelled
    cdef public object cohorts, company, env, followers, inbound, ix, layout, done
    cdef public Clock clock
    cdef public object manager_days, manager_mark, managers, month_programs
    cdef public object month_support, pending, plan, raw
    cdef public object rosters, seat_states, segment_factor, sellers
    cdef public object started, state_heads, role_no, csm_rosters, roster_heads, manager_heads
    # typed: the book's and the pipeline's methods called in C, the month's numbers unboxed
    cdef public Book book
    cdef public Pipeline pipeline
    cdef public Py_ssize_t month, replication, months
    cdef public double month_start, now, month_end
    cdef public bint end_scheduled

    # the clock
    cpdef _begin_month(self, Py_ssize_t month)
    cpdef _end_when_due(self)
    cpdef _happen(self, ClockEvent event)
    cpdef _at(self, double day, Py_ssize_t kind, Head head)

    @cython.locals(head=Head, covered=list)
    cpdef _csm_capacity(self)

    # a month's steps, called in C (no Python method call, arguments unboxed)
    cpdef _start_month(self, Py_ssize_t month, double start, double end)
    cpdef _end_month(self, Py_ssize_t month, double start, double end)
    cpdef _people_costs(self, Py_ssize_t month, double start, double end)
    cpdef _managers_to(self, double day)
    cpdef double _time_to_hire_lever(self, str role_name)
    cpdef _driver_need(self, object role)
    cpdef _follow(self, object roster, double day, bint grow)
    cpdef _planned(self, str role_name, Py_ssize_t count, double day)

    # people events: typed heads (their slots read in C)
    cpdef _record(self, str name, double day, double value)
    cpdef _requisition(self, object roster, Py_ssize_t seat, double day)
    cpdef _hire_at(self, double day, Head head)
    cpdef _activate(self, Head head, double day)
    cpdef _hire(self, Head head)
    cpdef _departure(self, Head head)
    cpdef _leave(self, Head head, double day, bint backfill)
    cpdef _head_month(self, Head head, double start, double end, Arrivals arrivals)

    cpdef _open_pipeline(self, double start)

    @cython.locals(n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, group=Py_ssize_t,
                   r=cython.p_double, g=cython.p_long, o=cython.p_long, w=cython.p_long,
                   pipeline=Pipeline)
    cdef _open_rows(self, array rows, list owners, array groups)

    @cython.locals(rows=list, row=list, values=cython.double[:, ::1], r=Py_ssize_t,
                   m=Py_ssize_t)
    cpdef raw_into(self, out)

    @cython.locals(rows=cython.double[:, ::1], head=Head, i=Py_ssize_t, count=Py_ssize_t,
                   sellers=list)
    cpdef seller_block(self)
