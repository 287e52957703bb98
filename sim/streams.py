"""Random streams: one `numpy.random.Generator` per random source per replication.

A stream is keyed by integers only: ``(seed, replication, kind, *identity)`` is the entropy
of its `SeedSequence` (as 32-bit words, see `key_words`). Identities are stable across
scenarios and processes (a role's or segment's name through `zlib.crc32`, a seat number,
an occupant number, a month), so adding five hires never changes the draws that today's
sellers see, and scenarios compared together share their streams.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import numpy as np

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

BLOCK = 128  # opportunities drawn per refill
WORD = 1 << 32

# Analysis streams: never drawn by a replication, so they change no simulated number.
BOOTSTRAP = 64  # resampling replications for a sensitivity table's noise (sim/sensitivity.py)


def name_id(name: str) -> int:
    """A stable integer identity for a name (never Python's per-process `hash`)."""
    return zlib.crc32(name.encode("utf-8"))


def key_words(seed: int, replication: int, kind: int, identity: tuple[int, ...]) -> np.ndarray:
    """The entropy words of a stream: the seed's word count and words, then the rest.

    Every part after the seed must fit one 32-bit word; the seed may be any size. Given the
    kind, the identity has a fixed length, so the encoding is one-to-one. (An array of
    uint32 is also the fastest entropy `SeedSequence` takes.)
    """
    seed_words = []
    while True:
        seed_words.append(seed % WORD)
        seed //= WORD
        if not seed:
            break
    rest = (replication, kind, *identity)
    if min(rest) < 0 or max(rest) >= WORD:
        raise ValueError(f"stream key {rest} must be 32-bit unsigned integers")
    return np.array([len(seed_words), *seed_words, *rest], dtype=np.uint32)


def stream(seed: int, replication: int, kind: int, *identity: int) -> np.random.Generator:
    """The generator for one random source in one replication."""
    entropy = key_words(seed, replication, kind, identity)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


class OppDraws:
    """Per-opportunity randomness of one source, drawn in blocks of `BLOCK`.

    Candidate opportunity i always gets draw i of each of four sequences, whatever happened
    to the candidates before it (created, or dropped because the seller was full or gone):
    ``gap`` (a unit exponential: the cumulative intensity from the previous candidate),
    ``u_win`` (won when ``u_win < p``), ``z_cycle`` and ``z_size`` (standard normals for
    the lognormal cycle and deal size). A block is drawn as BLOCK exponentials, BLOCK
    uniforms and 2 x BLOCK normals, on first use. Coupled draws make levers act
    monotonically under common random numbers.
    """

    __slots__ = ("_rng", "_gap", "_u_win", "_z_cycle", "_z_size", "_i", "left")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._gap: list[float] = []
        self._u_win: list[float] = []
        self._z_cycle: list[float] = []
        self._z_size: list[float] = []
        self._i = -1  # the current candidate (-1: none drawn yet)
        self.left = -1.0  # cumulative intensity before the current candidate arrives

    def _refill(self) -> None:
        rng = self._rng
        self._gap = rng.standard_exponential(BLOCK).tolist()
        self._u_win = rng.random(BLOCK).tolist()
        z_cycle, z_size = rng.standard_normal((2, BLOCK)).tolist()
        self._z_cycle, self._z_size = z_cycle, z_size

    def arrivals(self, pieces: list[tuple[float, float, float]], rate: float, kind: int,
                 source: object, out: Arrivals) -> None:
        """Arrivals at `rate` per day × each piece's factor over `pieces` of ``(from_day,
        to_day, factor)`` (see `between`)."""
        for start, end, factor in pieces:
            if rate * factor > 0.0:
                self.between(start, end, rate * factor, kind, source, out)

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
