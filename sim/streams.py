"""Random streams: one `numpy.random.Generator` per random source per replication.

A stream is keyed by integers only: ``(seed, replication, kind, *identity)`` is the entropy
of its `SeedSequence` (as 32-bit words, see `key_words`). Identities are stable across
scenarios and processes (a role's or segment's name through `zlib.crc32`, a seat number,
an occupant number, a month), so adding five hires never changes the draws that today's
sellers see, and scenarios compared together share their streams.
"""

from __future__ import annotations

import threading
import zlib
from array import array
from typing import TYPE_CHECKING

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence
from numpy.random.bit_generator import ISeedSequence

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython

if cython.compiled:  # numpy's random C API (sim/npyrandom.pxd): the Generator's own C calls
    from cython.cimports.cpython import array as carray
    from cython.cimports.cpython.pycapsule import PyCapsule_GetPointer
    from cython.cimports.libc.stdlib import free, malloc
    from cython.cimports.sim.npyrandom import (
        bitgen_t,
        random_standard_exponential_fill,
        random_standard_normal_fill,
        random_standard_uniform_fill,
        simrev_pcg64_double,
        simrev_pcg64_fill_double,
        simrev_pcg64_next32,
        simrev_pcg64_next64,
        simrev_pcg64_seed,
        simrev_pcg64_set_words,
        simrev_pcg64_words,
    )

if TYPE_CHECKING:
    from sim.arrivals import Arrivals

# Stream kinds (never renumber: it would change every result).
HEAD = 1  # one head (role, seat, occupant): header draws, then its opportunities
INBOUND = 2  # a segment's marketing-sourced opportunities
CHURN = 3  # the book of business, one stream per month
SEAT = 4  # a seat of today's team (role, seat): its stationary state at the warm-up's start
SEAT_PIPELINE = 5  # that seat's history and open opportunities at the warm-up's start
INBOUND_PIPELINE = 6  # a segment's open inbound opportunities at the warm-up's start
RANGE = 7  # a ranged assumption (its key path): one uniform per replication (sim.ranges)
START_STATE = 8  # a given start state's open opportunities (0: uniforms, 1: normals)
HEAD_SPREAD = 9  # one head's multiplier on what it sources (opps_spread), when set

BLOCK = 16  # opportunities drawn per refill (about half a block is drawn and never used)
WORD = 1 << 32

# Analysis streams: never drawn by a replication, so they change no simulated number.
BOOTSTRAP = 64  # resampling replications for a sensitivity table's noise (sim/sensitivity.py)


def name_id(name: str) -> int:
    """A stable integer identity for a name (never Python's per-process `hash`)."""
    return zlib.crc32(name.encode("utf-8"))


def _words(seed: int, replication: int, kind: int, identity: tuple[int, ...]) -> list[int]:
    """The entropy words of a stream, as ints (see `key_words`)."""
    if 0 <= seed <= _MASK:
        seed_words = [seed]
    elif seed < 0:
        raise ValueError(f"stream seed {seed} must be a non-negative integer")
    else:
        seed_words = []
        while seed:
            seed_words.append(seed & _MASK)
            seed >>= 32
    words = [len(seed_words), *seed_words, replication, kind, *identity]
    for i in range(len(seed_words) + 1, len(words)):
        if not 0 <= words[i] <= _MASK:
            raise ValueError(f"stream key {(replication, kind, *identity)} must be 32-bit "
                             "unsigned integers")
    return words


def key_words(seed: int, replication: int, kind: int, identity: tuple[int, ...]) -> np.ndarray:
    """The entropy words of a stream: the seed's word count and words, then the rest.

    Every part after the seed must fit one 32-bit word; the seed may be any size. Given the
    kind, the identity has a fixed length, so the encoding is one-to-one. (An array of
    uint32 is what `SeedSequence` takes; `stream` seeds as `SeedSequence` of it would.)
    """
    return np.array(_words(seed, replication, kind, identity), dtype=np.uint32)


# numpy's SeedSequence (numpy/random/bit_generator.pyx), for a pool of four 32-bit words:
# the constants of its `hashmix` (the hash constant A, then B when the state is drawn) and
# of its `mix`.
_MASK = WORD - 1
_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_L = 0xCA01F9DD
_MIX_R = 0x4973F715


def _hashmix(value: int, hash_const: int) -> int:
    """numpy's `hashmix` of a word with hash constant `hash_const` (its value before the
    call; the caller then multiplies it by `_MULT_A`)."""
    value = ((value ^ hash_const) * (hash_const * _MULT_A & _MASK)) & _MASK
    return value ^ (value >> 16)


def _mix(x: int, y: int) -> int:
    """numpy's `mix` of two words."""
    value = (_MIX_L * x - _MIX_R * y) & _MASK
    return value ^ (value >> 16)


def _pool_word(value: int, hash_const: int) -> int:
    """One word of numpy's `generate_state`: a pool word hashed with constant B."""
    value = ((value ^ hash_const) * (hash_const * _MULT_B & _MASK)) & _MASK
    return value ^ (value >> 16)


def seed_state(words: list[int]) -> tuple[int, int, int, int]:
    """``SeedSequence(words).generate_state(4, np.uint64)``, computed without numpy.

    The entropy is mixed into a pool of four words (numpy's `mix_entropy`), and eight
    words are hashed out of the pool, cycling, and paired little-endian into 64-bit words:
    the seed and the increment a `PCG64` is seeded with (high, low, high, low).
    """
    if cython.compiled:
        out = cython.declare(cython.ulonglong[4])
        _seed_list(words, out)
        state = (out[0], out[1], out[2], out[3])
    else:
        array_out = np.zeros(4, dtype=np.uint64)
        _seed_list(words, array_out)
        state = tuple(array_out.tolist())
    return state


def _seed_list(words: list[int], out: np.ndarray) -> None:
    """`_seed_into` of a list of words (copied to a C array in the compiled core)."""
    if cython.compiled:
        n = len(words)
        key = cython.cast(cython.p_ulonglong, malloc(max(n, 1) * cython.sizeof(cython.ulonglong)))
        if key == cython.NULL:
            raise MemoryError()
        try:
            for i in range(n):
                key[i] = words[i]
            _seed_into(key, n, out)
        finally:
            free(key)
    else:
        _seed_into(words, len(words), out)


def _seed_into(words: list[int], n: int, out: np.ndarray) -> None:
    """Write `seed_state` of the `n` `words` into `out`: four uint64 words (C arrays of
    words in the compiled core)."""
    h = _INIT_A
    # the first four words (zeros past the entropy), one to a pool word
    p0 = _hashmix(words[0] if n > 0 else 0, h)
    h = h * _MULT_A & _MASK
    p1 = _hashmix(words[1] if n > 1 else 0, h)
    h = h * _MULT_A & _MASK
    p2 = _hashmix(words[2] if n > 2 else 0, h)
    h = h * _MULT_A & _MASK
    p3 = _hashmix(words[3] if n > 3 else 0, h)
    h = h * _MULT_A & _MASK
    # every pool word into each of the others, in order
    for src in range(4):
        value = p0 if src == 0 else p1 if src == 1 else p2 if src == 2 else p3
        if src != 0:
            p0 = _mix(p0, _hashmix(value, h))
            h = h * _MULT_A & _MASK
        if src != 1:
            p1 = _mix(p1, _hashmix(value, h))
            h = h * _MULT_A & _MASK
        if src != 2:
            p2 = _mix(p2, _hashmix(value, h))
            h = h * _MULT_A & _MASK
        if src != 3:
            p3 = _mix(p3, _hashmix(value, h))
            h = h * _MULT_A & _MASK
    # the rest of the entropy into every pool word
    for i in range(4, n):
        value = words[i]
        p0 = _mix(p0, _hashmix(value, h))
        h = h * _MULT_A & _MASK
        p1 = _mix(p1, _hashmix(value, h))
        h = h * _MULT_A & _MASK
        p2 = _mix(p2, _hashmix(value, h))
        h = h * _MULT_A & _MASK
        p3 = _mix(p3, _hashmix(value, h))
        h = h * _MULT_A & _MASK
    # eight words out of the pool, cycling, paired little-endian into four 64-bit words
    h = _INIT_B
    low = _pool_word(p0, h)
    h = h * _MULT_B & _MASK
    seed_high = low | _pool_word(p1, h) << 32
    h = h * _MULT_B & _MASK
    low = _pool_word(p2, h)
    h = h * _MULT_B & _MASK
    seed_low = low | _pool_word(p3, h) << 32
    h = h * _MULT_B & _MASK
    low = _pool_word(p0, h)
    h = h * _MULT_B & _MASK
    inc_high = low | _pool_word(p1, h) << 32
    h = h * _MULT_B & _MASK
    low = _pool_word(p2, h)
    h = h * _MULT_B & _MASK
    out[0] = seed_high
    out[1] = seed_low
    out[2] = inc_high
    out[3] = low | _pool_word(p3, h) << 32


class _Seeded(ISeedSequence):
    """The seed sequence every stream's `PCG64` seeds itself from: it hands over `_STATE`,
    which `stream` has just set to the key's `seed_state` (under `_SEEDING`)."""

    __slots__ = ()

    def generate_state(self, n_words: int, dtype: object = np.uint32) -> np.ndarray:
        """The four 64-bit words set last (PCG64 asks for ``(4, np.uint64)`` only)."""
        return _STATE


_STATE = np.zeros(4, dtype=np.uint64)
_STATE_WORDS = _STATE  # the same memory, typed in the compiled core (streams.pxd)
_SEEDED = _Seeded()
_SEEDING = threading.Lock()  # from setting _STATE to PCG64 having read it


def stream(seed: int, replication: int, kind: int, *identity: int) -> np.random.Generator:
    """The generator for one random source in one replication: numpy's
    ``Generator(PCG64(SeedSequence(key_words(...))))``, the seed sequence's work done here
    (`seed_state`) in the compiled core, where its ``bit_generator.seed_seq`` is not a
    `SeedSequence` (it cannot spawn); numpy's own in the interpreted one. Same numbers.
    """
    return _stream(seed, replication, kind, identity)


def _stream(seed: int, replication: int, kind: int, identity: tuple[int, ...]
            ) -> np.random.Generator:
    words = _words(seed, replication, kind, identity)
    if not cython.compiled:  # interpreted: numpy's own SeedSequence hashes in C (the same
        return Generator(PCG64(SeedSequence(words)))  # state: tests/test_stream_seeding)
    with _SEEDING:
        _seed_list(words, cython.address(_STATE_WORDS[0]))
        bit_generator = PCG64(_SEEDED)
    return Generator(bit_generator)


def source(seed: int, replication: int, kind: int, identity: tuple[int, ...]
           ) -> Source | Generator:
    """The engine's handle on the stream ``(seed, replication, kind, *identity)`` (see
    `stream`): in the compiled core a `Source`, the same PCG64 in C, drawn from through
    numpy's C draw functions (`bitgen_of`) without numpy's Python-level constructors; in the
    interpreted core the stream's `Generator` itself."""
    if not cython.compiled:
        return _stream(seed, replication, kind, identity)
    src = Source.__new__(Source)
    key = cython.declare(cython.ulonglong[8])
    if len(identity) <= 4 and _key_words(seed, replication, kind, identity, key):
        src._seed_key(key, 4 + len(identity))
    else:  # (`_words` raises on a key that is not one)
        src._seed(_words(seed, replication, kind, identity))
    return src


def _key_words(seed: int, replication: int, kind: int, identity: tuple[int, ...],
               key: list[int]) -> bool:
    """Write a stream's words (`_words`) into `key` when every part of it is one 32-bit
    word, the usual case: the seed's count (1), the seed, replication, kind and identity.
    False otherwise, and `_words` decides."""
    try:
        key[1] = seed
        key[2] = replication
        key[3] = kind
        for i in range(len(identity)):
            key[4 + i] = identity[i]
    except (OverflowError, TypeError):  # (compiled: negative or past 64 bits)
        return False
    key[0] = 1
    for i in range(1, 4 + len(identity)):
        if not 0 <= key[i] <= _MASK:
            return False
    return True


class Source:
    """A stream's bit generator in C for the compiled core: numpy's PCG64 (its algorithm,
    seeding and buffered 32-bit draws), seeded from the stream's key as `stream` seeds
    numpy's, so numpy's C draw functions called with `bitgen_of(source)` give the numbers
    of `stream(...)`'s `Generator` methods (tests/test_stream_draws.py). The interpreted
    core never makes one: its `source` is that `Generator`.
    """

    def __init__(self, *key: int) -> None:
        """The stream of ``(seed, replication, kind, *identity)`` (see `stream`)."""
        if not cython.compiled:
            raise TypeError("a Source is the compiled core's (sim.streams.source)")
        self._seed(_words(key[0], key[1], key[2], key[3:]))

    def _seed(self, words: list[int]) -> None:
        """Seed from a stream's words (`_words`)."""
        state = cython.declare(cython.ulonglong[4])
        _seed_list(words, state)
        self._start(state)

    def _seed_key(self, key: list[int], n: int) -> None:
        """Seed from the `n` words of a stream's key (`_key_words`)."""
        state = cython.declare(cython.ulonglong[4])
        _seed_into(key, n, state)
        self._start(state)

    def _start(self, state: list[int]) -> None:
        """Seed the bit generator with `seed_state`'s four words."""
        simrev_pcg64_seed(cython.address(self.pcg), state[0], state[1], state[2], state[3])
        self.bitgen.state = cython.address(self.pcg)
        self.bitgen.next_uint64 = simrev_pcg64_next64
        self.bitgen.next_uint32 = simrev_pcg64_next32
        self.bitgen.next_double = simrev_pcg64_double
        self.bitgen.next_raw = simrev_pcg64_next64

    def generator(self) -> Generator:
        """A numpy `Generator` in this source's current state (a copy: see `follow`)."""
        words = cython.declare(cython.ulonglong[4])
        simrev_pcg64_words(cython.address(self.pcg), words)
        state_high = cython.declare(object, words[0])  # Python ints: 128 bits
        inc_high = cython.declare(object, words[2])
        bit_generator = PCG64()
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state_high << 64 | words[1], "inc": inc_high << 64 | words[3]},
            "has_uint32": self.pcg.has_uint32, "uinteger": self.pcg.uinteger}
        return Generator(bit_generator)

    def follow(self, generator: Generator) -> None:
        """Take `generator`'s state (one from `generator`, drawn from since)."""
        state = generator.bit_generator.state
        words = cython.declare(cython.ulonglong[4])
        words[0] = state["state"]["state"] >> 64
        words[1] = state["state"]["state"] & ((1 << 64) - 1)
        words[2] = state["state"]["inc"] >> 64
        words[3] = state["state"]["inc"] & ((1 << 64) - 1)
        simrev_pcg64_set_words(cython.address(self.pcg), words)
        self.pcg.has_uint32 = state["has_uint32"]
        self.pcg.uinteger = state["uinteger"]

    def poisson(self, lam: float) -> int:
        """``Generator.poisson(lam)`` for a scalar `lam`, its checks included."""
        generator = self.generator()
        n = generator.poisson(lam)
        self.follow(generator)
        return n

    def next_uint64(self) -> int:
        """The bit generator's next 64-bit word (numpy's ``random_raw()``)."""
        return self.bitgen.next_uint64(self.bitgen.state)

    def next_uint32(self) -> int:
        """The bit generator's next 32-bit word (half of a 64-bit one, the low half first)."""
        return self.bitgen.next_uint32(self.bitgen.state)

    def next_double(self) -> float:
        """The bit generator's next double in [0, 1) (53 bits of a 64-bit word)."""
        return self.bitgen.next_double(self.bitgen.state)


def bitgen_of(rng: np.random.Generator | Source):  # noqa: ANN201 (a C pointer, compiled core only)
    """The compiled core's handle on `rng`'s bit generator: a `Source`'s own, or numpy's
    ``bitgen_t *`` from a Generator's "BitGenerator" capsule, as `numpy.random.Generator`
    takes it. The C draw functions (sim/npyrandom.pxd) called with it advance `rng` as its
    methods would; `rng` must stay referenced while they are called. (The interpreted core
    calls the methods instead.)"""
    if type(rng) is Source:
        return cython.address(cython.cast(Source, rng).bitgen)
    return cython.cast(cython.pointer(bitgen_t),
                       PyCapsule_GetPointer(rng.bit_generator.capsule, b"BitGenerator"))


def pcg_of(rng: np.random.Generator | Source):  # noqa: ANN201 (a C pointer, compiled core only)
    """A `Source`'s PCG64 state, whose uniforms the compiled core fills inline (the same
    numbers as numpy's fill through `bitgen_of`); NULL for a numpy Generator."""
    if type(rng) is Source:
        return cython.address(cython.cast(Source, rng).pcg)
    return cython.NULL


def _uniform_fill(bitgen, pcg, n: int, out) -> None:  # noqa: ANN001 (C pointers)
    """`n` uniforms into `out` (compiled core only): a Source's inline fill (`pcg`, see
    `pcg_of`) or numpy's through `bitgen` — the same numbers."""
    if pcg != cython.NULL:
        simrev_pcg64_fill_double(pcg, n, out)
    else:
        random_standard_uniform_fill(bitgen, n, out)


_DOUBLES = array("d")  # the template of `uniforms`'s arrays


def uniforms(rng: np.random.Generator, n: int) -> np.ndarray | array:
    """``rng.random(n)``'s numbers: numpy's C fill into an ``array('d')`` in the compiled
    core (no Generator method call), ``rng.random(n)`` itself in the interpreted one."""
    if cython.compiled:
        out = cython.declare(carray.array, carray.clone(_DOUBLES, n, False))
        _uniform_fill(bitgen_of(rng), pcg_of(rng), n, out.data.as_doubles)
    else:
        out = rng.random(n)
    return out


class OppDraws:
    """Per-opportunity randomness of one source, drawn in blocks of `BLOCK`.

    Candidate opportunity i always gets draw i of each of four sequences, whatever happened
    to the candidates before it (created, or dropped because the seller was full or gone):
    ``gap`` (a unit exponential: the cumulative intensity from the previous candidate),
    ``u_win`` (won when ``u_win < p``), ``z_cycle`` and ``z_size`` (standard normals for
    the lognormal cycle and deal size). A block is drawn as BLOCK exponentials, BLOCK
    uniforms and 2 x BLOCK normals, on first use. Coupled draws make levers act
    monotonically under common random numbers.

    The compiled core draws a block with numpy's C functions straight into one C buffer
    (the calls `Generator` makes, without a method call and a new array per sequence).
    """

    __slots__ = ("_rng", "_gap", "_u_win", "_z_cycle", "_z_size", "_i", "left")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        # the current block of each sequence, drawn on first use: float64 arrays (the
        # compiled core: pointers into one C buffer of 4 x BLOCK doubles, sim/streams.pxd)
        if cython.compiled:
            self._bitgen = bitgen_of(rng)
            self._pcg = pcg_of(rng)  # (NULL: a numpy Generator's)
        else:
            self._gap: np.ndarray | None = None
            self._u_win: np.ndarray | None = None
            self._z_cycle: np.ndarray | None = None
            self._z_size: np.ndarray | None = None
        self._i = -1  # the current candidate (-1: none drawn yet)
        self.left = -1.0  # cumulative intensity before the current candidate arrives

    def __dealloc__(self) -> None:  # the compiled core's C buffer
        if cython.compiled:
            free(self._block)

    def _refill(self) -> None:
        if cython.compiled:  # Generator's calls for the draws below, into the C buffer
            if self._block == cython.NULL:
                self._block = cython.cast(cython.p_double,
                                          malloc(4 * BLOCK * cython.sizeof(cython.double)))
                if self._block == cython.NULL:
                    raise MemoryError()
                self._gap = self._block
                self._u_win = self._block + BLOCK
                self._z_cycle = self._block + 2 * BLOCK
                self._z_size = self._block + 3 * BLOCK  # z_cycle's, then z_size's normals
            random_standard_exponential_fill(self._bitgen, BLOCK, self._gap)
            _uniform_fill(self._bitgen, self._pcg, BLOCK, self._u_win)
            random_standard_normal_fill(self._bitgen, 2 * BLOCK, self._z_cycle)
        else:
            rng = self._rng
            self._gap = rng.standard_exponential(BLOCK)
            self._u_win = rng.random(BLOCK)
            z = rng.standard_normal((2, BLOCK))
            self._z_cycle, self._z_size = z[0], z[1]

    def arrivals(self, pieces: list[tuple[float, float, float]], rate: float, kind: int,
                 source: object, out: Arrivals) -> None:
        """Arrivals at `rate` per day × each piece's factor over `pieces` of ``(from_day,
        to_day, factor)`` (see `between`)."""
        for piece in pieces:
            factor = piece[2]
            if rate * factor > 0.0:
                self.between(piece[0], piece[1], rate * factor, kind, source, out)

    def between(self, start: float, end: float, rate: float, kind: int, source: object,
                out: Arrivals) -> None:
        """Arrivals in [start, end) of a Poisson process with `rate` > 0 per day.

        Unit-exponential gaps are mapped through the cumulative intensity, and what is left
        of the current gap carries over to the next call, so consecutive calls make one
        non-homogeneous process. Adds each arrival to `out` (sim.arrivals).
        """
        i, left = self._i, self.left
        if i < 0:  # the first candidate
            self._refill()
            i, left = self._i, self.left = 0, self._gap[0]
        room = (end - start) * rate  # cumulative intensity of the interval
        if left >= room:
            self.left = left - room
            return
        gap, u_win, z_cycle, z_size = self._gap, self._u_win, self._z_cycle, self._z_size
        day = start
        while True:
            day += left / rate
            out.add(day, kind, source, u_win[i], z_cycle[i], z_size[i])
            i += 1
            if i == BLOCK:
                self._refill()
                gap, u_win, z_cycle, z_size = self._gap, self._u_win, self._z_cycle, self._z_size
                i = 0
            left = gap[i]
            room = (end - day) * rate
            if left >= room:
                break
        self._i, self.left = i, left - room
