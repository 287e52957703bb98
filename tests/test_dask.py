"""Replications on a real Dask cluster give the same numbers as a local run."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from sim.runner import run_plan
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
