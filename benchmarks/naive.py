"""The naive reference: the most direct SimPy model of 25 sellers' opportunities.

One process per seller, one process per opportunity, one RNG call per event; no ramp,
routing, people or customers. It is the yardstick the design notes measure against
(about 25 ms per 8-quarter replication on the project machine).
"""

from __future__ import annotations

import numpy as np
import simpy

from benchmarks.timing import mean_ms

MONTH_DAYS = 365 / 12


def naive_replication(seed: int, sellers: int = 25, quarters: int = 8) -> float:
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    booked = [0.0]
    rate_per_day = 4 / MONTH_DAYS
    sigma = np.sqrt(np.log1p(0.5**2))
    mu_cycle = np.log(60) - sigma**2 / 2
    mu_deal = np.log(32_000) - sigma**2 / 2

    def opportunity():
        yield env.timeout(rng.lognormal(mu_cycle, sigma))
        if rng.random() < 0.22:
            booked[0] += rng.lognormal(mu_deal, sigma)

    def seller():
        while True:
            yield env.timeout(rng.exponential(1 / rate_per_day))
            env.process(opportunity())

    for _ in range(sellers):
        env.process(seller())
    env.run(until=quarters * 3 * MONTH_DAYS)
    return booked[0]


def ms_per_replication(replications: int = 50) -> float:
    return mean_ms(naive_replication, replications)


if __name__ == "__main__":
    print(f"naive reference: {ms_per_replication():.1f} ms per replication")
