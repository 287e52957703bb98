"""Issue 15 item 3: fixed and serial costs. Workers start before the heavy imports and
never load pandas or pyarrow; they hand back arrays and reps.csv's rows; the parent's
files stay byte-identical to what the frame writers produce."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli import workers_to_prestart
from sim.api import load, run
from sim.metrics import stats
from sim.outputs import write_csv
from sim.plan import compile_plan
from sim.runner import gather, run_plan, simulate_chunk
from sim.sellers import SELLER_DTYPE
from tests.factories import stress_plan

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "pyarrow", "pydantic", "rich", "scipy", "yaml", "click")


def test_the_simulation_imports_no_heavy_module() -> None:
    code = ("import sys, sim.runner\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks its workers")
def test_a_worker_holds_no_pandas_or_pyarrow_after_simulating() -> None:
    """As the command line does: workers start, then the parent imports everything."""
    code = (
        "import sys\n"
        "from sim.runner import WorkerPool, prestart\n"
        "prestart(2)\n"
        "import pandas, pyarrow, pydantic, rich\n"
        "from sim.api import load\n"
        "from sim.plan import compile_plan\n"
        "plan = compile_plan(load('scenarios/hire5.yaml', replications=4))\n"
        "pool = WorkerPool(plan, 2, '2027-01')\n"
        "chunks = list(pool.map([(0, 2), (2, 2)]))\n"
        "assert len(chunks) == 2 and chunks[1].text\n"
        f"heavy = set({HEAVY!r})\n"
        "print([sorted({m.split('.')[0] for m in ms} & heavy) for ms in pool.modules()])\n"
        "pool.stop()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=300)
    assert done.stdout.strip() == "[[], []]", done.stdout + done.stderr


def test_prestart_reads_the_worker_count_from_the_command_line() -> None:
    assert workers_to_prestart(["run", "a.yaml", "--workers", "3"]) == 3
    assert workers_to_prestart(["run", "a.yaml", "--workers=4"]) == 4
    assert workers_to_prestart(["compare", "a.yaml", "b.yaml", "--workers", "1"]) == 1
    assert workers_to_prestart(["run", "a.yaml", "--scheduler", "tcp://h:1"]) == 0
    assert workers_to_prestart(["validate", "a.yaml"]) == 0
    assert workers_to_prestart(["run", "--help"]) == 0
    assert workers_to_prestart(["run", "a.yaml"]) >= 1


def test_chunks_carry_structured_arrays_not_tuples() -> None:
    plan = stress_plan()
    chunk = simulate_chunk(plan, 0, 2, "2027-01")
    assert isinstance(chunk.sellers, np.ndarray) and chunk.sellers.dtype == SELLER_DTYPE
    assert list(np.unique(chunk.sellers["replication"])) == [0, 1]
    assert isinstance(chunk.text, bytes)
    # run_plan still gives (replication, *SellerRow) tuples, in the same order
    _, rows = run_plan(plan, 2)
    assert [r[0] for r in rows] == chunk.sellers["replication"].tolist()
    assert [r[9] for r in rows] == chunk.sellers["bookings"].tolist()


@pytest.mark.parametrize("workers", [1, 2])
def test_workers_render_reps_csv_as_the_frame_writer_does(tmp_path, workers) -> None:
    """reps.csv from the workers' text is byte for byte what pandas writes from `reps`
    (leavers: empty `left`, NaN annual bookings; today's team and hires; every cohort)."""
    result = run(load(ROOT / "scenarios" / "hire5.yaml", replications=60), workers=workers)
    assert result.reps_csv is not None
    write_csv(result.reps, tmp_path / "frame.csv")
    assert (tmp_path / "frame.csv").read_bytes() == result.reps_csv
    assert (result.reps["left"] == "").any() and (result.reps["left"] != "").any()
    assert result.reps["annual_bookings"].isna().any()
    assert {"today", "Q1"} <= set(result.reps["cohort"])


def test_stress_plan_rows_render_like_the_frame(tmp_path) -> None:
    from sim.aggregate import seller_frame

    plan = stress_plan()
    done = gather(plan, 8, workers=1, start="2027-11")
    frame = seller_frame(done.sellers, plan, "2027-11")
    write_csv(frame, tmp_path / "frame.csv")
    header, _, body = (tmp_path / "frame.csv").read_bytes().partition(b"\n")
    assert body == done.text


def test_stats_percentiles_equal_nanpercentile() -> None:
    rng = np.random.default_rng(5)
    values = rng.lognormal(size=(101, 4, 7))
    values[rng.random(values.shape) < 0.05] = np.nan
    values[:, 2, 3] = np.nan  # a column with nothing
    values[:, 1, :] = rng.lognormal(size=(101, 7))  # and some with nothing missing
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanpercentile(values, [10, 50, 90], axis=0)
    got = stats(values)
    for k, name in enumerate(("p10", "p50", "p90")):
        np.testing.assert_array_equal(got[name], expected[k])


def test_a_finished_run_leaves_its_workers_for_the_next() -> None:
    from sim import runner

    plan = compile_plan(load(ROOT / "scenarios" / "base.yaml", replications=50))
    runner._kill(runner._IDLE)
    runner._IDLE.clear()
    first = gather(plan, 50, workers=2)
    pids = sorted(p.pid for p, _ in runner._IDLE)
    second = gather(plan, 50, workers=2)
    assert len(pids) == 2 and sorted(p.pid for p, _ in runner._IDLE) == pids
    np.testing.assert_array_equal(first.raw, second.raw)


def test_replications_run_without_automatic_collection(monkeypatch) -> None:
    """The collector's automatic passes cost a replication ~15%: simulate_chunk runs the
    models with it off, collects their cycles by hand, and leaves it as it found it."""
    import gc

    import sim.runner as runner

    seen = []
    real = runner.Model.run

    def run(self):  # noqa: ANN001, ANN202
        seen.append(gc.isenabled())
        return real(self)

    monkeypatch.setattr(runner.Model, "run", run)
    plan = compile_plan(load("scenarios/base.yaml", replications=2))
    assert gc.isenabled()
    simulate_chunk(plan, 0, 2)
    assert seen == [False, False]
    assert gc.isenabled()
    gc.disable()
    try:
        simulate_chunk(plan, 0, 1)
        assert not gc.isenabled()  # left as found
    finally:
        gc.enable()
