"""Golden numbers: the raw per-replication metrics and seller rows of the shipped plans and a
stress plan at a fixed seed, hashed.

A refactor must leave these hashes alone. When numbers change on purpose (a new mechanism, a
new stream layout), update GOLDEN in the same commit and say why in its message. Values are
printed to 12 significant digits before hashing, so a last-bit difference in a libm or numpy
build does not break the test, while any real change of a draw or a formula does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from sim.api import load
from sim.model import Model
from sim.plan import Plan, compile_plan
from tests.factories import stress_plan

ROOT = Path(__file__).resolve().parent.parent
REPLICATIONS = 3

GOLDEN = {
    "base": "8eb0311d39742497f5ee5b97b7819a41fc862fd9661460ce35554e1be57174ef",
    "hire5": "7e14569516e29ce41fbf5f096325303db6fc0f87736adf51f0f55b44d530c728",
    "enablement": "73d54cda042cdb0d8a125f545d6bbeed2e764f7cf9a31fbfc9e589aa93129b90",
    "support": "fee7d6e3a2c51507bf884cb933d36ed8f8c77f46ace36b00db6d53b511ecd3fe",
    "ai_assist": "e3379947477e9992938a6aba0f49555259dc715b3f44f5ff9fd18b0a9c47979e",
    "stress": "0b7611fec2d6cb53bbd98791b30c81e2bd9b19bdab3b9040f8a8fb832b766585",
}


def golden_plan(name: str) -> Plan:
    if name == "stress":
        return stress_plan()
    return compile_plan(load(ROOT / "scenarios" / f"{name}.yaml"))


def digest(plan: Plan, replications: int = REPLICATIONS) -> str:
    """sha256 of the raw metrics and seller rows of replications 0 .. n-1."""
    sha = hashlib.sha256()
    for replication in range(replications):
        result = Model(plan, replication).run()
        raw = np.asarray(result.raw, dtype=float)
        sha.update(" ".join(f"{v:.12g}" for v in raw.ravel()).encode())
        for row in result.sellers:
            sha.update(
                repr(tuple(f"{v:.12g}" if isinstance(v, float) else v for v in row)).encode()
            )
    return sha.hexdigest()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_numbers_are_unchanged(name: str) -> None:
    assert digest(golden_plan(name)) == GOLDEN[name], (
        f"{name}: the simulated numbers changed; if on purpose, update GOLDEN and say why"
    )


def test_the_digest_sees_a_change_of_one_draw() -> None:
    plan = golden_plan("stress")
    changed = stress_plan_with_other_seed()
    assert digest(plan, 1) != digest(changed, 1)


def stress_plan_with_other_seed() -> Plan:
    import dataclasses

    plan = stress_plan()
    return dataclasses.replace(plan, seed=plan.seed + 1)
