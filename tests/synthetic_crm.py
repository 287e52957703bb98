"""Synthetic CRM cuts with known parameters, in the export reader's frame interface.

Seats are filled from the window's start; each occupant creates opportunities as a Poisson
process at their own rate (the mean rate times a lognormal multiplier of mean 1), leaves at
a constant hazard and is replaced the same day. An opportunity never decides with the
no-decision share, else decides at a lognormal age (lost ones `lost_cycle_factor` times
longer) and is won with the win rate. Dates are whole days; a close after the cut is open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MONTH = 365.0 / 12.0
YEAR = 365.0


@dataclass(frozen=True)
class Truth:
    """The generating parameters."""

    sellers: int = 40  # seats
    months: float = 24.0  # the window before the cut
    rate: float = 6.0  # opportunities per seller-month (population mean)
    rate_cv: float = 0.4  # between-seller CV of the rate
    win_rate: float = 0.3  # among decided deals
    no_decision: float = 0.15
    cycle_mean: float = 60.0  # days, lognormal
    cycle_cv: float = 0.8
    lost_cycle_factor: float = 1.0
    attrition: float = 0.25  # departures per head per year
    products: dict[str, tuple[float, float, float]] = field(default_factory=lambda: {
        "platform": (0.3, 50_000.0, 0.6), "seats": (0.7, 2_000.0, 0.5)})  # share, mean, cv
    inbound_share: float = 0.3

    @property
    def mix_mean(self) -> float:
        return sum(s * m for s, m, _ in self.products.values())


def _lognormal(rng: np.random.Generator, mean: float, cv: float, size: int) -> np.ndarray:
    sigma = math.sqrt(math.log1p(cv * cv))
    return rng.lognormal(math.log(mean) - sigma * sigma / 2, sigma, size)


def synthetic_cut(truth: Truth = Truth(), seed: int = 1, as_of: str = "2024-01-01"
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """The opportunity frame and roster as a CRM would show them at `as_of`."""
    rng = np.random.Generator(np.random.PCG64(seed))
    cut = pd.Timestamp(as_of)
    span = truth.months * MONTH  # days from the window's start to the cut
    names, starts, leaves, created = [], [], [], []
    owners: list[np.ndarray] = []
    person = 0
    for seat in range(truth.sellers):
        start = -rng.uniform(0, 3 * YEAR)  # day 0 is the window's start
        begin = 0.0
        while begin < span:
            stay = rng.exponential(YEAR / truth.attrition) if truth.attrition > 0 else np.inf
            end = begin + stay
            name = f"s{seat:03d}-{person}"
            person += 1
            mult = _lognormal(rng, 1.0, truth.rate_cv, 1)[0] if truth.rate_cv > 0 else 1.0
            length = min(end, span) - begin
            count = rng.poisson(truth.rate * mult * length / MONTH)
            created.append(begin + rng.uniform(0, length, count))
            owners.append(np.full(count, name))
            names.append(name)
            starts.append(start)
            leaves.append(end if end <= span else np.nan)
            begin = start = end
    t = np.concatenate(created)
    owner = np.concatenate(owners)
    n = t.size
    decides = rng.random(n) >= truth.no_decision
    won = rng.random(n) < truth.win_rate
    age = _lognormal(rng, truth.cycle_mean, truth.cycle_cv, n)
    age = np.where(won, age, age * truth.lost_cycle_factor)
    product_names = list(truth.products)
    shares = np.array([truth.products[p][0] for p in product_names])
    pick = rng.choice(len(product_names), size=n, p=shares / shares.sum())
    amount = np.empty(n)
    for i, p in enumerate(product_names):
        _, mean, cv = truth.products[p]
        amount[pick == i] = _lognormal(rng, mean, cv, int((pick == i).sum()))
    source = np.where(rng.random(n) < truth.inbound_share, "inbound", "outbound")
    origin = cut - pd.Timedelta(days=span)
    created_day = np.floor(t)
    closed_day = np.floor(t + age)
    known = decides & (closed_day <= math.floor(span))
    frame = pd.DataFrame({
        "id": [f"o{i}" for i in range(n)], "owner": owner,
        "created": (origin + pd.to_timedelta(created_day, unit="D")).normalize(),
        "closed": (origin + pd.to_timedelta(np.where(known, closed_day, np.nan), unit="D")
                   ).normalize(),
        "outcome": np.where(known, np.where(won, "won", "lost"), "open"),
        "amount": amount, "product": np.array(product_names)[pick], "source": source})
    frame = frame[frame["created"] <= cut].reset_index(drop=True)
    roster = pd.DataFrame({
        "seller": names,
        "start": (origin + pd.to_timedelta(np.floor(starts), unit="D")).normalize(),
        "leave": (origin + pd.to_timedelta(np.floor(leaves), unit="D")).normalize(),
        "role": "ae"})
    return frame, roster, cut


def write_export(frame: pd.DataFrame, path: Path, open_stage: str = "Prospecting",
                 source: bool = True) -> Path:
    """A synthetic cut as a Salesforce-like CSV export (open rows without a close date;
    with a `Lead Source` column unless `source` is false)."""
    stage = frame["outcome"].map({"won": "Closed Won", "lost": "Closed Lost",
                                  "open": open_stage})
    table = pd.DataFrame({
        "Opportunity ID": frame["id"], "Opportunity Owner": frame["owner"],
        "Created Date": frame["created"].dt.strftime("%Y-%m-%d"),
        "Close Date": frame["closed"].dt.strftime("%Y-%m-%d").fillna(""),
        "Stage": stage, "Amount": frame["amount"].round(2), "Product": frame["product"]})
    if source:
        table["Lead Source"] = frame["source"]
    table.to_csv(path, index=False)
    return path
