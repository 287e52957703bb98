"""The pipeline: opportunities arriving, routed, opened and closed, in time order.

This is the engine's hot loop, so it trades a little elegance for speed: a month's
arrivals from every source are drawn at the month's start into columns (sim.arrivals) and
ordered once by day (those of a head starting mid-month wait in a small heap beside them);
open opportunities live in columns too, in slots, with a binary heap of slots ordered by
(close day, key). Neither an arrival nor an open opportunity is a Python object: the
compiled core runs this loop over C arrays (sim/pipeline.pxd), the interpreted one over the
same `array.array`s. Routing sends an opportunity to the segment's seller with the most
spare capacity, the first in routing order (`Head.order`) on ties. A small segment keeps
its sellers' spare capacities in a plain list in routing order (routing is ``max`` and
``index`` on it); a large one keeps them in a `Router`, which answers the same question in
O(log n). People events (hires, departures) happen on the SimPy clock between calls to
`work_until`.

An arrival is a row ``(day, kind, source, u_win, z_cycle, z_size)``: `source` is the
seller (self-sourced), the SDR, or the segment index (inbound). An open opportunity is a
slot holding ``(close_day, key, owner, created_day, u_win, z_size)``; keys are unique, so
the order in which opportunities close is fixed by (close day, key) alone. One that never
decides (``no_decision``: u_win in the segment's top share) closes at its drop age as
neither won nor lost. When a seller leaves, their open opportunities go, in close order,
to the sellers with the most spare capacity then; the slots stay in the heap, and the
leaver's list of heirs says, as they close one by one, whose each one is. (With nobody
left to inherit they are counted lost that day, undecided ones too: the hand-over does not
read their draws.)
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Collection

import numpy as np

try:
    import cython
except ImportError:  # the interpreted core where Cython is not installed
    from sim import nocython as cython

if cython.compiled:  # C's infinity: no module attribute lookup each time
    from cython.cimports.libc.math import INFINITY as INF
else:
    from math import inf as INF

if cython.compiled:  # C's exp, not a Python call: the same libm function math.exp calls
    from cython.cimports.libc.math import exp
else:
    from math import exp

if cython.compiled:  # C buffers for `stable_order`
    from cython.cimports.cpython import array as carray
    from cython.cimports.libc.stdlib import free, malloc
    from cython.cimports.libc.string import memcpy

from sim.arrivals import Arrivals
from sim.customers import Book
from sim.days import MONTH_DAYS
from sim.people import Head, heads_bisect
from sim.roles import SDR, SELF

ROUTED_INBOUND = 2  # arrival kinds (SELF, SDR: sim.roles), also the index of `created`
OPEN_CAPACITY = 512  # open-opportunity slots before the columns first double
OPENED = 4  # a slot's numbers in `Pipeline.opened`: close day, created day, u_win, z_size
# Segments that may hold this many sellers route through a `Router`; below it, ``max`` and
# ``index`` over a short list are faster. Either way the choice is the same.
ROUTER_FROM = 128


@cython.boundscheck(False)  # n is at most the column's length (SpareColumn)
@cython.wraparound(False)
def first_max(spares: array, n: int) -> int:
    """Slot of the most spare capacity in ``spares[:n]``, the first on ties (what ``max``
    then ``index`` give); -1 when there is none."""
    if not cython.compiled:  # interpreted: max and index loop in C, the loop below in Python
        return spares[:n].index(max(spares[:n])) if n else -1
    slot = -1
    best = -INF
    for i in range(n):
        if spares[i] > best:
            best = spares[i]
            slot = i
    return slot


@cython.boundscheck(False)  # rows and positions below n, the views' length at least
@cython.wraparound(False)
def stable_order(day: array, n: int) -> array:
    """Rows ``0 .. n - 1`` by `day`, equal days in row order, then ``n`` (an end marker).

    The interpreted core calls numpy's stable argsort; the compiled one sorts in C, without
    numpy's calls and arrays (a month has a few hundred arrivals): by buckets over the
    days' range (`_bucket_order`), or by merging the rows' ascending runs where there is
    no range to split (`_merge_order`). A stable sort's order is unique, so all give the
    same rows."""
    if not cython.compiled:
        days = np.frombuffer(day, dtype=np.float64, count=n)
        order = array("l", days.argsort(kind="stable").astype("l", copy=False).tobytes())
        order.append(n)
        return order
    if n > 1:
        low = high = day[0]
        for i in range(1, n):
            low = min(low, day[i])
            high = max(high, day[i])
        if 0.0 < high - low < INF:  # (else: all alike, or a range past a double's)
            return _bucket_order(day, n, low, (n - 1) / (high - low))
    return _merge_order(day, n)


@cython.boundscheck(False)  # rows and buckets below n, the views' length at least
@cython.wraparound(False)
def _bucket_order(day: array, n: int, low: float, scale: float) -> array:
    """`stable_order` by buckets (compiled core): row i goes to bucket
    ``int((day[i] - low) * scale)``, which never decreases as the day grows (each step
    rounds monotonically), so buckets in turn, each sorted, are the rows in order. Rows
    enter their bucket in row order and an insertion sort (moving a row only past strictly
    later days) keeps equal days so: the stable order. Spread over [`low`, `low` + (n − 1) /
    `scale`] by n buckets, a month's arrivals meet about one other a bucket, and the sort
    does a few steps a row, guessable, where a merge does a coin-toss comparison a row and
    pass."""
    result = cython.declare(carray.array, carray.clone(_LONGS, n + 1, False))
    buffer = cython.cast(cython.p_long, malloc((2 * n + 1) * cython.sizeof(cython.long)))
    if buffer == cython.NULL:
        raise MemoryError()
    out = result.data.as_longs
    bucket = buffer  # row i's bucket
    starts = buffer + n  # bucket b: out[starts[b] .. starts[b + 1] - 1], once placed
    for b in range(n + 1):
        starts[b] = 0
    for i in range(n):
        b = cython.cast(cython.long, (day[i] - low) * scale)
        b = min(b, n - 1)  # (rounding can reach n - 1 at most; kept in range regardless)
        bucket[i] = b
        starts[b + 1] += 1
    for b in range(n):
        starts[b + 1] += starts[b]
    for i in range(n):  # each row after the earlier rows of its bucket
        out[starts[bucket[i]]] = i
        starts[bucket[i]] += 1
    # starts[b] is now the end of bucket b; sort each run of a bucket by day, stably
    first = 0
    for b in range(n):
        last = starts[b]
        for k in range(first + 1, last):
            row = out[k]
            j = k
            while j > first and day[row] < day[out[j - 1]]:
                out[j] = out[j - 1]
                j -= 1
            out[j] = row
        first = last
    free(buffer)
    out[n] = n
    return result


@cython.boundscheck(False)  # rows and positions below n, the views' length at least
@cython.wraparound(False)
def _merge_order(day: array, n: int) -> array:
    """`stable_order` by merging the rows' ascending runs (compiled core): for a day range
    buckets cannot split, and for fewer than two rows."""
    # natural merge sort: each source's arrivals come in order, so the rows are ascending
    # runs (a few rows each); merge neighbouring runs pass by pass (the left first on ties),
    # in C buffers: the result's array, a scratch one and the runs' bounds
    result = cython.declare(carray.array, carray.clone(_LONGS, n + 1, False))
    buffer = cython.cast(cython.p_long, malloc(2 * (n + 1) * cython.sizeof(cython.long)))
    if buffer == cython.NULL:
        raise MemoryError()
    src = result.data.as_longs
    dst = buffer
    edges = buffer + n + 1  # run r: rows edges[r] .. edges[r + 1] - 1
    runs = 0
    for i in range(n):
        src[i] = i
        if i == 0 or day[i] < day[i - 1]:
            edges[runs] = i
            runs += 1
    edges[runs] = n
    while runs > 1:
        merged = 0
        r = 0
        while r < runs:
            lo = edges[r]
            mid = edges[r + 1]
            hi = edges[r + 2] if r + 1 < runs else mid
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                # the right run's row when strictly earlier (a tie keeps the left first),
                # chosen without a branch: which run goes next is a coin toss to the
                # processor, and a branch on it guessed wrong about half the time
                left, right = src[i], src[j]
                take = day[right] < day[left]
                dst[k] = right if take else left
                j += take
                i += 1 - take
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
            edges[merged] = lo
            merged += 1
            r += 2
        edges[merged] = n
        runs = merged
        src, dst = dst, src
    if src != result.data.as_longs:  # the last pass merged into the scratch buffer
        memcpy(result.data.as_longs, src, n * cython.sizeof(cython.long))
    free(buffer)
    result.data.as_longs[n] = n
    return result


_LONGS = array("l")  # the template of `stable_order`'s arrays (compiled core)


class SpareColumn:
    """A small segment's spare capacities, parallel to its sellers in routing order (the
    column may be longer than the sellers): `values` is a C view of `store` when compiled."""

    def __init__(self, size: int) -> None:
        self.store = array("d", bytes(8 * size))
        self.values = self.store


class Router:
    """Spare capacities of a segment's sellers by stable slot, and the seller with the most.

    `values` holds each seated seller's spare capacity at its `slot` (slots of leavers are
    reused; a free slot holds -inf; the column doubles when full, and every seated head is
    given the new one). A lazy max-heap of ``(-spare, order, slot)`` finds the most spare
    capacity, the lowest routing order on ties — what `first_max` gives over the spares in
    routing order. Every increase is followed by `raised`, which pushes an entry; a
    decrease pushes nothing, since the old entry stays an upper bound that `best` corrects
    when it surfaces. So for each seated seller the heap holds an entry at least its
    spare, and `best` pops and corrects stale tops until the top is exact: O(log n)
    amortized per change.
    """

    def __init__(self) -> None:
        self.values = array("d")
        self.heads: list[Head | None] = []  # by slot; None = free
        self.members: dict[Head, None] = {}  # the seated sellers
        self.free: list[int] = []
        self.heap: list[tuple[float, int, int]] = []

    def raised(self, slot: int) -> None:
        """The spare capacity at `slot` went up."""
        heapq.heappush(self.heap, (-self.values[slot], self.heads[slot].order, slot))

    def join(self, head: Head) -> None:
        if self.free:
            slot = self.free.pop()
            self.heads[slot] = head
        else:
            slot = len(self.heads)
            self.heads.append(head)
            if slot == len(self.values):
                self._grow()
        self.values[slot] = head.spare
        head.slot, head.spares = slot, self.values
        self.members[head] = None
        heapq.heappush(self.heap, (-head.spare, head.order, slot))

    def _grow(self) -> None:
        """Twice the room (a new column: the old one may be lent to a C view)."""
        self.values = self.values + array("d", [-INF]) * max(8, len(self.values))
        for head in self.heads:
            if head is not None:
                head.spares = self.values

    def leave(self, head: Head) -> None:
        slot = head.slot
        self.heads[slot] = None
        self.values[slot] = -INF
        self.free.append(slot)
        del self.members[head]

    def seat(self) -> None:
        """Take every seller's spare capacity from `head.spare` (at a month's start)."""
        heap = []
        values = self.values
        for slot, head in enumerate(self.heads):
            if head is not None:
                values[slot] = head.spare
                heap.append((-head.spare, head.order, slot))
        heapq.heapify(heap)
        self.heap = heap

    def best(self) -> int:
        """Slot of the seller with the most spare capacity (first in order), -1 if none."""
        heap, heads, values = self.heap, self.heads, self.values
        while heap:
            negative, order, slot = heap[0]
            head = heads[slot]
            if head is None or head.order != order:  # the slot changed hands
                heapq.heappop(heap)
                continue
            spare = values[slot]
            if spare == -negative:
                return slot
            if spare < -negative:
                heapq.heapreplace(heap, (-spare, order, slot))
            else:  # an old entry below a newer one
                heapq.heappop(heap)
        return -1


class Pipeline:
    """Open opportunities and routing for one replication.

    `rows` maps metric names to the replication's monthly lists (see `Layout`); only
    events on or after day 0 are recorded, in the month `month` the clock is in. Each won
    deal goes on `book` (sim.customers; None: nowhere, for tests of the loop alone).
    `routed` names the segments that route through a `Router` (default: none).
    """

    def __init__(self, segments: int, rows: dict[str, list[float]], book: Book | None,
                 routed: Collection[int] = ()) -> None:
        self.month = 0
        self.arrivals = Arrivals()  # this month's, and those added mid-month after them
        self.order = array("l", [0])  # the month's arrivals by day, then the end marker
        self.next = 0
        self.extra: list[tuple[float, int, int]] = []  # (day, added, row) added mid-month
        self.added = 0  # arrivals ever added mid-month: their order on equal days
        # open opportunities: columns by slot, and `heap[:heap_n]`, slots by (close, key)
        # (interpreted: `entries`, a heapq of (close, key, slot))
        self.capacity = self.heap_n = self.free_n = 0
        self.entries: list[tuple[float, int, int]] = []
        self.owners: list[Head | None] = []
        self._open_columns: list[array] = []
        self._grow_open(OPEN_CAPACITY)
        self.key = 0
        self.routers: list[Router | None] = [
            Router() if segment in routed else None for segment in range(segments)
        ]
        # seated sellers by segment: in routing order, or the router's members
        self.sellers: list[list[Head] | dict[Head, None]] = [
            [] if router is None else router.members for router in self.routers
        ]
        # small segments' spare capacities, parallel to their sellers (the column may be
        # longer; routed: None, the router's `values`)
        self.spares: list[SpareColumn | None] = [
            SpareColumn(0) if router is None else None for router in self.routers
        ]
        self.heirs: dict[Head, deque[Head | None]] = {}  # leavers' open opportunities' heirs
        self.created = [rows["opps_created_self"], rows["opps_created_sdr"],
                        rows["opps_created_inbound"]]
        self.unworked = rows["opps_unworked"]
        self.full = rows["opps_lost_to_capacity"]  # self-sourced, dropped: the seller was full
        self.lost = rows["opps_lost"]
        self.won = [rows[name] for name in
                    ("opps_won", "bookings", "customers_won", "cycle_days_won_sum",
                     "cost_commission")]
        self.book = book
        self.amounts: dict[int, float] = {}  # known amounts of a start state's opportunities
        # The opportunity log (sim.synth), None when not logging: by key, a record
        # [kind, created_day, z_size, holders [(day, Head | None), ...], close] where close is
        # None while open, else (day, outcome, size) with outcome "won", "lost" or "undecided".
        self.log: dict[int, list] | None = None

    # ---- arrivals ------------------------------------------------------------------
    def fresh_arrivals(self) -> Arrivals:
        """The month's arrival columns, emptied for its sources to fill."""
        self.arrivals.clear()
        return self.arrivals

    def new_month(self, arrivals: Arrivals) -> None:
        """Start the month (`month` set already) with its arrivals in generation order:
        read by day, equal days in generation order (a stable sort), then an end marker."""
        n = arrivals.n
        order = stable_order(arrivals.day, n)
        arrivals.add(INF, -1, None, 0.0, 0.0, 0.0)  # row n: no more arrivals
        self.arrivals = arrivals
        self.order = order
        self.next = 0
        self.extra = []

    def add_arrivals(self, first: int) -> None:
        """Add the arrivals drawn mid-month (a head starting), rows `first` on, to the
        month's rest.

        They come after the month's own arrivals and earlier added ones on equal days, in
        generation order: as if the rest were sorted again with them appended.
        """
        extra, day = self.extra, self.arrivals.day
        for row in range(first, self.arrivals.n):
            self.added += 1
            heapq.heappush(extra, (day[row], self.added, row))

    def _first(self, i: int) -> int:
        """Row of the next arrival: the month's `i`-th or an added one, whichever is earlier."""
        row = self.order[i]
        extra = self.extra
        if extra and extra[0][0] < self.arrivals.day[row]:
            return extra[0][2]
        return row

    # ---- open opportunities: slots and a heap of slots by (close day, key) ----------
    def _grow_open(self, capacity: int) -> None:
        """Room for `capacity` open opportunities (new columns: a column may be lent to a C
        view); the new slots are free."""
        old = self.capacity
        if capacity <= old:
            return
        # `opened` holds a slot's four numbers side by side (OPENED), so that a close reads
        # them from one cache line, not four columns
        widths = (OPENED, 1, 1, 1, 1, 1)
        grown = [array(code, bytes(8 * width * capacity))
                 for code, width in zip("ddllll", widths, strict=True)]
        for new, column, width in zip(grown, self._open_columns, widths, strict=False):
            new[:width * old] = column[:width * old]
        self._open_columns = grown
        self.opened, self.heap_day, self.keys, self.heap, self.free, self.heap_key = grown
        self.owners.extend([None] * (capacity - old))
        free = self.free
        for slot in range(capacity - 1, old - 1, -1):  # the lowest slot is taken first
            free[self.free_n] = slot
            self.free_n += 1
        self.capacity = capacity

    def _reserve(self, count: int) -> None:
        """Make sure `count` more opportunities can open without the columns growing."""
        if count > self.free_n:
            self._grow_open(max(2 * self.capacity, self.heap_n + count))

    @cython.boundscheck(False)  # slots and heap positions are below capacity by design
    @cython.wraparound(False)
    def _open(self, close_day: float, key: int, owner: Head, created_day: float,
              u_win: float, z_size: float) -> None:
        """Open an opportunity (a free slot must exist: `_reserve`)."""
        self.free_n -= 1
        slot = self.free[self.free_n]
        self.keys[slot] = key
        self.owners[slot] = owner
        self.opened[OPENED * slot] = close_day
        self.opened[OPENED * slot + 1] = created_day
        self.opened[OPENED * slot + 2] = u_win
        self.opened[OPENED * slot + 3] = z_size
        if not cython.compiled:  # interpreted: heapq sifts in C (the same order: keys differ)
            heapq.heappush(self.entries, (close_day, key, slot))
            self.heap_n += 1
            return
        # the columns read through self: a local view would be acquired and released
        # (atomic reference counts) on every call. Each heap position keeps its slot's
        # close day and key beside it (`heap_day`, `heap_key`): a sift compares
        # neighbouring positions, not slots scattered over the columns.
        i = self.heap_n
        self.heap_n = i + 1
        while i > 0:  # sift up
            parent = (i - 1) >> 1
            if self.heap_day[parent] < close_day or (
                    self.heap_day[parent] == close_day and self.heap_key[parent] < key):
                break
            self.heap[i] = self.heap[parent]
            self.heap_day[i] = self.heap_day[parent]
            self.heap_key[i] = self.heap_key[parent]
            i = parent
        self.heap[i] = slot
        self.heap_day[i] = close_day
        self.heap_key[i] = key

    @cython.boundscheck(False)  # slots and heap positions are below capacity by design
    @cython.wraparound(False)
    def _close_first(self) -> int:
        """Take the first-closing opportunity off the heap; its slot (free again, its columns
        still readable until the next `_open`)."""
        if not cython.compiled:
            top = heapq.heappop(self.entries)[2]
            self.heap_n -= 1
            self.free[self.free_n] = top
            self.free_n += 1
            return top
        top = self.heap[0]  # the columns through self, as in _open
        n = self.heap_n - 1
        self.heap_n = n
        if n > 0:
            last = self.heap[n]
            day, key = self.heap_day[n], self.heap_key[n]
            i = 0
            while True:  # sift down
                child = 2 * i + 1
                if child >= n:
                    break
                if child + 1 < n:  # the earlier child, added without a branch on which
                    # (one would guess wrong half the time: the children come in any order)
                    left, right = self.heap_day[child], self.heap_day[child + 1]
                    if right == left:  # a tie (rare, so this branch guesses right)
                        child += self.heap_key[child + 1] < self.heap_key[child]
                    else:
                        child += right < left
                if day < self.heap_day[child] or (
                        day == self.heap_day[child] and key < self.heap_key[child]):
                    break
                self.heap[i] = self.heap[child]
                self.heap_day[i] = self.heap_day[child]
                self.heap_key[i] = self.heap_key[child]
                i = child
            self.heap[i] = last
            self.heap_day[i] = day
            self.heap_key[i] = key
        self.free[self.free_n] = top
        self.free_n += 1
        return top

    @cython.boundscheck(False)  # slots and heap positions are below capacity by design
    @cython.wraparound(False)
    def _next_close(self) -> float:
        """Close day of the first-closing open opportunity (inf when none is open)."""
        if not self.heap_n:
            return INF
        if not cython.compiled:
            return self.entries[0][0]
        return self.heap_day[0]

    # ---- sellers -------------------------------------------------------------------
    # While seated, a seller's spare capacity lives in its segment's spares column (its
    # `head.spares`) at `head.slot` (-1 once it has left); `head.spare` is only read when
    # (re)seating.

    def join(self, head: Head) -> None:
        """A seller starts work with `head.spare` set."""
        segment = head.segment_no
        router = self.routers[segment]
        if router is not None:
            router.join(head)
            return
        self._unseat(segment)
        sellers = self.sellers[segment]
        # after equal orders, as appending and a stable sort would place it
        sellers.insert(heads_bisect(sellers, head.order, True, True), head)
        column = self.spares[segment]
        head.spares = column.values
        self.seat(segment)

    def leave(self, head: Head, day: float) -> None:
        """A seller leaves on `day`; their open opportunities are handed over."""
        segment = head.segment_no
        router = self.routers[segment]
        if router is not None:
            router.leave(head)
        else:
            self._unseat(segment)
            self.sellers[segment].remove(head)
            self.seat(segment)
        head.slot = -1
        self._hand_over(head, day)

    def seat(self, segment: int) -> None:
        """Set the segment's spare capacities from its sellers' `spare`."""
        router = self.routers[segment]
        if router is not None:
            router.seat()
            return
        sellers = self.sellers[segment]
        column = self.spares[segment]
        if len(column.store) < len(sellers):  # a new column (the old may be lent to a C view)
            column = self.spares[segment] = SpareColumn(max(8, 2 * len(sellers)))
            for head in sellers:
                head.spares = column.values
        values = column.values
        for slot in range(len(sellers)):
            head = sellers[slot]
            values[slot] = head.spare
            head.slot = slot

    def _unseat(self, segment: int) -> None:
        column = self.spares[segment]
        values = column.values
        sellers = self.sellers[segment]
        for slot in range(len(sellers)):
            head = sellers[slot]
            head.spare = values[slot]

    def _most_spare(self, segment: int) -> Head | None:
        """The segment's seller with the most spare capacity, the first in routing order on
        ties; None when nobody is seated."""
        router = self.routers[segment]
        if router is None:
            column = self.spares[segment]
            slot = first_max(column.values, len(self.sellers[segment]))
            return self.sellers[segment][slot] if slot >= 0 else None
        slot = router.best()
        return router.heads[slot] if slot >= 0 else None

    def _hand_over(self, leaver: Head, day: float) -> None:
        """A leaver's open opportunities go, one by one in close order, to the segment's
        seller with the most spare capacity (even beyond capacity); with nobody left they
        are lost on `day`. The heirs are chosen now and meet their entries as they close."""
        if not leaver.n_open:
            return
        if self.log is not None:
            held = self._held_by(leaver)
        segment = leaver.segment_no
        heirs: deque[Head | None] = deque()
        for _ in range(leaver.n_open):
            owner = self._most_spare(segment)
            if owner is None:
                if day >= 0:
                    self.lost[self.month] += 1
                heirs.append(None)
                continue
            owner.n_open += 1
            owner.spares[owner.slot] -= 1
            heirs.append(owner)
        self.heirs[leaver] = heirs
        leaver.n_open = 0
        if self.log is not None:
            self._log_hand_over(held, heirs, day)

    # ---- the opportunity log (only when `log` is set) ------------------------------
    def _held_by(self, head: Head) -> list[int]:
        """Keys of the open opportunities `head` holds now, in the order they will close."""
        log = self.log
        if cython.compiled:
            slots = [self.heap[i] for i in range(self.heap_n)]
        else:
            slots = [entry[2] for entry in self.entries]
        opened, keys = self.opened, self.keys
        open_now = sorted([(opened[OPENED * slot], keys[slot]) for slot in slots])
        return [key for _day, key in open_now
                if key in log and log[key][3][-1][1] is head and log[key][4] is None]

    def _log_hand_over(self, keys: list[int], heirs: deque, day: float) -> None:
        """The leaver's opportunities `keys` went to `heirs` (None: lost) on `day`."""
        for key, heir in zip(keys, heirs, strict=True):
            record = self.log[key]
            if heir is None and day < 0:  # lost before the history starts: not in the log
                del self.log[key]
                continue
            record[3].append((day, heir))
            if heir is None:  # nobody left to inherit it: lost today (no size booked)
                record[4] = (day, "lost", self._size(record[3][-2][1], record[2], key))

    def _log_open(self, key: int, kind: int, owner: Head, created_day: float,
                  z_size: float) -> None:
        self.log[key] = [kind, created_day, z_size, [(created_day, owner)], None]

    def _size(self, owner: Head, z_size: float, key: int) -> float:
        """The deal's size as `owner` would book it now (a start state's known amount)."""
        if key in self.amounts:
            return self.amounts[key]
        if owner.deal_mix is None:
            return math.exp(owner.deal_mu + owner.deal_sigma * z_size) * owner.deal_mult
        return owner.deal_mix.at(z_size) * owner.deal_mult

    def _log_close(self, key: int, day: float, owner: Head, u_win: float,
                   z_size: float) -> None:
        """An opportunity closes (the hot loop's decision, read before it acts)."""
        record = self.log.get(key)
        if record is None:
            return
        if day < 0:  # decided before the history starts: not in the log
            del self.log[key]
            return
        outcome = ("won" if u_win < owner.p_win else
                   "lost" if u_win < owner.decided else "undecided")
        if record[3][-1][1] is not owner:  # the last hand-over's heir holds it
            record[3][-1] = (record[3][-1][0], owner)
        record[4] = (day, outcome, self._size(owner, z_size, key))

    def _heir(self, owner: Head) -> Head | None:
        """Who now holds the next-closing opportunity of `owner`, who has left."""
        while True:
            heirs = self.heirs[owner]
            heir = heirs.popleft()
            if not heirs:
                del self.heirs[owner]
            if heir is None or heir.slot >= 0:
                return heir
            owner = heir

    def open_count(self) -> int:
        count = 0
        for sellers in self.sellers:
            for head in sellers:
                count += head.n_open
        return count

    def open_at_start(self, owner: Head | None, segment: int, created_day: float,
                      close_day: float, u_win: float, z_size: float, full_ok: bool) -> None:
        """An opportunity already open at the warm-up's start (sim.steady): `owner`'s if it
        has room, else (owner None) the segment's seller with the most spare capacity, even
        beyond capacity when `full_ok` (a leaver's, handed over); dropped otherwise."""
        if owner is None:
            owner = self._most_spare(segment)
            if owner is None or (owner.spares[owner.slot] <= 0 and not full_ok):
                return
        elif owner.spares[owner.slot] <= 0:
            return
        owner.spares[owner.slot] -= 1
        owner.n_open += 1
        self.key += 1
        self._reserve(1)
        self._open(close_day, self.key, owner, created_day, u_win, z_size)
        if self.log is not None:
            self._log_open(self.key, owner.kind, owner, created_day, z_size)

    def place_at_start(self, owner: Head | None, segment: int, created_day: float,
                       close_day: float, u_win: float, z_size: float, amount: float) -> bool:
        """An opportunity of a given start state (sim.state): `owner`'s, or (owner None) the
        segment's seller with the most spare capacity, even beyond capacity (it is open
        already). A known `amount` (not NaN) is booked if won instead of a drawn size.
        False when the segment has nobody to hold it (it is dropped)."""
        if owner is None:
            owner = self._most_spare(segment)
            if owner is None:
                return False
        owner.spares[owner.slot] -= 1
        owner.n_open += 1
        self.key += 1
        if amount == amount:
            self.amounts[self.key] = amount
        self._reserve(1)
        self._open(close_day, self.key, owner, created_day, u_win, z_size)
        if self.log is not None:
            self._log_open(self.key, owner.kind, owner, created_day, z_size)
        return True

    # ---- the hot loop --------------------------------------------------------------
    @cython.boundscheck(False)  # rows, slots and months index within their columns
    @cython.wraparound(False)  # (a slot of -1, nobody, is tested before any use)
    def work_until(self, until: float) -> None:
        """Process arrivals and closes, in time order, before day `until`."""
        arrivals, extra = self.arrivals, self.extra
        sources = arrivals.sources
        all_spares, all_sellers, routers = self.spares, self.sellers, self.routers
        i, key, month = self.next, self.key, self.month
        created, unworked, lost, full = self.created, self.unworked, self.lost, self.full
        won, bookings, customers, cycles, commission = self.won
        book, month_end = self.book, (month + 1) * MONTH_DAYS
        amounts, log = self.amounts, self.log
        pop = heapq.heappop
        self_kind, sdr_kind = SELF, SDR  # C constants in the compiled loop
        # each arrival opens at most one opportunity: the open columns never grow below.
        # The compiled loop relies on it, and on nothing below adding arrivals or
        # replacing `order`: it reads these columns through C pointers taken here, which a
        # new column would leave dangling (a memoryview would have kept the old one alive)
        self._reserve(arrivals.n - i + len(extra))
        owners = self.owners
        if cython.compiled:  # the columns through C pointers: no view acquired per call
            order = cython.address(self.order[0])
            a_day, a_kind = cython.address(arrivals.day[0]), cython.address(arrivals.kind[0])
            a_u_win = cython.address(arrivals.u_win[0])
            a_z_cycle = cython.address(arrivals.z_cycle[0])
            a_z_size = cython.address(arrivals.z_size[0])
            opened, o_keys = cython.address(self.opened[0]), cython.address(self.keys[0])
        else:
            order, opened, o_keys = self.order, self.opened, self.keys
            a_day, a_kind, a_u_win = arrivals.day, arrivals.kind, arrivals.u_win
            a_z_cycle, a_z_size = arrivals.z_cycle, arrivals.z_size
        row = self._first(i)
        next_day = a_day[row]
        # this month's tallies in locals, added to in the same order as the rows would be
        # (the same sums), written back when the call ends; nothing before day 0 counts
        n_self = n_sdr = n_inbound = n_unworked = n_full = n_lost = 0.0
        n_won = n_bookings = n_customers = n_cycles = n_commission = 0.0
        if month >= 0:
            n_self, n_sdr, n_inbound = created[0][month], created[1][month], created[2][month]
            n_unworked, n_full, n_lost = unworked[month], full[month], lost[month]
            n_won, n_bookings, n_customers = won[month], bookings[month], customers[month]
            n_cycles, n_commission = cycles[month], commission[month]
        while True:
            day = self._next_close()
            if day < next_day:  # a close comes first
                if day >= until:
                    break
                slot = self._close_first()
                owner = owners[slot]
                created_day = opened[OPENED * slot + 1]
                u_win = opened[OPENED * slot + 2]
                z_size = opened[OPENED * slot + 3]
                if owner.slot < 0:  # its owner has left: it went to an heir
                    owner = self._heir(owner)
                    if owner is None:  # lost when its owner left
                        continue
                owner.n_open -= 1
                owner.spares[owner.slot] += 1
                if routers[owner.segment_no] is not None:
                    routers[owner.segment_no].raised(owner.slot)
                if log is not None:
                    self._log_close(o_keys[slot], day, owner, u_win, z_size)
                if day < 0:
                    continue
                # won with the owner's win probability this month; lost, or if it never
                # decided (u_win >= decided: sim.people), dropped without a trace
                if u_win >= owner.p_win:
                    if u_win < owner.decided:
                        n_lost += 1
                    continue
                if owner.deal_mix is None:
                    size = exp(owner.deal_mu + owner.deal_sigma * z_size) * owner.deal_mult
                else:
                    size = owner.deal_mix.at(z_size) * owner.deal_mult
                if amounts and o_keys[slot] in amounts:  # a start state's known amount
                    size = amounts.pop(o_keys[slot])
                n_won += 1
                n_bookings += size
                n_customers += 1
                n_cycles += day - created_day
                n_commission += size * owner.commission
                owner.wins += 1
                owner.bookings += size
                if book is not None:
                    book.add(size, day, owner.segment_no, month_end)
                continue
            day = next_day
            if day >= until:
                break
            kind = a_kind[row]
            source = sources[row]
            u_win = a_u_win[row]
            z_cycle = a_z_cycle[row]
            z_size = a_z_size[row]
            if extra:  # arrivals added mid-month wait: take the earlier
                if row == order[i]:
                    i += 1
                else:
                    pop(extra)
                row = order[i]
                if extra and extra[0][0] < a_day[row]:
                    row = extra[0][2]
            else:
                i += 1
                row = order[i]
            next_day = a_day[row]
            # (spares read through the head or column each time: a local view would be
            # acquired and released, atomic reference counts, on every arrival)
            if kind == self_kind:
                owner = source
                if not owner.active:
                    continue
                if owner.spares[owner.slot] <= 0:  # a full seller sources nothing: lost
                    if day >= 0:
                        n_full += 1
                    continue
            else:
                if kind == sdr_kind:
                    sdr = source
                    if not sdr.active:
                        continue
                    segment = sdr.segment_no
                else:
                    segment = source
                router = routers[segment]
                if router is None:
                    column = all_spares[segment]
                    slot = first_max(column.values, len(all_sellers[segment]))  # ties: first
                    if slot >= 0 and column.values[slot] <= 0:
                        slot = -1
                else:
                    slot = router.best()
                    if slot >= 0 and router.values[slot] <= 0:
                        slot = -1
                if slot < 0:  # nobody has room: created but unworked
                    if day >= 0:
                        if kind == sdr_kind:
                            n_sdr += 1
                        else:
                            n_inbound += 1
                        n_unworked += 1
                    continue
                owner = all_sellers[segment][slot] if router is None else router.heads[slot]
            owner.spares[owner.slot] -= 1  # (its column's, at its slot: the routed one's too)
            owner.n_open += 1
            key += 1
            if owner.plain:
                cycle_days = exp(owner.cycle_mu + owner.cycle_sigma * z_cycle) * owner.cycle_mult
            else:  # an empirical cycle, or never deciding (sim.people.Head.open_days)
                cycle_days = owner.open_days(u_win, z_cycle)
            self._open(day + cycle_days, key, owner, day, u_win, z_size)
            if log is not None:
                self._log_open(key, kind, owner, day, z_size)
            if day >= 0:
                if kind == self_kind:
                    n_self += 1
                elif kind == sdr_kind:
                    n_sdr += 1
                else:
                    n_inbound += 1
                owner.opps += 1
        self.next, self.key = i, key
        if month >= 0:
            created[0][month], created[1][month], created[2][month] = n_self, n_sdr, n_inbound
            unworked[month], full[month], lost[month] = n_unworked, n_full, n_lost
            won[month], bookings[month], customers[month] = n_won, n_bookings, n_customers
            cycles[month], commission[month] = n_cycles, n_commission
