# Cython declarations for sim/arrivals.py (compiled core, sim/core.py): the columns are C
# arrays behind typed memoryviews of the `array.array`s the .py keeps.
import cython


cdef class Arrivals:
    cdef public Py_ssize_t n, capacity
    cdef public list sources
    cdef list _columns
    cdef public double[::1] day, u_win, z_cycle, z_size
    cdef public long[::1] kind

    @cython.locals(n=Py_ssize_t)
    cpdef add(self, double day, long kind, object source, double u_win, double z_cycle,
              double z_size)
