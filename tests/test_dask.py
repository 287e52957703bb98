"""Replications on a real Dask cluster give the same numbers as a local run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim.runner import (
    SCHEDULER_TIMEOUT_ENV,
    RunFailed,
    check_scheduler_address,
    gather,
    iter_chunks,
    run_plan,
)
from sim.scenario import ScenarioError
from tests.factories import plan

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

PLAN = plan(replications=60, quarters=2, segments={"mid": {"inbound_opps_per_month": 10}},
            roles={"ae": {"attrition": 0.3, "time_to_hire_days": 40, "max_open_opps": 12}})


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local


def test_dask_cluster_matches_local_run(cluster) -> None:
    local_raw, local_rows = run_plan(PLAN, 60, workers=1)
    dask_raw, dask_rows = run_plan(PLAN, 60, scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(local_raw, dask_raw)
    assert pd.DataFrame(local_rows).equals(pd.DataFrame(dask_rows))


def test_dask_chunks_are_arrays_and_rendered_rows_like_local(cluster) -> None:
    """Issue 15: on Dask too, workers hand back arrays and reps.csv's rows."""
    local = gather(PLAN, 60, workers=2, start="2027-01")
    remote = gather(PLAN, 60, scheduler=cluster.scheduler_address, start="2027-01")
    np.testing.assert_array_equal(local.raw, remote.raw)
    assert remote.sellers.dtype.names is not None  # a structured array, not tuples
    assert local.sellers.tobytes() == remote.sellers.tobytes()
    assert remote.text == local.text and remote.text


def test_dask_workers_derive_the_metric_rows_like_local(cluster) -> None:
    """Issue 15: on Dask too, workers hand back each replication's metric rows."""
    local = gather(PLAN, 60, workers=2, start="2027-01", metrics=True)
    remote = gather(PLAN, 60, scheduler=cluster.scheduler_address, start="2027-01",
                    metrics=True)
    assert remote.raw is None and local.raw is None
    assert remote.metrics.tobytes() == local.metrics.tobytes()
    assert remote.sellers.tobytes() == local.sellers.tobytes() and remote.text == local.text


_killed_marker = "SIMREV_TEST_KILL_MARKER"


def _chunk_that_dies_once(plan, first, count):
    """Kill the worker process the first time chunk 0 runs (marker file), then behave."""
    from sim.runner import simulate_chunk

    marker = os.environ.get(_killed_marker)
    if first == 0 and marker and not os.path.exists(marker):
        with open(marker, "w") as handle:
            handle.write("killed")
        os._exit(1)
    return simulate_chunk(plan, first, count)


def test_a_chunk_killed_once_yields_identical_results(cluster, tmp_path, monkeypatch) -> None:
    import sim.runner

    marker = tmp_path / "killed"
    client = distributed.Client(cluster.scheduler_address)
    client.run(lambda: os.environ.__setitem__(_killed_marker, str(marker)))
    client.close()
    monkeypatch.setattr(sim.runner, "simulate_chunk", _chunk_that_dies_once)
    raw, _ = run_plan(PLAN, 60, scheduler=cluster.scheduler_address)
    monkeypatch.undo()
    assert marker.exists()  # the worker really died once
    local_raw, _ = run_plan(PLAN, 60, workers=1)
    np.testing.assert_array_equal(raw, local_raw)


# ---- a bad or lost scheduler: one line, at once -------------------------------------------
def free_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def simrev(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True,
                          text=True, check=False, timeout=60, env={**os.environ, **env})


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1:abc", "file:///x",
                                     "tcp://127.0.0.1:99999", "tcp://:8786"])
def test_a_malformed_scheduler_address_is_refused_at_once(address, tmp_path,
                                                         monkeypatch) -> None:
    """Refused before any connection attempt (so no Client.__del__ wait): in-process, with
    Dask's Client replaced by one that fails the test if it is reached."""
    from click.testing import CliRunner

    from cli.main import main

    def connect(*_args, **_kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(distributed, "Client", connect)
    done = CliRunner().invoke(main, ["run", "scenarios/base.yaml", "--replications", "5",
                                     "--out", str(tmp_path), "--scheduler", address])
    assert done.exit_code == 2, done.output
    assert done.output.splitlines() == [
        f"simrev: --scheduler: {address!r}: expected a Dask scheduler address such as "
        "tcp://10.0.0.5:8786 (scheme tcp, tls, ucx, ws, wss, inproc)"], done.output
    assert list(tmp_path.iterdir()) == []


def test_the_environment_variable_is_checked_the_same_way(tmp_path) -> None:
    done = simrev("run", "scenarios/base.yaml", "--replications", "5", "--out", str(tmp_path),
                  SIMREV_SCHEDULER="nonsense")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "--scheduler: 'nonsense': expected a Dask scheduler address" in done.stderr


def test_an_unreachable_scheduler_is_one_line_after_the_timeout(tmp_path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    done = simrev("run", "scenarios/base.yaml", "--replications", "5", "--out", str(tmp_path),
                  "--scheduler", address, **{SCHEDULER_TIMEOUT_ENV: "0.5"})
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(
        f"simrev: --scheduler: {address!r}: expected a reachable Dask scheduler")


def test_the_connect_timeout_is_a_parameter(tmp_path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="expected a reachable Dask scheduler"):
        run_plan(PLAN, 5, scheduler=address, connect_timeout=0.5)
    assert time.monotonic() - started < 5  # not the default 10 s


def test_check_scheduler_address_accepts_the_forms_dask_reads() -> None:
    for address in ("tcp://10.0.0.5:8786", "tls://host.example:8786", "10.0.0.5:8786",
                    "tcp://[::1]:8786", "inproc://10.0.0.5/1234/1", "ws://h:1"):
        check_scheduler_address(address)


def test_a_scheduler_lost_mid_run_is_one_error_and_no_dask_traceback(capfd) -> None:
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    chunks = iter_chunks(PLAN, 400, scheduler=cluster.scheduler_address)
    try:
        next(chunks)  # the run is under way
        capfd.readouterr()
        cluster.close()
        with pytest.raises(RunFailed, match="lost the Dask scheduler at .* mid-run"):
            for _ in chunks:
                pass
    finally:
        chunks.close()
        cluster.close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ERROR" not in err, err
