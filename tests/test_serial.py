"""Issue 15 item 3: fixed and serial costs. Workers start before the heavy imports and
never load pandas or pyarrow; they hand back arrays and reps.csv's rows; the parent's
files stay byte-identical to what the frame writers produce."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
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


@pytest.mark.parametrize("plan", [stress_plan(),
                                  compile_plan(load(ROOT / "scenarios" / "hire5.yaml"))],
                         ids=["stress", "hire5"])
def test_seller_blocks_hold_what_each_replications_seller_rows_say(plan) -> None:
    """A chunk's seller table (built from `Model.seller_block`, one float64 row per seller)
    holds, bit for bit, each replication's `SellerRow`s from `Model.run`."""
    from sim.model import Model
    from sim.sellers import RAW_FIELDS, derive

    chunk = simulate_chunk(plan, 3, 4)
    rows = [(r, *row) for r in range(3, 7) for row in Model(plan, r).run().sellers]
    expected = np.zeros(len(rows), SELLER_DTYPE)
    code = {role.name: i for i, role in enumerate(plan.roles)}
    for name, values in zip(RAW_FIELDS, zip(*rows, strict=True), strict=True):
        expected[name] = [code[v] for v in values] if name == "role" else values
    derive(expected, plan.months)
    assert len(rows) > 10 and chunk.sellers.tobytes() == expected.tobytes()


@pytest.mark.parametrize("plan", [stress_plan(),
                                  compile_plan(load(ROOT / "scenarios" / "hire5.yaml"))],
                         ids=["stress", "hire5"])
def test_a_chunks_raw_metrics_are_each_replications_own(plan) -> None:
    """`Model.raw_into` (a chunk's raw arrays) writes, bit for bit, what numpy makes of the
    replication's raw rows (`Model.run`), counts held as ints included."""
    from sim.model import Model

    chunk = simulate_chunk(plan, 3, 4)
    expected = np.array([Model(plan, r).run().raw for r in range(3, 7)])
    assert chunk.raw.shape == expected.shape and chunk.raw.tobytes() == expected.tobytes()
    assert np.count_nonzero(expected) > expected.size // 4


def test_reps_csv_rendered_in_slices_is_the_same_text(monkeypatch) -> None:
    """A chunk's rows are rendered `RENDER_ROWS` at a time (bounded memory): the same bytes
    as all at once, whatever the slice (labels of months and cohorts are per row)."""
    import sim.sellers

    plan = stress_plan()
    whole = simulate_chunk(plan, 0, 6, "2027-11")
    monkeypatch.setattr(sim.sellers, "RENDER_ROWS", 7)
    sliced = simulate_chunk(plan, 0, 6, "2027-11")
    assert len(whole.sellers) > 3 * 7 and sliced.text == whole.text


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

    class Watched(runner.Model):  # an extension type when compiled: no monkeypatching
        def simulate(self):  # noqa: ANN202
            seen.append(gc.isenabled())
            return super().simulate()

    monkeypatch.setattr(runner, "Model", Watched)
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


def test_each_model_is_freed_before_the_next_is_built(monkeypatch) -> None:
    """A finished model is freed right after its replication (by reference counting; the
    collector takes its SimPy environment's cycle), so one model at a time is alive in a
    worker (and its objects are freed while still cached)."""
    import weakref

    import sim.runner as runner

    alive: weakref.WeakSet = weakref.WeakSet()
    counts = []

    class Watched(runner.Model):  # an extension type when compiled: no monkeypatching
        def simulate(self):  # noqa: ANN202
            alive.add(self)
            counts.append(len(alive))
            return super().simulate()

    monkeypatch.setattr(runner, "Model", Watched)
    simulate_chunk(compile_plan(load("scenarios/base.yaml", replications=4)), 0, 4)
    assert counts == [1, 1, 1, 1] and len(alive) == 0


# ---- the parent's fast paths against straightforward references ----------------------

def _fuzz_columns(rng: np.random.Generator, trial: int) -> np.ndarray:
    """Replications x columns with NaN, infinities, zeros of both signs, huge values,
    an all-missing column; one column (its transpose is contiguous) or a strided view."""
    n, k = int(rng.integers(1, 300 if trial % 3 else 3000)), int(rng.integers(1, 9))
    kind = trial % 4
    if kind == 0:
        values = rng.lognormal(size=(n, k))
    elif kind == 1:
        values = rng.integers(-3, 4, size=(n, k)).astype(float)
    elif kind == 2:
        values = rng.choice([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 2.5], size=(n, k))
    else:
        values = rng.normal(size=(n, k)) * 1e300
    values[rng.random(values.shape) < rng.random() * 0.5] = np.nan
    if k > 2:
        values[:, 1] = np.nan
    return values[:, ::2] if trial % 5 == 0 else values


def test_percentiles_and_summaries_equal_numpy_bit_for_bit() -> None:
    from sim.aggregate import percentiles, summarize

    rng = np.random.default_rng(11)
    for trial in range(240):
        values = _fuzz_columns(rng, trial)
        before = values.copy()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
            expected = np.nanpercentile(values, [10, 50, 90], axis=0)
            reference = stats(values)
        got = summarize(values)
        assert before.tobytes() == values.tobytes()  # the input is not sorted in place
        assert percentiles(values).tobytes() == expected.tobytes(), trial
        for key, column in reference.items():
            assert got[key].tobytes() == column.tobytes(), (trial, key)


def test_a_zero_of_either_sign_is_the_one_numpy_picks() -> None:
    """Sorted, -0.0 and 0.0 may land either way; numpy's own selection decides."""
    from sim.aggregate import percentiles

    column = np.array([0., -0., -0., -0., -0., 0., 0., 0., 0., 1., 1., 1., -0., 1., -1., -0.,
                       -0., -1., -1., -1., -0., 1.])
    expected = np.percentile(column, [10, 50, 90])
    assert np.signbit(expected[1])  # numpy's median here is -0.0
    assert percentiles(column[:, None])[:, 0].tobytes() == expected.tobytes()


def test_workers_metric_rows_equal_the_parents_derivation() -> None:
    """Derived per chunk in the workers (2 processes) or from all raw arrays at once: the
    same bits, and laid out as the tidy frames and replications.parquet read them."""
    from sim.model import layout_for
    from sim.periods import Periods, metric_rows, period_metrics

    plan = stress_plan()
    layout = layout_for(plan)
    raw = gather(plan, 60, workers=1).raw
    done = gather(plan, 60, workers=2, metrics=True)
    assert done.raw is None
    assert done.metrics.tobytes() == metric_rows(raw, layout, plan).tobytes()
    where = Periods(plan, layout)
    quarters = period_metrics(raw, layout, plan,
                              [np.arange(3 * q, 3 * q + 3) for q in range(where.quarters)])
    block = done.metrics[:, where.quarterly].reshape(60, where.quarters, len(where.names))
    for i, name in enumerate(where.names):
        assert block[:, :, i].tobytes() == quarters[name].tobytes()


def _reference_result(scenario, plan, raw, sellers):
    """build_result as it was written before the fast paths: frames from `stats` over
    (replications, metrics, periods), headline metric by metric, pandas look-ups."""
    import pandas as pd

    from sim.aggregate import cohort_label, distribution, headline_metrics
    from sim.model import layout_for
    from sim.periods import horizon_magic_number, period_metrics
    from sim.sellers import labels

    layout = layout_for(plan)
    months, quarters = plan.months, plan.months // 3
    monthly = period_metrics(raw, layout, plan, [np.array([k]) for k in range(months)])
    quarterly = period_metrics(raw, layout, plan,
                               [np.arange(3 * q, 3 * q + 3) for q in range(quarters)])
    total = {k: v[:, 0] for k, v in period_metrics(raw, layout, plan,
                                                   [np.arange(months)]).items()}
    total["magic_number"] = horizon_magic_number(quarterly)

    def tidy(values, periods):
        names = list(values)
        summary = stats(np.stack([values[n] for n in names], axis=1))
        return {c: summary[c].T.reshape(-1) for c in ("mean", "sd", "p10", "p50", "p90")}

    stacked = np.stack([quarterly[n] for n in quarterly], axis=1)
    hired, left, cohort = labels(sellers, scenario.start)
    roles = np.array([r.name for r in plan.roles], dtype=object)
    reps = pd.DataFrame({
        "replication": sellers["replication"], "role": roles[sellers["role"]],
        "seat": sellers["seat"], "occupant": sellers["occupant"], "hired": hired,
        "left": left, "cohort": cohort, "skill": sellers["skill"],
        "months_employed": sellers["months_employed"], "opportunities": sellers["opps"],
        "wins": sellers["wins"], "bookings": sellers["bookings"],
        "annual_bookings": sellers["annual_bookings"]})
    full_year = reps[reps["months_employed"] >= 12.0 - 1e-9]
    distributions = distribution(full_year["annual_bookings"].to_numpy(float))
    distributions["by_cohort"] = {
        c: distribution(g["annual_bookings"].to_numpy(float))
        for c, g in full_year.groupby("cohort", sort=True)}
    headline = {}
    for name in headline_metrics(plan):
        s = stats(total[name][:, None])
        headline[name] = {k: s[k][0] for k in ("mean", "p10", "p50", "p90")}
    assert cohort_label(-1.0) == "today"
    return {"monthly": tidy(monthly, months), "quarterly": tidy(quarterly, quarters),
            "values": np.transpose(stacked, (0, 2, 1)).reshape(-1), "reps": reps,
            "distribution": distributions, "headline": headline,
            "totals": {name: total[name] for name in layout.outputs}}


def _same(a: object, b: object) -> bool:
    """Equal, floats bit for bit (NaN, None as the summary writes NaN, equal to NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float) or a is None or b is None:
        a = math.nan if a is None else a
        b = math.nan if b is None else b
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b


def test_build_result_equals_the_straightforward_aggregation() -> None:
    """Every frame and summary number of a run (stress plan: leavers, NaN ratios, every
    cohort) as the straightforward code computes them, bit for bit."""
    import pandas as pd

    from sim.aggregate import build_result

    plan = stress_plan()
    scenario = load(ROOT / "scenarios" / "hire5.yaml", replications=40)
    done = gather(plan, 40, workers=2, start=scenario.start, metrics=True)
    raw = gather(plan, 40, workers=1).raw
    result = build_result(scenario, plan, done.raw, done.sellers, done.text, done.metrics)
    expected = _reference_result(scenario, plan, raw, done.sellers)
    for frame, want in ((result.monthly, expected["monthly"]),
                        (result.quarterly, expected["quarterly"])):
        for column, values in want.items():
            assert frame[column].to_numpy().tobytes() == values.tobytes(), column
    assert result.replications["value"].to_numpy().tobytes() == expected["values"].tobytes()
    pd.testing.assert_frame_equal(result.reps, expected["reps"], check_exact=True)
    assert _same(result.summary["rep_distribution"], expected["distribution"])
    assert _same(result.summary["headline"], expected["headline"])
    for name, values in expected["totals"].items():
        assert result.totals[name].to_numpy().tobytes() == values.tobytes(), name
    # and from raw arrays (no metric rows), the same result
    again = build_result(scenario, plan, raw, done.sellers, done.text)
    pd.testing.assert_frame_equal(again.monthly, result.monthly, check_exact=True)
    pd.testing.assert_frame_equal(again.replications, result.replications, check_exact=True)


def test_an_empty_seller_table_gives_the_frame_it_gave() -> None:
    import pandas as pd

    from sim.aggregate import seller_frame

    plan = stress_plan()
    frame = seller_frame(np.zeros(0, SELLER_DTYPE), plan, "2027-01")
    assert len(frame) == 0 and list(frame.dtypes.astype(str))[1] == "object"
    assert isinstance(frame, pd.DataFrame)


def test_replications_parquet_reads_back_as_pandas_wrote_it(tmp_path) -> None:
    """Schema, pandas metadata and values (bits, nulls) as frame.to_parquet gives them;
    the float column is written without a dictionary (pyarrow tried one, dropped it)."""
    import pyarrow.parquet as pq

    from sim.outputs import write_parquet

    result = run(load(ROOT / "scenarios" / "hire5.yaml", replications=30))
    result.replications.to_parquet(tmp_path / "pandas.parquet", index=False)
    write_parquet(result.replications, tmp_path / "ours.parquet")
    a, b = pq.read_table(tmp_path / "pandas.parquet"), pq.read_table(tmp_path / "ours.parquet")
    assert a.schema.equals(b.schema, check_metadata=True) and a.equals(b)
    for name in a.column_names:
        x, y = a.column(name).combine_chunks(), b.column(name).combine_chunks()
        assert x.buffers()[0] is None or x.is_null().equals(y.is_null())
        if name == "value":
            assert x.fill_null(7.0).to_numpy().tobytes() == y.fill_null(7.0).to_numpy().tobytes()
    value = pq.ParquetFile(tmp_path / "ours.parquet").metadata.row_group(0).column(5)
    assert value.path_in_schema == "value" and "RLE_DICTIONARY" not in value.encodings
    # a frame with attrs goes through pandas (which keeps them)
    frame = result.replications.copy()
    frame.attrs["note"] = "kept"
    write_parquet(frame, tmp_path / "attrs.parquet")
    assert pq.read_table(tmp_path / "attrs.parquet").schema.metadata.get(b"PANDAS_ATTRS")


def test_csv_text_is_what_pandas_writes(tmp_path) -> None:
    import pandas as pd

    from sim.outputs import FLOAT_FORMAT, csv_text

    rng = np.random.default_rng(2)
    n = 60
    frame = pd.DataFrame({
        "a": rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-300, 1.5e300, 3.0, 1 / 3,
                         -2.5e-7, 123456789012.0], n),
        "b": rng.integers(-10**12, 10**12, n),
        "c": np.array(rng.choice(["x", "ä–b", "", "Q1", None, np.nan], n), dtype=object),
        "d": pd.array(rng.choice(["x", "y z", ""], n), dtype="string"),
        "e": pd.Series(rng.choice(["x", "y"], n)).astype("str"),
        "f": rng.integers(0, 5, n).astype(np.uint8),
    })
    frame.loc[3, "d"] = pd.NA
    result = run(load(ROOT / "scenarios" / "hire5.yaml", replications=20))
    for table in (frame, result.monthly, result.quarterly, result.reps):
        table.to_csv(tmp_path / "pandas.csv", index=False, float_format=FLOAT_FORMAT,
                     lineterminator="\n")
        text = csv_text(table)
        assert text is not None
        assert text.encode("utf-8") == (tmp_path / "pandas.csv").read_bytes()
    for other in (pd.DataFrame({"a": [1.0], "b": [True]}),
                  pd.DataFrame({"a": ["x,y"], "b": [1]}),
                  pd.DataFrame({"a": ['say "hi"'], "b": [1]}),
                  pd.DataFrame({"a": [1.0]}),
                  pd.DataFrame({"a": pd.Categorical(["x"]), "b": [1]}),
                  pd.DataFrame({"a": np.float32([1.1]), "b": [1]}),
                  pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1, 2]}),
                  pd.DataFrame({"a": [1, "x"], "b": [1, 2]}),
                  pd.DataFrame({"a,b": [1], "c": [2]})):
        assert csv_text(other) is None  # pandas writes these


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks its workers")
def test_workers_metric_rows_are_read_straight_into_the_runs_array() -> None:
    from sim.model import layout_for
    from sim.periods import Periods
    from sim.runner import WorkerPool

    plan = stress_plan()
    out = np.full((8, Periods(plan, layout_for(plan)).width), np.nan)
    pool = WorkerPool(plan, 2, "2027-01", metrics=True)
    try:
        chunks = list(pool.map([(0, 4), (4, 4)], into=out))
    finally:
        pool.stop()
    assert all(c.metrics.base is out and c.raw is None for c in chunks)
    assert not np.isnan(out[:, 0]).any()
    expected = gather(plan, 8, workers=1, start="2027-01", metrics=True)
    assert out.tobytes() == expected.metrics.tobytes()
    assert b"".join(c.text for c in chunks) == expected.text
    assert np.concatenate([c.sellers for c in chunks]).tobytes() == expected.sellers.tobytes()


def test_a_chunk_cut_short_on_the_pipe_is_an_end_of_file() -> None:
    import multiprocessing

    from sim.runner import _Arrays, run_chunk

    plan = stress_plan()
    chunk = run_chunk(plan, 0, 2, "2027-01", metrics=True)
    here, there = multiprocessing.Pipe()
    there.send(_Arrays(chunk))
    there.send_bytes(b"\0" * 64)  # fewer bytes than the rows announced, then gone
    there.close()
    with pytest.raises(EOFError):
        here.recv().receive(here)
