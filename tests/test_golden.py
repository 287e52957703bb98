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
    "base": "b5f9ffb912ddc89e5a0584092c44ac7a8f6b58015ea56cc3d954cfe2cec418f5",
    "hire5": "09bde7ecf26a2941091b7e3458d5031fefdc53bde5d5fed3384c465d73b12b25",
    "enablement": "bf9fe43da600f6763d522c63dfc6eb5d03092beda5f2d0407948c6503bbc5435",
    "support": "6b621b1ba11a6186170157ba302de3f42c182a6271f49ca82c530a2820a50da3",
    "ai_assist": "589ba17e80292668f2a71c1ee7a89c2807fa67c83fe73daec9d06772f9973afc",
    "stress": "1e404c18dee7e63869df06dcc0c680ca700c2fe55aabe31af6721fa0cce77e79",
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
