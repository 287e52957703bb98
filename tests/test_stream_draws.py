"""The engine's draws are the numbers of the streams' `numpy.random.Generator` methods.

The compiled core draws through numpy's random C API (sim/npyrandom.pxd) instead of the
methods: the same C functions, so the same numbers. These tests compute each draw with the
methods on a fresh copy of the stream and compare bit for bit (in either core).
"""

from __future__ import annotations

import math

import numpy as np

from sim import steady
from sim.arrivals import Arrivals
from sim.people import Head
from sim.streams import HEAD, HEAD_SPREAD, SEAT, SEAT_PIPELINE, OppDraws, stream, uniforms
from tests.factories import SELLER, plan

BLOCK = 128  # sim.streams.BLOCK (a C constant in the compiled core)


def test_opportunity_draws_are_the_generators_blocks() -> None:
    rate, end = 2.0, 400.0  # about 800 candidates: several blocks
    out = Arrivals()
    OppDraws(stream(7, 0, HEAD, 1, 2, 0)).between(0.0, end, rate, 0, None, out)
    rng = stream(7, 0, HEAD, 1, 2, 0)
    gap, u_win, z_cycle, z_size = [], [], [], []
    while len(gap) < out.n + 1:
        gap += rng.standard_exponential(BLOCK).tolist()
        u_win += rng.random(BLOCK).tolist()
        z = rng.standard_normal((2, BLOCK))
        z_cycle += z[0].tolist()
        z_size += z[1].tolist()
    expected, day = [], 0.0
    for i in range(len(gap)):
        if gap[i] >= (end - day) * rate:
            break
        day += gap[i] / rate
        expected.append((day, 0, None, u_win[i], z_cycle[i], z_size[i]))
    assert out.n > 3 * BLOCK
    assert out.rows() == expected


def test_a_heads_header_draws_are_the_generators() -> None:
    p = plan(roles={"ae": dict(SELLER, skill_sigma=0.4, opps_spread=0.5)})
    role, segment = p.roles[0], p.segments[0]
    head = Head(role, 3, 1, p.seed, 5, 0, segment)
    rng = stream(p.seed, 5, HEAD, role.ident, 3, 1)
    tth_z, skill_z = rng.standard_normal(), rng.standard_normal()
    assert head.tth_z == tth_z
    assert head.skill == math.exp(0.4 * skill_z - 0.5 * 0.4 * 0.4)
    assert head.attrition_left == rng.standard_exponential()
    spread = math.sqrt(math.log1p(0.5 ** 2))
    z = stream(p.seed, 5, HEAD_SPREAD, role.ident, 3, 1).standard_normal()
    assert head.opps_factor == math.exp(spread * z - 0.5 * spread * spread)
    # the opportunity draws come after the header's, from the same stream
    out = Arrivals()
    head.draws.between(0.0, 1.0, 1e6, 0, None, out)
    assert out.row(0)[0] == rng.standard_exponential() / 1e6


def test_a_seats_stationary_draws_are_the_generators() -> None:
    p = plan(roles={"ae": dict(SELLER, attrition=0.4, backfill=False)})
    role, segment = p.roles[0], p.segments[0]
    vacant, age, remaining = steady.seat_start(p, role, 2, 9)
    rng = stream(p.seed, 9, SEAT, role.ident, 2)
    rng.random(2), rng.standard_normal()  # u_vacant, u_split, z_wait
    assert (vacant, age, remaining) == (False,
                                        rng.standard_exponential() / role.attrition_per_day,
                                        0.0)
    rate = 3.0
    candidates = steady._candidates(stream(p.seed, 9, SEAT_PIPELINE, role.ident, 2), rate,
                                    segment)
    rng = stream(p.seed, 9, SEAT_PIPELINE, role.ident, 2)
    n = int(rng.poisson(rate * segment.cycle.mean))
    u = rng.random(4 * n).tolist()
    z = rng.standard_normal(2 * n).tolist()
    assert n > 10 and len(candidates) == n
    assert sorted(row[2:] for row in candidates) == sorted(
        zip(u[n:2 * n], u[2 * n:3 * n], u[3 * n:], z[n:], strict=True))


def test_churn_uniforms_are_the_generators() -> None:
    assert list(uniforms(stream(7, 1, 3, 4), 300)) == stream(7, 1, 3, 4).random(300).tolist()
    assert len(uniforms(stream(7, 1, 3, 4), 0)) == 0
    assert isinstance(uniforms(stream(7, 1, 3, 4), 1)[0], float | np.floating)
