"""A month's opportunity arrivals, kept as columns: what the sources draw, the pipeline reads.

Sources append arrivals in generation order (`add`): the day, the kind (SELF, SDR, routed
inbound: sim.pipeline), the source (the seller, the SDR, or the segment index), and the
three draws of the candidate (``u_win``, ``z_cycle``, ``z_size``: sim.streams). The numeric
columns are `array.array`s: the compiled core reads and writes them as C arrays through
typed memoryviews (sim/arrivals.pxd), the interpreted one as Python sequences — one source,
the same numbers — and no arrival is a Python tuple.
"""

from __future__ import annotations

from array import array

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython

CAPACITY = 256  # arrivals held before the columns first double


def _column(code: str, capacity: int) -> array:
    return array(code, bytes(8 * capacity))


class Arrivals:
    """Arrivals ``0 .. n - 1`` in generation order (rows may be added past a month's own)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.n = 0
        self.capacity = capacity
        self.sources: list[object] = [None] * capacity
        self._columns = [_column("d", capacity) for _ in range(4)] + [_column("l", capacity)]
        self._view()

    def _view(self) -> None:
        columns = self._columns
        self.day = columns[0]
        self.u_win = columns[1]
        self.z_cycle = columns[2]
        self.z_size = columns[3]
        self.kind = columns[4]

    @classmethod
    def of(cls, rows: list[tuple]) -> Arrivals:
        """Arrivals from ``(day, kind, source, u_win, z_cycle, z_size)`` rows (for tests)."""
        arrivals = cls()
        for day, kind, source, u_win, z_cycle, z_size in rows:
            arrivals.add(day, kind, source, u_win, z_cycle, z_size)
        return arrivals

    @cython.boundscheck(False)  # n < capacity: the columns grow first
    @cython.wraparound(False)
    def add(self, day: float, kind: int, source: object, u_win: float, z_cycle: float,
            z_size: float) -> None:
        """Append one arrival."""
        n = self.n
        if n == self.capacity:
            self._grow()
        self.day[n] = day
        self.kind[n] = kind
        self.sources[n] = source
        self.u_win[n] = u_win
        self.z_cycle[n] = z_cycle
        self.z_size[n] = z_size
        self.n = n + 1

    def _grow(self) -> None:
        """Double every column (new arrays: a column may be lent to a C view)."""
        self._columns = [column + column for column in self._columns]
        self.sources = self.sources + self.sources
        self.capacity *= 2
        self._view()

    def clear(self) -> None:
        """Forget every arrival (the columns keep their room)."""
        self.n = 0

    def row(self, i: int) -> tuple:
        """Arrival `i` as ``(day, kind, source, u_win, z_cycle, z_size)``."""
        return (self.day[i], self.kind[i], self.sources[i], self.u_win[i], self.z_cycle[i],
                self.z_size[i])

    def rows(self) -> list[tuple]:
        """Every arrival as a row (for tests)."""
        return [self.row(i) for i in range(self.n)]
