"""Random streams: one `numpy.random.Generator` per random source per replication.

A stream is keyed by integers only: ``(replication, kind, *identity)``, spawned from the
scenario seed with `SeedSequence(seed, spawn_key=...)`. Identities are stable across
scenarios and processes (a role's or segment's name through `zlib.crc32`, a seat number,
an occupant number, a month), so adding five hires never changes the draws that today's
sellers see, and scenarios compared together share their streams.
"""

from __future__ import annotations

import zlib

import numpy as np

# Stream kinds (never renumber: it would change every result).
HEAD = 1  # one head (role, seat, occupant): header draws, then its opportunities
INBOUND = 2  # a segment's marketing-sourced opportunities
CHURN = 3  # the book of business, one stream per month

BLOCK = 64  # opportunities drawn per refill


def name_id(name: str) -> int:
    """A stable integer identity for a name (never Python's per-process `hash`)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, kind: int, *identity: int) -> np.random.Generator:
    """The generator for one random source in one replication."""
    seq = np.random.SeedSequence(seed, spawn_key=(replication, kind, *identity))
    return np.random.Generator(np.random.PCG64(seq))


class OppDraws:
    """Per-opportunity randomness of one source, drawn in blocks of `BLOCK`.

    Candidate opportunity i always gets row i, whatever happened to the candidates before
    it (created, or dropped because the seller was full or gone): ``left`` (a unit
    exponential: the cumulative intensity still to run before it arrives), ``u_win`` (won
    when ``u_win < p``), ``z_cycle`` and ``z_size`` (standard normals for the lognormal
    cycle and deal size). Coupled draws make levers act monotonically under common random
    numbers.
    """

    __slots__ = ("_rng", "_rows", "_i", "left", "u_win", "z_cycle", "z_size")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._rows: list[tuple[float, float, float, float]] = []
        self._i = 0
        self.advance()

    def _refill(self) -> None:
        u = self._rng.random((BLOCK, 2))
        z = self._rng.standard_normal((BLOCK, 2))
        gaps = -np.log1p(-u[:, 0])
        self._rows = list(
            zip(gaps.tolist(), u[:, 1].tolist(), z[:, 0].tolist(), z[:, 1].tolist(), strict=True)
        )
        self._i = 0

    def advance(self) -> None:
        """Move on to the next candidate."""
        if self._i == len(self._rows):
            self._refill()
        self.left, self.u_win, self.z_cycle, self.z_size = self._rows[self._i]
        self._i += 1

    def arrivals(self, pieces: list[tuple[float, float, float]]) -> list[tuple[float, ...]]:
        """Arrivals of the non-homogeneous Poisson process with piecewise-constant rate.

        `pieces` are ``(from_day, to_day, rate_per_day)``; unit-exponential gaps are mapped
        through the cumulative intensity, and what is left of the current gap carries over
        to the next call. Returns ``(day, u_win, z_cycle, z_size)`` per arrival.
        """
        out = []
        rows, i = self._rows, self._i
        left, u_win, z_cycle, z_size = self.left, self.u_win, self.z_cycle, self.z_size
        for start, end, rate in pieces:
            if rate <= 0.0:
                continue
            day = start
            while True:
                room = (end - day) * rate  # cumulative intensity left in this piece
                if left >= room:
                    left -= room
                    break
                day += left / rate
                out.append((day, u_win, z_cycle, z_size))
                if i == len(rows):
                    self._refill()
                    rows, i = self._rows, 0
                left, u_win, z_cycle, z_size = rows[i]
                i += 1
        self._i = i
        self.left, self.u_win, self.z_cycle, self.z_size = left, u_win, z_cycle, z_size
        return out
