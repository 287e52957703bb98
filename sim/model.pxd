# Cython declarations for sim/model.py (compiled core, sim/core.py): the month's lever
# functions typed, called per head; the .py stays plain Python (Model is a Python class).
import cython

from sim.people cimport Head


cpdef bint _targets(object program, object cohort, Head head, double month_start)


@cython.locals(lever=list)
cpdef list _levers_for(Head head, list programs, list support, double month_start,
                       dict made)


@cython.locals(head=Head, lever=list, made=dict)
cpdef _set_head_levers(list heads, list programs, list support, double month_start)


@cython.locals(count=Py_ssize_t)
cpdef Py_ssize_t _count(list lists)
