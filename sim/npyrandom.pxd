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


# numpy's PCG64 (numpy/random/src/pcg64/pcg64.h and _pcg64.pyx, with 128-bit integer
# arithmetic, as numpy builds it with gcc and clang): the bit generator of a `Source`.
cdef extern from *:
    """
    #include <stdint.h>
    #ifndef __SIZEOF_INT128__
    #error "simrev's compiled core needs a C compiler with 128-bit integers (gcc, clang)"
    #endif
    typedef struct {
        __uint128_t state;
        __uint128_t inc;
        int has_uint32;
        uint32_t uinteger;
    } simrev_pcg64;

    static inline void simrev_pcg64_step(simrev_pcg64 *s) {
        s->state = s->state * ((((__uint128_t)2549297995355413924ULL) << 64)
                               + 4865540595714422341ULL) + s->inc;
    }

    static inline uint64_t simrev_pcg64_next64(void *st) {
        simrev_pcg64 *s = (simrev_pcg64 *)st;
        uint64_t value;
        unsigned int rot;
        simrev_pcg64_step(s);
        value = ((uint64_t)(s->state >> 64u)) ^ (uint64_t)s->state;
        rot = (unsigned int)(s->state >> 122u);
        return (value >> rot) | (value << ((-rot) & 63));
    }

    static inline uint32_t simrev_pcg64_next32(void *st) {
        simrev_pcg64 *s = (simrev_pcg64 *)st;
        uint64_t next;
        if (s->has_uint32) {
            s->has_uint32 = 0;
            return s->uinteger;
        }
        next = simrev_pcg64_next64(st);
        s->has_uint32 = 1;
        s->uinteger = (uint32_t)(next >> 32);
        return (uint32_t)(next & 0xffffffff);
    }

    static inline double simrev_pcg64_double(void *st) {
        return (double)(simrev_pcg64_next64(st) >> 11) * (1.0 / 9007199254740992.0);
    }

    /* random_standard_uniform_fill with this bit generator's next_double, inlined */
    static inline void simrev_pcg64_fill_double(simrev_pcg64 *s, Py_ssize_t n, double *out) {
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            out[i] = simrev_pcg64_double(s);
        }
    }

    /* pcg64_set_seed: seed and increment as (high, low) 64-bit words */
    static inline void simrev_pcg64_seed(simrev_pcg64 *s, uint64_t seed_high, uint64_t seed_low,
                                  uint64_t inc_high, uint64_t inc_low) {
        s->state = 0;
        s->inc = (((((__uint128_t)inc_high) << 64) | inc_low) << 1u) | 1u;
        simrev_pcg64_step(s);
        s->state += (((__uint128_t)seed_high) << 64) | seed_low;
        simrev_pcg64_step(s);
        s->has_uint32 = 0;
        s->uinteger = 0;
    }

    /* the state as numpy's PCG64.state gives it: state and inc in (high, low) words */
    static inline void simrev_pcg64_words(simrev_pcg64 *s, unsigned long long *out) {
        out[0] = (uint64_t)(s->state >> 64u);
        out[1] = (uint64_t)s->state;
        out[2] = (uint64_t)(s->inc >> 64u);
        out[3] = (uint64_t)s->inc;
    }

    static inline void simrev_pcg64_set_words(simrev_pcg64 *s,
                                              const unsigned long long *words) {
        s->state = (((__uint128_t)words[0]) << 64) | words[1];
        s->inc = (((__uint128_t)words[2]) << 64) | words[3];
    }
    """
    ctypedef struct simrev_pcg64:
        int has_uint32
        uint32_t uinteger
    uint64_t simrev_pcg64_next64(void *st) nogil
    uint32_t simrev_pcg64_next32(void *st) nogil
    double simrev_pcg64_double(void *st) nogil
    void simrev_pcg64_fill_double(simrev_pcg64 *s, Py_ssize_t n, double *out) nogil
    void simrev_pcg64_seed(simrev_pcg64 *s, uint64_t seed_high, uint64_t seed_low,
                           uint64_t inc_high, uint64_t inc_low)
    void simrev_pcg64_words(simrev_pcg64 *s, unsigned long long *out)
    void simrev_pcg64_set_words(simrev_pcg64 *s, const unsigned long long *words)
