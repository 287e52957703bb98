"""Stands in for the `cython` module where Cython is not installed: the interpreted core.

A hot module reads ``cython.compiled`` to take C functions (``libc.math``) when compiled
and their Python equivalents (the same functions of the C library, through `math`) when not.
"""

compiled = False


def _directive(_value: bool):
    """A compiler directive as a decorator (``@cython.boundscheck(False)``): nothing here."""
    return lambda function: function


boundscheck = wraparound = _directive
