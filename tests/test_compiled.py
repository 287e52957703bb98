"""The compiled core (issue 15): the same source compiled by Cython gives byte-identical
numbers to the interpreted one.

Each plan's raw metrics and seller rows are hashed at full precision (the raw array's bytes
and the rows' `repr`) in this process (the installed core) and in a subprocess that
imports the hot modules' `.py` sources (``SIMREV_CORE=interpreted``, sim/core.py). Skipped,
saying why, where no compiled core is built (a pure-Python install).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import core
from sim.api import load
from sim.model import Model
from sim.plan import Plan, compile_plan
from tests.factories import stress_plan

ROOT = Path(__file__).resolve().parent.parent
REPLICATIONS = 3
SHIPPED = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def exact_digest(plan: Plan, replications: int = REPLICATIONS) -> str:
    """sha256 of every bit of the raw metrics and seller rows of replications 0 .. n-1."""
    sha = hashlib.sha256()
    for replication in range(replications):
        result = Model(plan, replication).run()
        sha.update(np.ascontiguousarray(result.raw, dtype=np.float64).tobytes())
        for row in result.sellers:
            sha.update(repr(tuple(row)).encode())
    return sha.hexdigest()


def backtest_plan(folder: Path) -> Plan:
    """The backtest's fitted scenario of a synthetic CRM export (tests/test_backtest.py):
    undecided deals, an empirical cycle, a deal-size mix, listed sellers, open deals."""
    from sim.crm import read_export
    from sim.fit import fit_scenario
    from tests.synthetic_crm import Truth
    from tests.test_backtest import write_synthetic

    truth = Truth(sellers=12, months=18.0, attrition=0.2)
    export = read_export(write_synthetic(folder / "crm.csv", truth, 3, "2024-01-01"),
                         as_of="2023-12-31")
    scenario, _state = fit_scenario(export, folder=folder / "fit", quarters=2)
    return compile_plan(scenario)


INTERPRETED = """
import json, pickle, sys
from sim import core
from tests.test_compiled import exact_digest
plans = pickle.load(open(sys.argv[1], "rb"))
print(json.dumps({"core": core.describe(),
                  "digests": {name: exact_digest(plan) for name, plan in plans.items()}}))
"""


def test_hot_modules_are_the_ones_setup_compiles() -> None:
    setup = (ROOT / "setup.py").read_text()
    listed = re.search(r"HOT_MODULES = \[(.*?)\]", setup, re.S).group(1)
    assert tuple(re.findall(r'"([\w.]+)"', listed)) == core.HOT_MODULES


def test_interpreted_core_can_be_forced() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from sim import core, model; print(core.describe(), "
         "model.__file__)"],
        cwd=ROOT, env={**os.environ, core.ENV: "interpreted"}, capture_output=True,
        text=True, check=True).stdout.split()
    assert out[:2] == ["interpreted", "core"] and out[2].endswith("model.py")


@pytest.mark.skipif(not core.compiled(),
                    reason="no compiled core is built here (a pure-Python install, "
                           "SIMREV_PURE=1, SIMREV_CORE=interpreted, or no C compiler)")
def test_compiled_and_interpreted_cores_give_identical_numbers(tmp_path: Path) -> None:
    plans = {name: compile_plan(load(ROOT / "scenarios" / f"{name}.yaml")) for name in SHIPPED}
    plans["stress"] = stress_plan()
    plans["backtest"] = backtest_plan(tmp_path)
    assert plans["backtest"].state is not None  # the example carries a start state
    path = tmp_path / "plans.pickle"
    path.write_bytes(pickle.dumps(plans))
    done = subprocess.run(
        [sys.executable, "-c", INTERPRETED, str(path)], cwd=ROOT,
        env={**os.environ, core.ENV: "interpreted"}, capture_output=True, text=True,
        timeout=900)
    assert done.returncode == 0, done.stderr
    interpreted = json.loads(done.stdout)
    assert interpreted["core"] == "interpreted core"
    compiled = {name: exact_digest(plan) for name, plan in plans.items()}
    assert compiled == interpreted["digests"]


def _source_copy(dest: Path) -> Path:
    """What setup.py builds from, without any build's outputs."""
    import shutil

    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "sim", dest / "sim",
                    ignore=shutil.ignore_patterns("*.so", "*.c", "__pycache__"))
    return dest


@pytest.mark.parametrize("how", ["no compiler", "SIMREV_PURE"])
def test_a_build_that_cannot_compile_installs_the_interpreted_core(tmp_path: Path,
                                                                    how: str) -> None:
    tree = _source_copy(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in (core.ENV, "SIMREV_PURE")}
    env.update({"CC": "/bin/false"} if how == "no compiler" else {"SIMREV_PURE": "1"})
    done = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "interpreted" in done.stderr
    assert not list((tree / "sim").glob("*.so"))
    env.pop("CC", None)
    described = subprocess.run(
        [sys.executable, "-c", "import sim, sim.core; print(sim.__file__, sim.core.describe())"],
        cwd=tree, env={**env, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
        check=True).stdout
    assert described.strip() == f"{tree / 'sim' / '__init__.py'} interpreted core"


@pytest.mark.skipif(not core.compiled(), reason="the installed core is the interpreted one: "
                                                 "the suite itself runs these paths")
def test_the_interpreted_cores_own_paths_pass_the_hand_worked_cases() -> None:
    """Where a hot module asks `cython.compiled` (the pipeline's heap and routing scan, the
    book's sums), the interpreted core takes Python's C-coded equivalents: the pipeline's
    and the book's hand-worked tests must pass with them too."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         "tests/test_pipeline.py", "tests/test_customers.py"],
        cwd=ROOT, env={**os.environ, core.ENV: "interpreted"}, capture_output=True,
        text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
