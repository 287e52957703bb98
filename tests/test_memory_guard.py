"""The memory guard estimates from the scenario's real size (everyone who ever works in a
replication, seller rows, customers, quarters) and the worker processes a run starts; the
estimate is conservative, within a factor of 2 of the measured peak."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from sim.api import load
from sim.plan import compile_plan
from sim.runner import check_memory, estimate_bytes, people_ever
from sim.scenario import ScenarioError

GiB = 2**30


def issue_plan(hires: int = 3_000, quarters: int = 40, replications: int = 1_000):
    """The issue's case: base plus `hires` AEs at the start, attrition 1, `quarters`."""
    return compile_plan(load("scenarios/base.yaml", [
        f"hiring=[{{role: ae, count: {hires}, month: 2027-01}}]",
        "roles.ae.attrition=1", f"quarters={quarters}"], replications=replications))


def test_people_who_ever_work_count_hires_and_backfills() -> None:
    people = people_ever(issue_plan())
    assert people["ae"] == pytest.approx(3_020 * (1 + 1 * 10))  # each seat turns over yearly
    assert people["sdr"] == pytest.approx(8 * (1 + 0.4 * 10))


def test_the_issue_scenario_is_estimated_in_gigabytes_not_kilobytes() -> None:
    plan = issue_plan()
    one_worker = estimate_bytes(plan, 1_000, workers=1)
    assert one_worker > 1 * GiB  # the old estimate: 0.2 MiB per replication
    # each worker holds a model of ~33,000 people and a chunk of their rows (about 0.5 GB):
    # 40 workers need 40 of them
    assert estimate_bytes(plan, 1_000, workers=40) - one_worker > 39 * GiB / 4
    assert estimate_bytes(plan, 1_000, workers=40) > estimate_bytes(plan, 1_000, workers=2)


def test_workers_count_not_cores(monkeypatch) -> None:
    import sim.runner

    plan = issue_plan(replications=100)
    monkeypatch.setattr(sim.runner, "available_bytes", lambda: int(3.5 * GiB))
    monkeypatch.setattr(sim.runner, "default_workers", lambda: 2)
    # fits 80% of 3.5 GiB: the parent's seller rows (~1.7 GB) and two workers' models and
    # chunks (~0.5 GB each: 25 replications' 33,000 seller rows); 40 workers start 4 (one
    # per chunk): ~3.6 GiB in all
    check_memory(plan, 100, workers=2, allow_long=True)
    with pytest.raises(ScenarioError, match="GiB of memory"):
        check_memory(plan, 100, workers=40, allow_long=True)


MEASURE = textwrap.dedent("""
    import gc, json, sys
    from sim.api import load
    from sim.plan import compile_plan
    from sim.runner import estimate_bytes, run_chunk
    hires, quarters, replications, workers = map(int, sys.argv[1:])
    scenario = load("scenarios/base.yaml", [
        f"hiring=[{{role: ae, count: {hires}, month: 2027-01}}]",
        "roles.ae.attrition=1", f"quarters={quarters}"], replications=replications)
    plan = compile_plan(scenario)
    def peak():  # this process's high-water RSS (ru_maxrss would start at the parent's)
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024
    gc.collect()
    gc.freeze()
    before = peak()
    # one chunk, as a run's worker simulates it: metric rows and reps.csv's rows rendered
    chunk = run_chunk(plan, 0, replications, scenario.start, metrics=True)
    measured = peak() - before
    estimate = (estimate_bytes(plan, replications, workers)
                - estimate_bytes(plan, replications, 0))  # the simulating process's share
    print(json.dumps({"measured": measured, "estimate": estimate}))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize(("hires", "quarters", "replications"),
                         [(100, 40, 3), (150, 20, 6), (100, 20, 25)])
def test_a_worker_estimate_is_within_a_factor_of_2_of_its_measured_peak(
        hires, quarters, replications) -> None:
    """One process simulating a chunk as a run's worker does (the worker's share: a model,
    the chunk's results with reps.csv's rows rendered), scaled down from the issue's case:
    about 750 to 1,400 people per replication, up to a whole chunk of 25 (15,000 seller
    rows)."""
    done = subprocess.run([sys.executable, "-c", MEASURE, str(hires), str(quarters),
                           str(replications), "1"],
                          capture_output=True, text=True, check=True, timeout=120)
    figures = json.loads(done.stdout)
    assert figures["measured"] <= figures["estimate"] <= 2 * figures["measured"], figures


# ---- the time guard ---------------------------------------------------------------------

def test_the_time_estimate_grows_with_opportunities_head_months_and_replications() -> None:
    from sim.runner import estimate_seconds

    base = compile_plan(load("scenarios/base.yaml"))
    bigger = compile_plan(load("scenarios/base.yaml", ["roles.ae.headcount=200"]))
    busier = compile_plan(load("scenarios/base.yaml", ["roles.ae.opps_per_month=40"]))
    one = estimate_seconds(base, 1_000, 1)
    assert estimate_seconds(base, 2_000, 1) == pytest.approx(2 * one)
    assert estimate_seconds(base, 1_000, 2) == pytest.approx(one / 2)  # two cores here
    assert estimate_seconds(bigger, 1_000, 1) > 3 * one
    assert estimate_seconds(busier, 1_000, 1) > 2 * one


def test_a_run_of_more_than_ten_minutes_is_refused_with_its_estimate() -> None:
    huge = compile_plan(load("scenarios/base.yaml", ["roles.ae.headcount=100000"]))
    with pytest.raises(ScenarioError) as info:
        check_memory(huge, 1, "base.yaml", workers=1)
    message = str(info.value)
    assert "minutes on this machine" in message and "--allow-long" in message
    check_memory(huge, 1, "base.yaml", workers=1, allow_long=True)  # asked for: allowed
    check_memory(huge, 1, "base.yaml", workers=0)  # on a Dask cluster: its owner's call


def test_the_command_refuses_a_long_run_in_one_line_and_passes_allow_long(
    tmp_path, monkeypatch
) -> None:
    from click.testing import CliRunner

    from cli import main as cli_main

    args = ["run", "scenarios/base.yaml", "--set", "roles.ae.headcount=100000",
            "--replications", "1", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(cli_main.main, args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    out = tmp_path / "out"
    assert "--allow-long" in result.stderr and not (out.exists() and any(out.iterdir()))
    seen = []
    monkeypatch.setattr("sim.runner.check_memory",  # which the command imports when run
                        lambda *a, **k: seen.append(k["allow_long"]) or (_ for _ in ()).throw(
                            ScenarioError(None, "x", 1, "stop here")))
    CliRunner().invoke(cli_main.main, [*args, "--allow-long"])
    assert seen == [True]
