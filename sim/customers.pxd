# Cython declarations for sim/customers.py (compiled core, sim/core.py): the book's state
# and its per-customer loops typed; the .py stays plain Python.
import cython

from sim.streams cimport source

# days per month and year (sim.days), C constants here
cdef double MONTH_DAYS, YEAR_DAYS


cdef class Book:
    cdef public object plan
    cdef public Py_ssize_t replication, n, pending
    cdef public double total_arr, month_revenue_extra, growth_index
    cdef public list per_segment, marks
    cdef readonly double[:] arr, kept_buffer, churned_buffer
    cdef readonly long long[:] segment
    cdef readonly signed char[:] alive

    @cython.locals(arr=cython.double[:], segment=cython.longlong[:], alive=cython.schar[:],
                   i=Py_ssize_t, index=Py_ssize_t)
    cpdef _open_book(self, Py_ssize_t n, double share, Py_ssize_t segments)

    @cython.locals(row=Py_ssize_t)
    cpdef add(self, double arr, double day, Py_ssize_t segment, double month_end)

    @cython.locals(count=Py_ssize_t, n=Py_ssize_t, j=Py_ssize_t,
                   segment=cython.longlong[:], alive=cython.schar[:], per_segment=list)
    cpdef settle(self)

    @cython.locals(size=Py_ssize_t, i=Py_ssize_t, arr=cython.double[:],
                   segment=cython.longlong[:], alive=cython.schar[:],
                   old_arr=cython.double[:], old_segment=cython.longlong[:],
                   old_alive=cython.schar[:])
    cpdef _grow(self, Py_ssize_t need)

    cpdef tuple month_end(self, Py_ssize_t month, Py_ssize_t n_at_start, double churn_mult,
                          double expansion_mult, object csm_capacity)

    @cython.locals(arr=cython.double[:], alive=cython.schar[:], segment=cython.longlong[:],
                   kept_arr=cython.double[:], churned_arr=cython.double[:],
                   per_segment=list, below=cython.double, factor=cython.double,
                   kept=Py_ssize_t, churned=Py_ssize_t, i=Py_ssize_t)
    cpdef tuple _churn_each(self, Py_ssize_t n, double[:] u, double p_churn, double growth)

    @cython.locals(n=Py_ssize_t, arr=cython.double[:], alive=cython.schar[:],
                   summands=cython.double[:], count=Py_ssize_t, i=Py_ssize_t)
    cpdef tuple retention(self, Py_ssize_t months=*)


@cython.locals(total=cython.double, r0=cython.double, r1=cython.double, r2=cython.double,
               r3=cython.double, r4=cython.double, r5=cython.double, r6=cython.double,
               r7=cython.double, i=Py_ssize_t, stop=Py_ssize_t, half=Py_ssize_t)
cpdef double pairwise_sum(double[:] values, Py_ssize_t n, Py_ssize_t start=*)
