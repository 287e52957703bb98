# Cython declarations for sim/streams.py (compiled core, sim/core.py).
import cython

from sim.arrivals cimport Arrivals
from sim.npyrandom cimport bitgen_t, simrev_pcg64


# numpy's SeedSequence constants, and its hashing in unsigned 64-bit C arithmetic (every
# result is masked to 32 bits, so the C and the Python int arithmetic give the same words)
cdef cython.ulonglong _MASK, _INIT_A, _MULT_A, _INIT_B, _MULT_B, _MIX_L, _MIX_R

cdef cython.ulonglong _hashmix(cython.ulonglong value, cython.ulonglong hash_const)
@cython.locals(value=cython.ulonglong)
cdef cython.ulonglong _mix(cython.ulonglong x, cython.ulonglong y)
cdef cython.ulonglong _pool_word(cython.ulonglong value, cython.ulonglong hash_const)

@cython.locals(i=Py_ssize_t, src=Py_ssize_t, h=cython.ulonglong,
               value=cython.ulonglong, p0=cython.ulonglong, p1=cython.ulonglong,
               p2=cython.ulonglong, p3=cython.ulonglong, low=cython.ulonglong,
               seed_high=cython.ulonglong, seed_low=cython.ulonglong,
               inc_high=cython.ulonglong)
cdef _seed_into(cython.p_ulonglong words, Py_ssize_t n, cython.p_ulonglong out)

@cython.locals(n=Py_ssize_t, i=Py_ssize_t, key=cython.p_ulonglong)
cdef _seed_list(list words, cython.p_ulonglong out)

@cython.locals(i=Py_ssize_t)
cdef bint _key_words(object seed, object replication, object kind, tuple identity,
                     cython.p_ulonglong key) except -1

@cython.locals(i=Py_ssize_t)
cpdef list _words(object seed, object replication, object kind, tuple identity)

cpdef tuple seed_state(list words)

cdef cython.ulonglong[::1] _STATE_WORDS


cdef class Source:
    cdef simrev_pcg64 pcg
    cdef bitgen_t bitgen

    cdef _seed(self, list words)
    cdef _seed_key(self, cython.p_ulonglong key, Py_ssize_t n)
    cdef _start(self, cython.p_ulonglong state)

    cpdef object generator(self)
    cpdef follow(self, object generator)


@cython.locals(src=Source)
cpdef object source(object seed, object replication, object kind, tuple identity)

cpdef object _stream(object seed, object replication, object kind, tuple identity)


cdef Py_ssize_t BLOCK

cdef bitgen_t *bitgen_of(object rng) except NULL
cdef simrev_pcg64 *pcg_of(object rng) noexcept
cdef void _uniform_fill(bitgen_t *bitgen, simrev_pcg64 *pcg, Py_ssize_t n,
                        double *out) noexcept

cpdef object uniforms(object rng, Py_ssize_t n)


cdef class OppDraws:
    cdef object _rng  # the Generator: it keeps _bitgen's bit generator alive
    cdef bitgen_t *_bitgen
    cdef simrev_pcg64 *_pcg  # _rng's own when it is a Source (NULL: a numpy Generator)
    cdef double *_block  # 4 x BLOCK doubles (malloc, on first use): the four sequences
    cdef double *_gap
    cdef double *_u_win
    cdef double *_z_cycle
    cdef double *_z_size
    cdef Py_ssize_t _i
    cdef public double left

    cdef _refill(self)

    @cython.locals(i=Py_ssize_t, left=cython.double, room=cython.double, day=cython.double,
                   gap=cython.p_double, u_win=cython.p_double, z_cycle=cython.p_double,
                   z_size=cython.p_double)
    cpdef between(self, double start, double end, double rate, object kind, object source,
                  Arrivals out)

    @cython.locals(piece=tuple, factor=cython.double)
    cpdef arrivals(self, list pieces, double rate, object kind, object source, Arrivals out)
