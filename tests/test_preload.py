"""Issue 15 item 3: the parent imports what it needs after the simulation (pandas for the
results, the writers, the report) while the workers simulate, not before they start: a
`sim.api.Preload` thread that `sim.runner.gather` starts once the workers are forked."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from sim import runner
from sim.api import Preload, load, run
from sim.plan import compile_plan
from sim.scenario import ScenarioError
from tests.test_startup import loaded_after

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A module that records the thread importing it (in `IMPORTED_ON`), on sys.path."""
    name = f"simrev_probe_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        "import threading\nIMPORTED_ON = threading.current_thread().name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_a_run_checks_its_folder_and_compiles_its_plan_without_pandas(tmp_path) -> None:
    """What `simrev run` does before the workers start: pandas comes later, alongside them."""
    code = ("from sim.outputs import check_out_dir, check_replaceable, write_run\n"
            "from sim.api import load\nfrom sim.plan import compile_plan\n"
            "from sim.runner import check_memory\n"
            f"out = check_out_dir({str(tmp_path)!r})\n"
            "check_replaceable(out, 'hire5', 'run')\n"
            "plan = compile_plan(load('scenarios/hire5.yaml'))\n"
            "check_memory(plan, 1000, workers=2)\n")
    assert loaded_after(code) == set()


def test_preload_imports_on_its_own_thread(probe_module) -> None:
    loading = Preload([probe_module])
    assert probe_module not in sys.modules
    loading.start()
    loading.wait()
    assert sys.modules[probe_module].IMPORTED_ON == "simrev-preload"


def test_a_module_that_fails_to_import_is_left_to_the_caller() -> None:
    loading = Preload(["simrev_no_such_module_anywhere"])
    loading.start()
    loading.wait()  # returns: the thread swallowed the error
    with pytest.raises(ModuleNotFoundError):
        __import__("simrev_no_such_module_anywhere")


@pytest.mark.parametrize("workers", [1, 2])
def test_gather_starts_meanwhile_once_and_never_before_a_worker_is_forked(
        monkeypatch, workers) -> None:
    events: list[str] = []
    start_worker = runner._start_worker

    def recorded_start():  # noqa: ANN202
        events.append("fork")
        return start_worker()

    idle: list = []  # no idle worker to reuse: this run forks its own
    monkeypatch.setattr(runner, "_IDLE", idle)
    monkeypatch.setattr(runner, "_start_worker", recorded_start)
    plan = compile_plan(load(ROOT / "scenarios" / "base.yaml", replications=60))
    try:
        runner.gather(plan, 60, workers=workers, meanwhile=lambda: events.append("meanwhile"))
    finally:
        runner._kill(idle)
    assert events == ["fork"] * (workers if workers > 1 else 0) + ["meanwhile"]


def test_run_has_preloaded_the_modules_it_was_given(probe_module) -> None:
    scenario = load(ROOT / "scenarios" / "base.yaml", replications=30)
    run(scenario, workers=2, preload=[probe_module])
    assert sys.modules[probe_module].IMPORTED_ON == "simrev-preload"
    assert "sim.aggregate" in sys.modules
    assert not [t for t in threading.enumerate() if t.name == "simrev-preload"]


@pytest.mark.parametrize("preload", ["sim.report", [1], None])
def test_preload_must_be_a_list_of_module_names(preload) -> None:
    scenario = load(ROOT / "scenarios" / "base.yaml", replications=2)
    with pytest.raises(ScenarioError, match="preload"):
        run(scenario, preload=preload)


def test_the_run_command_preloads_modules_that_exist(monkeypatch, tmp_path) -> None:
    """A misspelt name would fail silently on the thread: each one must import."""
    import importlib

    from cli import main as cli_main
    from sim import api

    seen: dict = {}
    real_run = api.run

    def spy(scenario, **options):  # noqa: ANN001, ANN202
        seen.update(options)
        return real_run(scenario, **options)

    monkeypatch.setattr(api, "run", spy)
    with pytest.raises(SystemExit) as done:
        cli_main.main(["run", str(ROOT / "scenarios" / "base.yaml"), "--replications", "4",
                       "--workers", "1", "--quiet", "--out", str(tmp_path)])
    assert done.value.code in (0, None)
    assert list(seen["preload"]) == list(cli_main.RUN_PRELOAD[:2])
    for name in cli_main.RUN_PRELOAD:
        importlib.import_module(name)


# ---- a comparison's plans in one stream of chunks -------------------------------------


def _two_plans():
    base = load(ROOT / "scenarios" / "base.yaml", replications=60)
    hire = load(ROOT / "scenarios" / "hire5.yaml", replications=60)
    return compile_plan(base), compile_plan(hire), base.start


@pytest.mark.parametrize("workers", [1, 2])
def test_gathering_plans_together_gives_what_gathering_each_gives(workers) -> None:
    base, hire, start = _two_plans()
    together = list(runner.gather_plans([base, hire], 60, workers, start=start, metrics=True))
    alone = [runner.gather(plan, 60, workers, start=start, metrics=True)
             for plan in (base, hire)]
    assert len(together) == 2
    for got, expected in zip(together, alone, strict=True):
        assert got.metrics.tobytes() == expected.metrics.tobytes()
        assert got.sellers.tobytes() == expected.sellers.tobytes()
        assert got.text == expected.text and got.text


def test_each_worker_holds_a_second_chunk_while_the_parent_handles_one(monkeypatch) -> None:
    """Two chunks in each worker's pipe: one running, one waiting, so that a worker goes on
    (to the next plan's chunks, in a comparison) while the parent reads a result or builds
    a finished plan's frames."""
    from multiprocessing.connection import Connection

    base, hire, _ = _two_plans()
    sent: list = []
    real_send = Connection.send

    def send(self, message):  # noqa: ANN001, ANN202
        sent.append(message)
        return real_send(self, message)

    pool = runner.WorkerPool([base, hire], 2)
    monkeypatch.setattr(Connection, "send", send)
    try:
        tasks = [(0, 0, 5), (0, 5, 5), (1, 0, 5), (1, 5, 5)]
        chunks = pool.map_plans(tasks)
        first = next(chunks)
        assert first[0] == 0 and sent == tasks  # all four out before the first came back
        assert [n for n, _ in [first, *chunks]] == [0, 0, 1, 1]
    finally:
        pool.stop()


def test_a_failed_gather_still_joins_the_preload(monkeypatch) -> None:
    """No preload thread outlives a failed run: a later run may fork workers."""
    import sim.api

    joined = []
    monkeypatch.setattr(sim.api.Preload, "wait", lambda self: joined.append(self))

    def failing_gather(*args, meanwhile=None, **options):  # noqa: ANN002, ANN003, ANN202
        meanwhile()
        raise RuntimeError("a worker died")

    monkeypatch.setattr(runner, "gather", failing_gather)
    with pytest.raises(RuntimeError, match="a worker died"):
        run(load(ROOT / "scenarios" / "base.yaml", replications=2))
    assert len(joined) == 1


def test_a_failure_while_building_a_compared_result_stops_the_workers(monkeypatch) -> None:
    """The workers go on with the next plan while a result is built: if building fails,
    they are stopped at once, not left running while the error travels."""
    import multiprocessing

    from sim import aggregate
    from sim.api import run_compared

    def fail(*args, **options):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("no memory for the frames")

    before = set(multiprocessing.active_children())
    monkeypatch.setattr(aggregate, "build_result", fail)
    monkeypatch.setattr(runner, "_IDLE", [])  # this comparison forks its own workers
    base = load(ROOT / "scenarios" / "base.yaml", replications=100)
    try:
        run_compared([base, base.model_copy(update={"name": "copy"})], workers=2)
    except RuntimeError as error:  # checked while the error (and its frames) still live
        assert "no memory" in str(error)
        assert set(multiprocessing.active_children()) - before == set()
    else:
        raise AssertionError("the failure did not come through")
