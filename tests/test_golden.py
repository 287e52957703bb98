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
    "base": "d661ceb102e887b5eb58ceb617bbe91f6bf71f8624a5496a4410df6909b9ed7c",
    "hire5": "0771a81fe1cfd59147b23e11fa04183893334fa9b9b32c3277ca84402d7141f9",
    "enablement": "d756ac5189aa6cead062feae4d08bd972fcd5fa1aa364bbb38846e7255d93300",
    "support": "768b181f2ef6c90d51d1bd718fb06756efb7eac11c43649de530d3f6f4b3a42e",
    "ai_assist": "d02afb0d72f35403447b7ea57d9ea881b7ffbf7a5fa4080de09a92674201b48b",
    "stress": "fa9132e864f40cdc23ab3798874edafecf0a3322cf9efae3b32e515ac8280eda",
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
