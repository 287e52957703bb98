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

import numpy as np

from sim.plan import MONTH_DAYS, YEAR_DAYS, Plan
from sim.streams import CHURN, stream


class Book:
    def __init__(self, plan: Plan, replication: int) -> None:
        self.plan = plan
        self.replication = replication
        n = plan.customers_count
        size = max(64, 2 * n)
        self.arr = np.zeros(size)
        self.segment = np.zeros(size, dtype=np.int64)
        self.alive = np.zeros(size, dtype=bool)
        if n:
            self.arr[:n] = plan.customers_arr / n
            self.segment[:n] = np.arange(n) % len(plan.segments)
            self.alive[:n] = True
        self.n = n
        self.per_segment = np.bincount(self.segment[:n], minlength=len(plan.segments))
        self.total_arr = float(plan.customers_arr)
        self.month_revenue_extra = 0.0  # revenue this month from deals won during it
        self.new_arr: list[float] = []  # ARR of deals won since `settle`
        self.new_segment: list[int] = []  # and their segments
        self.growth_index = 1.0  # product of every month's (1 + expansion growth) so far
        self.marks: list[tuple[int, float, float]] = []  # (n, ARR, growth index) per mark

    @property
    def customers(self) -> int:
        return int(self.per_segment.sum())

    def market_factor(self, segment: int) -> float:
        """(accounts - customers) / accounts for a segment with `accounts`, else 1."""
        accounts = self.plan.segments[segment].accounts
        if accounts is None:
            return 1.0
        return max(0.0, float(accounts - self.per_segment[segment]) / accounts)

    def add(self, arr: float, day: float, segment: int, month_end: float) -> None:
        """A won deal: a new customer from `day`, its revenue accruing daily.

        Deals wait in a list until `settle` (the month's end): nothing reads the book
        between a month's start and its end.
        """
        self.total_arr += arr
        self.month_revenue_extra += arr * (month_end - day) / YEAR_DAYS
        self.new_arr.append(arr)
        self.new_segment.append(segment)

    def settle(self) -> None:
        """Put the month's won deals on the book."""
        count = len(self.new_arr)
        if not count:
            return
        while self.n + count > len(self.arr):
            grow = len(self.arr)
            self.arr = np.concatenate([self.arr, np.zeros(grow)])
            self.segment = np.concatenate([self.segment, np.zeros(grow, dtype=np.int64)])
            self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
        new = slice(self.n, self.n + count)
        self.arr[new] = self.new_arr
        self.segment[new] = self.new_segment
        self.alive[new] = True
        self.n += count
        self.per_segment += np.bincount(self.new_segment, minlength=len(self.per_segment))
        self.new_arr, self.new_segment = [], []

    def month_revenue(self, arr_at_start: float) -> float:
        """Recognized revenue of the month: ARR accrued daily."""
        return arr_at_start * MONTH_DAYS / YEAR_DAYS + self.month_revenue_extra

    def month_end(
        self, month: int, n_at_start: int, churn_mult: float, expansion_mult: float,
        csm_capacity: float | None,
    ) -> tuple[float, int, float]:
        """Churn and expand the customers on the book since the month's start.

        `csm_capacity` is the ARR the CSMs cover (None: no CSM role, no load effect).
        Returns (churned ARR, customers churned, expansion ARR).
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
        u = stream(plan.seed, self.replication, CHURN, month).random(n_at_start)
        alive = self.alive[:n_at_start]
        arr = self.arr[:n_at_start]
        churned = alive & (u < p_churn)
        kept = alive & ~churned
        churned_arr = float(arr[churned].sum())
        expansion = float(arr[kept].sum() * growth)
        np.multiply(arr, 1.0 + growth, out=arr, where=kept)
        alive[:] = kept
        count = int(np.count_nonzero(churned))
        if count:
            self.per_segment -= np.bincount(
                self.segment[:n_at_start][churned], minlength=len(plan.segments)
            )
        total = self.total_arr + (expansion - churned_arr)
        # ARR is kept as a running sum: with every customer gone it is exactly 0, never a
        # rounding residue below it
        self.total_arr = max(0.0, total) if self.per_segment.any() else 0.0
        return churned_arr, count, expansion

    def mark(self) -> None:
        """Remember the book at this month's end (after `month_end`), for `retention`."""
        self.marks.append((self.n, self.total_arr, self.growth_index))

    def retention(self, months: int = 12) -> tuple[float, float, float]:
        """The cohort on the book `months` marks ago: (its ARR then, ARR then of those still
        on the book, its ARR now); zeros without that much history."""
        if len(self.marks) <= months:
            return 0.0, 0.0, 0.0
        n, arr_then, index_then = self.marks[-1 - months]
        alive = self.alive[:n]
        arr_now = float(self.arr[:n][alive].sum())
        kept_then = arr_now * index_then / self.growth_index
        return arr_then, kept_then, arr_now
