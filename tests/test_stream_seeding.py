"""A stream's generator is seeded as numpy's SeedSequence would seed it (sim.streams computes
the seed sequence's words itself, which is much cheaper than building one)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.streams import key_words, seed_state, stream
from tests.profiles import examples

WORDS32 = st.integers(0, 2**32 - 1)


def numpy_generator(seed: int, replication: int, kind: int,
                    identity: tuple[int, ...]) -> np.random.Generator:
    """What a stream was built as before: numpy's own seeding from the key's words."""
    entropy = key_words(seed, replication, kind, identity)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


@given(st.integers(0, 2**80), WORDS32, WORDS32, st.lists(WORDS32, max_size=5).map(tuple))
@settings(max_examples=examples(200), deadline=None)
def test_a_stream_is_seeded_as_numpy_seeds_its_key(seed, replication, kind, identity) -> None:
    words = key_words(seed, replication, kind, identity)
    expected = np.random.SeedSequence(words).generate_state(4, np.uint64).tolist()
    assert list(seed_state(words.tolist())) == expected
    ours = stream(seed, replication, kind, *identity)
    theirs = numpy_generator(seed, replication, kind, identity)
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert ours.standard_normal(3).tolist() == theirs.standard_normal(3).tolist()


@given(st.lists(WORDS32, max_size=9))
@settings(max_examples=examples(100), deadline=None)
def test_seed_state_is_numpys_for_any_entropy_length(words) -> None:
    # shorter than the pool of four words (zeros are hashed in), or longer (mixed in after)
    expected = np.random.SeedSequence(np.array(words, dtype=np.uint32)).generate_state(
        4, np.uint64).tolist()
    assert list(seed_state(words)) == expected


def test_streams_built_at_once_on_threads_are_each_their_own() -> None:
    # every stream's state passes through one buffer: building them on threads that switch
    # all the time must not give one stream another's state
    keys = [(seed, 0, 1, (seat,)) for seed in range(4) for seat in range(150)]
    expected = {key: numpy_generator(*key).bit_generator.state for key in keys}
    got: dict[tuple, dict] = {}

    def build(part: list[tuple]) -> None:
        for key in part:
            got[key] = stream(key[0], key[1], key[2], *key[3]).bit_generator.state

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=build, args=(keys[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(old)
    assert got == expected


def test_a_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        key_words(-1, 0, 1, ())
    with pytest.raises(ValueError, match="non-negative"):
        stream(-5, 0, 1)
