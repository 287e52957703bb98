# Cython declarations for sim/steady.py (compiled core, sim/core.py): the stationary
# start's loops typed; the .py stays plain Python.
import cython

from sim.days cimport month_of
from sim.npyrandom cimport bitgen_t
from sim.pipeline cimport stable_order
from sim.streams cimport source

# days per month and year (sim.days), C constants here
cdef double MONTH_DAYS


cdef class _History:
    cdef object rng, role, ramp
    cdef bitgen_t *bitgen  # rng's (the compiled core draws through numpy's C API)
    cdef Py_ssize_t last
    cdef double attrition, end, begin, hired
    cdef bint vacant

    @cython.locals(tenure=cython.double, month=Py_ssize_t)
    cpdef double factor(self, double age)

    @cython.locals(a=cython.double, z=cython.double, e=cython.double)
    cdef _previous(self)


cdef class Season:
    cdef object table
    cdef Py_ssize_t first

    @cython.locals(month=Py_ssize_t)
    cpdef double at(self, double day)


@cython.locals(u_vacant=cython.double, u_split=cython.double, z_wait=cython.double,
               e_tenure=cython.double, a=cython.double, total=cython.double,
               long_days=cython.double)
cpdef tuple seat_start(object plan, object role, Py_ssize_t seat, Py_ssize_t replication)


cdef double POISSON_C_MAX


cdef object _doubles(Py_ssize_t n)


@cython.locals(share=cython.double, mean=cython.double, n=Py_ssize_t, i=Py_ssize_t,
               j=Py_ssize_t, k=Py_ssize_t, drop=cython.double, q=cython.double,
               below=cython.double, w=cython.double, u=cython.p_double, z=cython.p_double,
               age=cython.p_double, total=cython.p_double, win=cython.p_double,
               order=cython.p_long, out=cython.p_double, width=Py_ssize_t, lognormal=bint,
               mu=cython.double, sigma=cython.double, positive=bint)
cpdef _candidates(object rng, double rate, object seg)


cdef double _length_biased(object cycle, bint lognormal, double mu, double sigma,
                           bint positive, double z) except? -1.0


@cython.locals(top=cython.double, bound=cython.double, history=_History)
cpdef seat_opportunities(object plan, object role, Py_ssize_t seat, Py_ssize_t replication,
                         double start, double rate, bint vacant, double age, object season,
                         double season_max, double own_factor=*)


@cython.locals(fast=Season, n=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t,
               step=Py_ssize_t, width=Py_ssize_t, c=cython.p_double, out=cython.p_double,
               old=cython.double, created=cython.double, own=bint, factor=cython.double)
cdef _kept(object candidates, double start, _History history, bint vacant, double age,
           double bound, object season, double own_factor)


cpdef inbound_opportunities(object plan, Py_ssize_t segment, Py_ssize_t replication,
                            double start, double rate, object season, double season_max)
