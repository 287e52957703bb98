# numpy's random C API, for the compiled core only (no sim/npyrandom.py: nothing to import).
#
# The functions `numpy.random.Generator` itself calls (numpy/random/_generator.pyx):
#   standard_normal(size)              -> random_standard_normal_fill
#   standard_exponential(size)         -> random_standard_exponential_fill  (method 'zig')
#   random(size)                       -> random_standard_uniform_fill
#   poisson(lam), scalar lam           -> random_poisson (after checking 0 <= lam <= max)
# Without `size` each draws one value through the same fill function (count 1), so one
# value at a time from these gives exactly the numbers of an array draw of them.
#
# The declarations follow numpy/random/c_distributions.pxd and numpy/random/__init__.pxd
# (Cython's "Extending via Cython"), with Py_ssize_t for npy_intp (the same C type): this
# file does not cimport numpy, so a module using it needs numpy's headers
# (numpy.get_include()) and its static libnpyrandom (numpy/random/lib) at build time only,
# and nothing of numpy's array C API (no import_array) when it runs. A bit generator's
# bitgen_t comes from its "BitGenerator" capsule (sim.streams.bitgen_of).
from libc.stdint cimport int64_t, uint32_t, uint64_t


cdef extern from "numpy/random/bitgen.h":
    struct bitgen:
        void *state
        uint64_t (*next_uint64)(void *st) nogil
        uint32_t (*next_uint32)(void *st) nogil
        double (*next_double)(void *st) nogil
        uint64_t (*next_raw)(void *st) nogil

    ctypedef bitgen bitgen_t


cdef extern from "numpy/random/distributions.h":
    double random_standard_uniform(bitgen_t *bitgen_state) nogil
    void random_standard_uniform_fill(bitgen_t *bitgen_state, Py_ssize_t cnt,
                                      double *out) nogil
    double random_standard_exponential(bitgen_t *bitgen_state) nogil
    void random_standard_exponential_fill(bitgen_t *bitgen_state, Py_ssize_t cnt,
                                          double *out) nogil
    double random_standard_normal(bitgen_t *bitgen_state) nogil
    void random_standard_normal_fill(bitgen_t *bitgen_state, Py_ssize_t count,
                                     double *out) nogil
    int64_t random_poisson(bitgen_t *bitgen_state, double lam) nogil
