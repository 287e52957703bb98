# Cython declarations for sim/pipeline.py (compiled core, sim/core.py): the pipeline's
# state and the hot loop's locals typed; the .py stays plain Python.
import cython

from sim.people cimport Head


cdef class Pipeline:
    cdef public Py_ssize_t month, next, added, key
    cdef public list pending, extra, closes, routers, sellers, spares, created, won
    cdef public dict heirs, amounts
    cdef public object unworked, full, lost, won_deal, log  # log: sim.synth, None when off

    @cython.locals(owner=Head, day=cython.double, i=Py_ssize_t, key=Py_ssize_t,
                   month=Py_ssize_t, slot=Py_ssize_t, u_win=cython.double,
                   z_cycle=cython.double, z_size=cython.double, created_day=cython.double,
                   size=cython.double, cycle_days=cython.double, month_end=cython.double,
                   pending=list, closes=list, extra=list, all_spares=list, all_sellers=list,
                   routers=list, created=list, unworked=list, lost=list, full=list,
                   won=list, bookings=list, customers=list, cycles=list, commission=list,
                   amounts=dict)
    cpdef work_until(self, double until)

    @cython.locals(head=Head, count=Py_ssize_t)
    cpdef open_count(self)
