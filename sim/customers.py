"""The book of business: customers with ARR, churn, expansion and CSM load.

Today's book is split evenly: ``count`` customers holding ``arr`` between them, assigned to
segments in turn. A won deal adds a customer holding the deal's ARR from the day of the win.
At each month's end every customer who was on the book at the month's start churns with the
monthly equivalent of the annual churn, ``1 - (1 - churn) ** (1/12)`` (times the churn
lever and the CSM load effect), and the ARR of those retained grows by the monthly
equivalent of expansion, ``(1 + expansion) ** (1/12) - 1`` (times its lever, divided by the
CSM load when over 1). Customer i's churn draw in month k is the i-th uniform of the month-k
stream, so the same customer sees the same draws in every scenario.

**Retention (grr, nrr).** The customers on the book at a month's end are a prefix of the
book's arrays (won deals are appended), so a trailing-twelve-month cohort is named by the
book's size then. Every retained customer's ARR grows by the same factor in a month and none
contracts, so the cohort's survivors held their ARR now / the growth since then: the book
keeps, from day 0, each month end's (size, ARR, growth index) and nothing per customer.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.days import MONTH_DAYS, YEAR_DAYS
from sim.plan import Plan
from sim.streams import CHURN, source, uniforms

try:  # Cython's pure-Python mode: cython.compiled is True in the compiled core (sim/core.py)
    import cython
except ImportError:  # no Cython installed: the interpreted core
    from sim import nocython as cython

COMPILED = cython.compiled

PAIRWISE_BLOCK = 128  # numpy's PW_BLOCKSIZE: a pairwise sum's blocks are summed in order


class Book:
    """The customers, in order of arrival: each one's ARR, segment and whether still on the
    book, in flat arrays (`array.array`; typed views in the compiled core, sim/customers.pxd).

    A month end goes over every customer: the compiled core in a C loop (`_churn_each`), the
    interpreted one in numpy's vector operations (`_churn_all`), a Python loop being ten
    times slower; both give the same numbers (tests/test_customers.py, test_compiled.py)."""

    def __init__(self, plan: Plan, replication: int) -> None:
        self.plan = plan
        self.replication = replication
        segments = len(plan.segments)
        n = plan.customers_count
        size = max(64, 2 * n)
        self.arr = array("d", bytes(8 * size))
        self.segment = array("q", bytes(8 * size))
        self.alive = array("b", bytes(size))
        # the ARR of those kept and of those churned in a month, gathered for `pairwise_sum`
        self.kept_buffer = array("d", bytes(8 * size))
        self.churned_buffer = array("d", bytes(8 * size))
        self.per_segment = [0] * segments  # customers on the book by segment
        if n:
            self._open_book(n, plan.customers_arr / n, segments)
        self.n = n
        self.total_arr = float(plan.customers_arr)
        self.month_revenue_extra = 0.0  # revenue this month from deals won during it
        self.pending = 0  # deals won since `settle`: rows n .. n + pending - 1, not alive yet
        self.growth_index = 1.0  # product of every month's (1 + expansion growth) so far
        self.marks: list[tuple[int, float, float]] = []  # (n, ARR, growth index) per mark

    def _open_book(self, n: int, share: float, segments: int) -> None:
        """Today's `n` customers at `share` ARR each, dealt round the `segments` in turn."""
        arr = self.arr  # one view per statement: a tuple of them would box each one
        segment = self.segment
        alive = self.alive
        for i in range(n):
            arr[i] = share
            segment[i] = i % segments
            alive[i] = 1
        for index in range(segments):  # the customers i with i % segments == index
            self.per_segment[index] = n // segments + (1 if index < n % segments else 0)

    @property
    def customers(self) -> int:
        return sum(self.per_segment)

    def market_factor(self, segment: int) -> float:
        """(accounts - customers) / accounts for a segment with `accounts`, else 1."""
        accounts = self.plan.segments[segment].accounts
        if accounts is None:
            return 1.0
        return max(0.0, float(accounts - self.per_segment[segment]) / accounts)

    def add(self, arr: float, day: float, segment: int, month_end: float) -> None:
        """A won deal: a new customer from `day`, its revenue accruing daily.

        Deals wait past the book's end, not alive, until `settle` (the month's end):
        nothing reads the book between a month's start and its end.
        """
        self.total_arr += arr
        self.month_revenue_extra += arr * (month_end - day) / YEAR_DAYS
        row = self.n + self.pending
        if row == len(self.arr):
            self._grow(row + 1)
        self.arr[row] = arr
        self.segment[row] = segment
        self.pending += 1

    def settle(self) -> None:
        """Put the month's won deals on the book."""
        count = self.pending
        if not count:
            return
        segment = self.segment  # one view per statement: a tuple of them would box each one
        alive = self.alive
        per_segment = self.per_segment
        n = self.n
        for j in range(count):
            alive[n + j] = 1
            per_segment[segment[n + j]] += 1
        self.n = n + count
        self.pending = 0

    def _grow(self, need: int) -> None:
        """Room for `need` customers: the arrays doubled until they hold them."""
        size = len(self.arr)
        while size < need:
            size *= 2
        arr = array("d", bytes(8 * size))
        segment = array("q", bytes(8 * size))
        alive = array("b", bytes(size))
        old_arr = self.arr
        old_segment = self.segment
        old_alive = self.alive
        for i in range(self.n + self.pending):  # the book and the deals waiting past it
            arr[i] = old_arr[i]
            segment[i] = old_segment[i]
            alive[i] = old_alive[i]
        self.arr = arr
        self.segment = segment
        self.alive = alive
        self.kept_buffer = array("d", bytes(8 * size))
        self.churned_buffer = array("d", bytes(8 * size))

    def month_revenue(self, arr_at_start: float) -> float:
        """Recognized revenue of the month: ARR accrued daily."""
        return arr_at_start * MONTH_DAYS / YEAR_DAYS + self.month_revenue_extra

    def month_end(
        self, month: int, n_at_start: int, churn_mult: float, expansion_mult: float,
        csm_capacity: float | None,
    ) -> tuple[float, int, float]:
        """Churn and expand the customers on the book since the month's start.

        `csm_capacity` is the ARR the CSMs cover (None: no CSM role, no load effect).
        Returns (churned ARR, customers churned, expansion ARR). The sums are numpy's
        pairwise sums of the customers' ARR in book order (`pairwise_sum`).
        """
        plan = self.plan
        load = 0.0
        if csm_capacity is not None:
            load = self.total_arr / csm_capacity if csm_capacity > 0 else np.inf
        p_churn = (1.0 - (1.0 - plan.churn) ** (1.0 / 12.0)) * churn_mult
        growth = ((1.0 + plan.expansion) ** (1.0 / 12.0) - 1.0) * expansion_mult
        if load > 1.0:
            p_churn *= 1.0 + plan.overload_churn * (load - 1.0)
            growth /= load
        p_churn = min(1.0, p_churn)
        self.growth_index *= 1.0 + growth
        self.month_revenue_extra = 0.0
        if n_at_start == 0:
            return 0.0, 0, 0.0
        rng = source(plan.seed, self.replication, CHURN, (month,))
        if COMPILED:  # the same numbers through numpy's C API, without a Generator call
            u = uniforms(rng, n_at_start)
        else:
            u = rng.random(n_at_start)
        if COMPILED:
            churned_arr, churned, expansion = self._churn_each(n_at_start, u, p_churn, growth)
        else:
            churned_arr, churned, expansion = self._churn_all(n_at_start, u, p_churn, growth)
        total = self.total_arr + (expansion - churned_arr)
        # ARR is kept as a running sum: with every customer gone it is exactly 0, never a
        # rounding residue below it
        self.total_arr = max(0.0, total) if any(self.per_segment) else 0.0
        return churned_arr, churned, expansion

    @cython.boundscheck(False)  # i < n <= the columns' length; segments are >= 0
    @cython.wraparound(False)
    def _churn_each(self, n: int, u, p_churn: float, growth: float  # noqa: ANN001
                    ) -> tuple[float, int, float]:
        """`month_end`'s churn and expansion of the first `n` customers (draws `u`) as a
        loop over them (the compiled core: C), summed by `pairwise_sum`."""
        arr = self.arr
        alive = self.alive
        segment = self.segment
        kept_arr = self.kept_buffer
        churned_arr = self.churned_buffer
        per_segment = self.per_segment
        below = p_churn  # a customer churns when its draw is below the churn probability
        factor = 1.0 + growth
        kept = churned = 0
        for i in range(n):
            if not alive[i]:
                continue
            if u[i] < below:
                churned_arr[churned] = arr[i]
                churned += 1
                alive[i] = 0
                per_segment[segment[i]] -= 1
            else:
                kept_arr[kept] = arr[i]
                kept += 1
                arr[i] = arr[i] * factor
        return (pairwise_sum(churned_arr, churned), churned,
                pairwise_sum(kept_arr, kept) * growth)

    def _churn_all(self, n: int, u: np.ndarray, p_churn: float, growth: float
                   ) -> tuple[float, int, float]:
        """`_churn_each` in numpy's vector operations (the interpreted core: no Python loop
        over the customers); the same numbers (tests/test_compiled.py)."""
        arr = np.frombuffer(self.arr, count=n)
        alive = np.frombuffer(self.alive, dtype=np.int8, count=n)
        on_book = alive != 0
        churned = on_book & (u < p_churn)
        kept = on_book & ~churned
        churned_arr = float(arr[churned].sum())
        expansion = float(arr[kept].sum() * growth)
        np.multiply(arr, 1.0 + growth, out=arr, where=kept)
        alive[churned] = 0
        count = int(np.count_nonzero(churned))
        if count:
            gone = np.bincount(np.frombuffer(self.segment, dtype=np.int64, count=n)[churned],
                               minlength=len(self.per_segment)).tolist()
            for index, lost in enumerate(gone):
                self.per_segment[index] -= lost
        return churned_arr, count, expansion

    def mark(self) -> None:
        """Remember the book at this month's end (after `month_end`), for `retention`."""
        self.marks.append((self.n, self.total_arr, self.growth_index))

    @cython.boundscheck(False)  # i < n <= the columns' length, count <= i; no index < 0
    @cython.wraparound(False)
    def retention(self, months: int = 12) -> tuple[float, float, float]:
        """The cohort on the book `months` marks ago: (its ARR then, ARR then of those still
        on the book, its ARR now); zeros without that much history."""
        if months < 0:  # (the mark is read without a bounds check in the compiled core)
            raise ValueError(f"retention over {months} months: expected 0 or more")
        if len(self.marks) <= months:
            return 0.0, 0.0, 0.0
        n, arr_then, index_then = self.marks[len(self.marks) - 1 - months]
        if COMPILED:  # the ARR of those on the book, summed as numpy would
            arr = self.arr
            alive = self.alive
            summands = self.kept_buffer
            count = 0
            for i in range(n):
                if alive[i]:
                    summands[count] = arr[i]
                    count += 1
            arr_now = pairwise_sum(summands, count)
        else:
            on_book = np.frombuffer(self.alive, dtype=np.int8, count=n) != 0
            arr_now = float(np.frombuffer(self.arr, count=n)[on_book].sum())
        kept_then = arr_now * index_then / self.growth_index
        return arr_then, kept_then, arr_now


@cython.boundscheck(False)  # the callers' n values from start lie within `values`
@cython.wraparound(False)
def pairwise_sum(values, n: int, start: int = 0) -> float:  # noqa: ANN001 (a double buffer)
    """The sum of the `n` non-negative `values` from `start` as numpy's ``sum`` adds a
    contiguous float64 array: pairwise halves (multiples of 8) down to blocks of at most
    128, each summed by 8 interleaved accumulators, and fewer than 8 in order
    (tests/test_customers.py checks it against numpy)."""
    if n < 0 or start < 0 or start + n > len(values):  # read without bounds checks below
        raise IndexError(f"pairwise_sum of {n} values from {start} of {len(values)}")
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    if n <= PAIRWISE_BLOCK:
        r0 = values[start]
        r1 = values[start + 1]
        r2 = values[start + 2]
        r3 = values[start + 3]
        r4 = values[start + 4]
        r5 = values[start + 5]
        r6 = values[start + 6]
        r7 = values[start + 7]
        stop = start + n - n % 8
        i = start + 8
        while i < stop:
            r0 += values[i]
            r1 += values[i + 1]
            r2 += values[i + 2]
            r3 += values[i + 3]
            r4 += values[i + 4]
            r5 += values[i + 5]
            r6 += values[i + 6]
            r7 += values[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < start + n:
            total += values[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return pairwise_sum(values, half, start) + pairwise_sum(values, n - half, start + half)
