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
    "base": "37ebb4d34472f54cde4b64d8e022d74f4b53442bceebe08ebe5acd2b3d862ee0",
    "hire5": "676ce61f19094c4ce47fb754295e443efbf39697c2702789a4c84b72b049af1b",
    "enablement": "14032200f0012c1e5a4b3c2670596038ed9edc58da7a4b92a85207de0cbccfea",
    "support": "0900de514eb92ea8798dcdaab45b5df03e8c82db1a761d494ca9e9babdff7c0d",
    "ai_assist": "34e0710e5da7f10b234f366b35d58250e607341556121865db19c00c10d22a79",
    "stress": "c7249220496e6c9c43f9c226a3d5747d55b26a44d861e96785a17c4e79a2c0bb",
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
