"""The engine's draws are the numbers of the streams' `numpy.random.Generator` methods.

The compiled core draws through numpy's random C API (sim/npyrandom.pxd) instead of the
methods: the same C functions, so the same numbers. These tests compute each draw with the
methods on a fresh copy of the stream and compare bit for bit (in either core).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.random import PCG64, SeedSequence

from sim import core, steady
from sim.arrivals import Arrivals
from sim.people import Head
from sim.streams import (
    HEAD,
    HEAD_SPREAD,
    SEAT,
    SEAT_PIPELINE,
    OppDraws,
    Source,
    key_words,
    source,
    stream,
    uniforms,
)
from tests.factories import SELLER, plan

BLOCK = 16  # sim.streams.BLOCK (a C constant in the compiled core)


@pytest.mark.parametrize("make", [lambda: stream(7, 0, HEAD, 1, 2, 0),
                                  lambda: source(7, 0, HEAD, (1, 2, 0))],
                         ids=["generator", "source"])
def test_opportunity_draws_are_the_generators_blocks(make) -> None:
    rate, end = 2.0, 400.0  # about 800 candidates: several blocks
    out = Arrivals()
    OppDraws(make()).between(0.0, end, rate, 0, None, out)
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
    rows = [tuple(candidates[i:i + steady.CANDIDATE])
            for i in range(0, len(candidates), steady.CANDIDATE)]
    assert n > 10 and len(rows) == n
    assert sorted(row[2:] for row in rows) == sorted(
        zip(u[n:2 * n], u[2 * n:3 * n], u[3 * n:], z[n:], strict=True))
    ages = [row[0] for row in rows]  # youngest first
    assert ages == sorted(ages) and len(set(ages)) == n


def test_churn_uniforms_are_the_generators() -> None:
    assert list(uniforms(stream(7, 1, 3, 4), 300)) == stream(7, 1, 3, 4).random(300).tolist()
    assert len(uniforms(stream(7, 1, 3, 4), 0)) == 0
    assert isinstance(uniforms(stream(7, 1, 3, 4), 1)[0], float | np.floating)


def test_a_sources_churn_uniforms_are_the_generators() -> None:
    assert list(uniforms(source(7, 1, 3, (4,)), 300)) == stream(7, 1, 3, 4).random(300).tolist()


KEYS = [(7, 0, HEAD, (1, 2, 0)), (0, 5, SEAT, (2**32 - 1, 9)), (2**70 + 3, 1, 3, (4,)),
        (12345, 999, HEAD_SPREAD, (0, 0, 1))]


@pytest.mark.skipif(not core.compiled(), reason="a Source is the compiled core's")
@pytest.mark.parametrize("key", KEYS)
def test_a_source_is_numpys_pcg64(key) -> None:
    """A Source's words are PCG64's of the stream's seed sequence: 64-bit, 32-bit (numpy
    buffers the high half of a 64-bit word) and doubles, interleaved."""
    seed, replication, kind, identity = key
    src = Source(seed, replication, kind, *identity)
    numpys = PCG64(SeedSequence(key_words(seed, replication, kind, identity)))
    bits = numpys.ctypes
    for _ in range(50):
        assert src.next_uint64() == bits.next_uint64(bits.state)
        assert src.next_uint32() == bits.next_uint32(bits.state)
        assert src.next_double() == bits.next_double(bits.state)
        assert src.next_uint32() == bits.next_uint32(bits.state)
        assert src.next_uint32() == bits.next_uint32(bits.state)


@pytest.mark.skipif(not core.compiled(), reason="a Source is the compiled core's")
@pytest.mark.parametrize("key", [*KEYS, (2**32 - 1, 2**32 - 1, 2**32 - 1, (2**32 - 1,) * 4),
                                 (1, 2, 3, (4, 5, 6, 7, 8)), (2**32, 0, 1, ())])
def test_the_engines_sources_are_seeded_as_numpy_seeds(key) -> None:
    """`source` takes a short cut for keys of single words (at most four identity words);
    any key seeds as numpy's SeedSequence of `key_words`."""
    seed, replication, kind, identity = key
    numpys = PCG64(SeedSequence(key_words(seed, replication, kind, identity)))
    assert [source(*key).next_uint64()] == numpys.random_raw(1).tolist()


@pytest.mark.skipif(not core.compiled(), reason="a Source is the compiled core's")
def test_a_sources_poisson_is_the_generators_and_moves_it_on() -> None:
    src, rng = Source(7, 0, HEAD, 1, 2, 0), stream(7, 0, HEAD, 1, 2, 0)
    src.next_uint32(), rng.integers(0, 2**32, dtype=np.uint32)  # a buffered half word
    assert [src.poisson(lam) for lam in (0.5, 30.0, 1e6)] == [rng.poisson(lam)
                                                            for lam in (0.5, 30.0, 1e6)]
    assert src.next_uint32() == rng.integers(0, 2**32, dtype=np.uint32)  # the buffer's
    assert src.generator().random(5).tolist() == rng.random(5).tolist()
    for lam in (float("nan"), -1.0, 1e19):  # numpy's checks, numpy's errors
        with pytest.raises(ValueError) as ours:
            src.poisson(lam)
        with pytest.raises(ValueError) as numpys:
            rng.poisson(lam)
        assert str(ours.value) == str(numpys.value)


@pytest.mark.skipif(core.compiled(), reason="the interpreted core's source")
def test_the_interpreted_core_draws_from_the_generator_itself() -> None:
    assert isinstance(source(7, 0, HEAD, (1, 2, 0)), np.random.Generator)
    with pytest.raises(TypeError, match="compiled core"):
        Source(7, 0, HEAD, 1, 2, 0)
