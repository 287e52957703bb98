"""The pipeline: opportunities arriving, routed, opened and closed, in time order.

This is the engine's hot loop, so it trades a little elegance for speed: a month's
arrivals from every source are drawn at the month's start and sorted once; open
opportunities wait in one heap of close times; each segment keeps its sellers' spare
capacity in a plain list (routing is ``max`` and ``index`` on it). People events (hires,
departures) happen on the SimPy clock between calls to `work_until`.

An arrival is a tuple ``(day, kind, source, u_win, z_cycle, z_size)``: `source` is the
seller (self-sourced), the SDR, or the segment index (inbound). An open opportunity is its
heap entry ``(close_day, key, owner, created_day, u_win, z_size)``; when a seller leaves,
their entries are replaced by ones with the new owner (or dropped, when lost).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from operator import attrgetter, itemgetter

from sim.people import Head
from sim.plan import MONTH_DAYS

SELF, SDR, ROUTED_INBOUND = 0, 1, 2  # arrival kinds, also the index of `created`
OWNER = 2  # in an open opportunity's entry (close_day, key, owner, created_day, u_win, z_size)
NO_ARRIVAL = (math.inf, -1, None, 0.0, 0.0, 0.0)  # ends every month's arrival list
NO_CLOSE = (math.inf, -1, None, 0.0, 0.0, 0.0)  # stays at the bottom of the close heap
BY_DAY = itemgetter(0)
ORDER = attrgetter("order")


class Pipeline:
    """Open opportunities and routing for one replication.

    `rows` maps metric names to the replication's monthly lists (see `Layout`); only
    events on or after day 0 are recorded, in the month `month` the clock is in.
    """

    def __init__(self, segments: int, rows: dict[str, list[float]],
                 won_deal: Callable[[float, float, int, float], None]) -> None:
        self.month = 0
        self.pending: list[tuple] = [NO_ARRIVAL]
        self.next = 0
        self.closes: list[tuple] = [NO_CLOSE]
        self.key = 0
        self.sellers: list[list[Head]] = [[] for _ in range(segments)]  # by routing order
        self.spares: list[list[float]] = [[] for _ in range(segments)]  # parallel to sellers
        self.created = [rows["opps_created_self"], rows["opps_created_sdr"],
                        rows["opps_created_inbound"]]
        self.unworked = rows["opps_unworked"]
        self.lost = rows["opps_lost"]
        self.won = [rows[name] for name in
                    ("opps_won", "bookings", "customers_won", "cycle_days_won_sum",
                     "cost_commission")]
        self.won_deal = won_deal  # called with (size, day, segment, month_end) per win

    # ---- arrivals ------------------------------------------------------------------
    def new_month(self, arrivals: list[tuple]) -> None:
        """Start the month (`month` set already) with its arrivals in generation order."""
        arrivals.sort(key=BY_DAY)  # stable: equal days keep generation order
        arrivals.append(NO_ARRIVAL)
        self.pending = arrivals
        self.next = 0

    def add_arrivals(self, arrivals: list[tuple]) -> None:
        """Merge arrivals drawn mid-month (a head starting) into the month's rest."""
        rest = self.pending[self.next:-1]
        rest.extend(arrivals)
        self.new_month(rest)

    # ---- sellers -------------------------------------------------------------------
    # While seated, a seller's spare capacity lives in its segment's `spares` list at
    # `head.slot`; `head.spare` is only read when (re)seating.

    def join(self, head: Head) -> None:
        """A seller starts work with `head.spare` set."""
        segment = head.segment_index
        self._unseat(segment)
        sellers = self.sellers[segment]
        sellers.append(head)
        sellers.sort(key=ORDER)
        self.seat(segment)

    def leave(self, head: Head, day: float) -> None:
        """A seller leaves on `day`; their open opportunities are handed over."""
        segment = head.segment_index
        self._unseat(segment)
        self.sellers[segment].remove(head)
        self.seat(segment)
        self._hand_over(head, day)

    def seat(self, segment: int) -> None:
        """Build the segment's spare list from its sellers' `spare`."""
        sellers = self.sellers[segment]
        self.spares[segment] = spares = [head.spare for head in sellers]
        for slot, head in enumerate(sellers):
            head.slot = slot
            head.spares = spares

    def _unseat(self, segment: int) -> None:
        for head, spare in zip(self.sellers[segment], self.spares[segment], strict=True):
            head.spare = spare

    def _hand_over(self, leaver: Head, day: float) -> None:
        """A leaver's open opportunities go, one by one in close order, to the segment's
        seller with the most spare capacity (even beyond capacity); with nobody left they
        are lost on `day`."""
        closes = self.closes
        mine = sorted(entry for entry in closes if entry[OWNER] is leaver)
        if not mine:
            return
        sellers = self.sellers[leaver.segment_index]
        spares = self.spares[leaver.segment_index]
        kept = [entry for entry in closes if entry[OWNER] is not leaver]
        for close_day, key, _leaver, created_day, u_win, z_size in mine:
            if not sellers:
                if day >= 0:
                    self.lost[self.month] += 1
                continue
            slot = spares.index(max(spares))
            owner = sellers[slot]
            owner.n_open += 1
            spares[slot] -= 1
            kept.append((close_day, key, owner, created_day, u_win, z_size))
        heapq.heapify(kept)
        closes[:] = kept
        leaver.n_open = 0

    def open_count(self) -> int:
        return sum(head.n_open for sellers in self.sellers for head in sellers)

    # ---- the hot loop --------------------------------------------------------------
    def work_until(self, until: float) -> None:
        """Process arrivals and closes, in time order, before day `until`."""
        pending, closes = self.pending, self.closes
        all_spares, all_sellers = self.spares, self.sellers
        i, key, month = self.next, self.key, self.month
        created, unworked, lost = self.created, self.unworked, self.lost
        won, bookings, customers, cycles, commission = self.won
        won_deal, month_end = self.won_deal, (month + 1) * MONTH_DAYS
        pop, push, exp = heapq.heappop, heapq.heappush, math.exp
        arrival = pending[i]
        while True:
            day = closes[0][0]
            if day < arrival[0]:  # a close comes first
                if day >= until:
                    break
                _day, _key, owner, created_day, u_win, z_size = pop(closes)
                owner.n_open -= 1
                owner.spares[owner.slot] += 1
                if day < 0:
                    continue
                # won with the owner's win probability this month
                if u_win >= owner.p_win:
                    lost[month] += 1
                    continue
                size = exp(owner.deal_mu + owner.deal_sigma * z_size) * owner.deal_mult
                won[month] += 1
                bookings[month] += size
                customers[month] += 1
                cycles[month] += day - created_day
                commission[month] += size * owner.commission
                owner.wins += 1
                owner.bookings += size
                won_deal(size, day, owner.segment_index, month_end)
                continue
            day, kind, source, u_win, z_cycle, z_size = arrival
            if day >= until:
                break
            i += 1
            arrival = pending[i]
            if kind == SELF:
                if not source.active:
                    continue
                owner = source
                spares = owner.spares
                slot = owner.slot
                if spares[slot] <= 0:  # a full seller sources nothing
                    continue
            else:
                if kind == SDR:
                    if not source.active:
                        continue
                    segment = source.segment_index
                else:
                    segment = source
                spares = all_spares[segment]
                best = max(spares) if spares else 0.0
                if best <= 0:  # nobody has room: created but unworked
                    if day >= 0:
                        created[kind][month] += 1
                        unworked[month] += 1
                    continue
                slot = spares.index(best)  # ties: the first in routing order
                owner = all_sellers[segment][slot]
            spares[slot] -= 1
            owner.n_open += 1
            key += 1
            cycle_days = exp(owner.cycle_mu + owner.cycle_sigma * z_cycle) * owner.cycle_mult
            push(closes, (day + cycle_days, key, owner, day, u_win, z_size))
            if day >= 0:
                created[kind][month] += 1
                owner.opps += 1
        self.next, self.key = i, key
