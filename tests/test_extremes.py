"""Extreme values: beyond the documented bounds one exit-2 line, within them finite numbers.

Bounds are in docs/scenarios.md ("Bounds"); every output a number is promised for is finite
(a ratio with no meaningful value is missing, never infinite) and no stock is negative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from sim.api import load, run
from sim.model import Model
from sim.plan import compile_plan

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "base.yaml"
HUGE = str(10**30)

# --set overrides that used to crash (exit 1) or write inf, each now a one-line error
BEYOND = [
    ("segments.mid.deal_size.mean=1e308", "segments.mid.deal_size.mean"),
    ("segments.mid.cycle_days.mean=1e308", "segments.mid.cycle_days.mean"),
    ("segments.mid.cycle_days={mean: 1e300, cv: 1}", "segments.mid.cycle_days.mean"),
    ("roles.ae.time_to_hire_days=1e308", "roles.ae.time_to_hire_days.mean"),
    ("roles.ae.tenure_months=1e308", "roles.ae.tenure_months"),
    (f"segments.mid.accounts={HUGE}", "segments.mid.accounts"),
    (f"roles.ae.max_open_opps={HUGE}", "roles.ae.max_open_opps"),
    (f"replications={10**400}", "replications"),
    ("roles.ae.cost=1e308", "roles.ae.cost"),
    ("roles.ae.cost=1e-320", "roles.ae.cost"),
    ("roles.ae.hire_cost=0.001", "roles.ae.hire_cost"),
    ("customers.arr=1e308", "customers.arr"),
    ("roles.ae.opps_per_month=1e308", "roles.ae.opps_per_month"),
    ("segments.mid.inbound_opps_per_month=1e308", "segments.mid.inbound_opps_per_month"),
    ("roles.csm.book_per_head=1e308", "roles.csm.book_per_head"),
    ("customers.overload_churn=1e308", "customers.overload_churn"),
    (f"seed={10**40}", "seed"),
]


@pytest.mark.parametrize(("override", "key"), BEYOND, ids=[key for _o, key in BEYOND])
def test_a_value_beyond_its_bound_is_one_line_and_exit_2(override: str, key: str) -> None:
    result = CliRunner().invoke(main, ["validate", str(BASE), "--set", override])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f": {key}: " in result.stderr and "expected" in result.stderr


def test_program_bounds_are_one_line_errors(tmp_path: Path) -> None:
    text = BASE.read_text() + (
        "programs:\n  p:\n    start: 2027-02\n    effects: {win_rate: 1.1}\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    for override in (f"programs.p.phase_in_months={HUGE}", f"programs.p.months={HUGE}",
                     "programs.p.cost=1e308", "programs.p.seat_cost_per_month=1e-300"):
        result = CliRunner().invoke(main, ["validate", str(path), "--set", override])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, override


def test_values_at_their_bounds_simulate_to_finite_outputs() -> None:
    scenario = load(BASE, [
        "segments.mid.deal_size={mean: 1e12, cv: 10}",
        "segments.mid.cycle_days={mean: 3650, cv: 1}",
        "segments.mid.accounts=1000000000", "roles.ae.cost=1e9", "roles.ae.hire_cost=1e9",
        "roles.ae.tenure_months=1200", "roles.ae.time_to_hire_days=3650",
        "roles.ae.max_open_opps=1000000", "customers.arr=1e13",
        "roles.csm.book_per_head=1e13", "roles.csm.follows.arr=1e13",
        "customers.overload_churn=100", "quarters=2",
    ], replications=4)
    result = run(scenario)
    for frame in (result.monthly, result.quarterly, result.replications):
        values = frame.select_dtypes("number").to_numpy(float)
        assert not np.isinf(values).any()


def test_a_cost_of_one_gives_a_finite_magic_number() -> None:
    result = run(load(BASE, ["roles.ae.cost=1", "roles.sdr.cost=0", "roles.csm.cost=0",
                             "roles.manager.cost=0", "quarters=2"], replications=4))
    values = result.quarterly.select_dtypes("number").to_numpy(float)
    assert not np.isinf(values).any()


def test_churn_beyond_certain_empties_the_book_to_exactly_zero(tmp_path: Path) -> None:
    """Churn of 0.9 x10 makes the monthly churn probability 1 (capped); with attrition of 1
    x10 and no backfill the sellers go too, the book empties, and ARR is then exactly 0 (it
    was a residue of the running sum, -1.2e-09 in replication 1)."""
    path = tmp_path / "churn.yaml"
    path.write_text(BASE.read_text() + (
        "programs:\n  p:\n    start: 2027-01\n    effects: {churn: 10, attrition: 10}\n"
    ))
    compiled = compile_plan(load(path, ["customers.churn=0.9", "roles.ae.attrition=1",
                                        "roles.ae.backfill=false"]))
    emptied = 0
    for replication in range(5):
        model = Model(compiled, replication)
        raw = model.run().raw
        arr, customers = raw[model.ix["arr"]], raw[model.ix["customers"]]
        assert (arr >= 0).all()
        assert (arr[customers == 0] == 0).all()
        emptied += int((customers == 0).any())
    assert emptied >= 3


def test_a_stationary_tenure_of_1e90_days_runs() -> None:
    """Attrition of 5e-90 a year draws today's tenures near 1e90 days: the ramp's month
    number past its end must not overflow a C integer in the compiled core (hypothesis
    found it)."""
    from tests.factories import plan

    tiny = plan(roles={"sdr": {"kind": "sdr", "segment": "mid", "headcount": 1,
                               "cost": 80000, "ramp": [0.5, 1.0], "attrition": 5e-90,
                               "opps_per_month": 1}})
    result = Model(tiny, 0).run()
    assert np.isfinite(result.raw).all()
