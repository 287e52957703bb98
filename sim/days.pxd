# Cython declarations for sim/days.py (compiled core, sim/core.py).
import cython


@cython.locals(month_days=cython.double, month=cython.double)
cpdef object month_of(double day)
