# Cython declarations for sim/streams.py (compiled core, sim/core.py).
import cython

from sim.arrivals cimport Arrivals


cdef class OppDraws:
    cdef object _rng
    cdef list _gap, _u_win, _z_cycle, _z_size
    cdef Py_ssize_t _i
    cdef public double left

    @cython.locals(i=Py_ssize_t, left=cython.double, room=cython.double, day=cython.double,
                   gap=list, u_win=list, z_cycle=list, z_size=list)
    cpdef between(self, double start, double end, double rate, object kind, object source,
                  Arrivals out)
