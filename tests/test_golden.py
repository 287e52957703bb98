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
    "base": "959210016efc417e5367af5054f067f28fdc22922b2526db04e5ddb4630b1a1a",
    "hire5": "f476dfb1f0d139bb24b764227f100c472805b42194052f8bf3c431d8dce36b55",
    "enablement": "ce20f954d9ae99d94ca312af0ba87727b0cf9ff2a55bc23687a736d1960037b2",
    "support": "e74a415d8fccacb10987af24caf15495d84e228df21491c35391ab03598a3408",
    "ai_assist": "f095191827d2fd41b147c0a5d5368761e5f15b06a1d89750227abc6b1951cab8",
    "stress": "df84304b8a504e0d86fa057deb50b0bf770a43350bfc84db73ba3d3769fc7de9",
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
