"""Atomic, safe outputs: complete or absent, never mixed, never debris."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import sim.outputs
from sim.api import load, run
from sim.outputs import MARKER, TEMP_PREFIX, write_run
from sim.scenario import ScenarioError
from tests.factories import scenario_dict
from tests.test_interrupts import wait_under_way


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("s") / "small.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(name="small", replications=5, quarters=1)))
    return run(load(path))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_failed_write_leaves_the_previous_results_and_no_debris(result, tmp_path,
                                                                   monkeypatch) -> None:
    folder = write_run(result, tmp_path)
    before = snapshot(folder)

    def fail(frame, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sim.outputs, "write_csv", fail)
    with pytest.raises(OSError):
        write_run(result, tmp_path)
    assert snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["small"]


def test_writing_again_replaces_the_folder_whole(result, tmp_path) -> None:
    folder = write_run(result, tmp_path)
    (folder / "stale.txt").write_text("from an older run")
    write_run(result, tmp_path)
    assert not (folder / "stale.txt").exists()
    assert not any(p.name.startswith(TEMP_PREFIX) for p in tmp_path.iterdir())


def test_the_same_result_writes_byte_identical_files(result, tmp_path) -> None:
    a = snapshot(write_run(result, tmp_path / "a"))
    b = snapshot(write_run(result, tmp_path / "b"))
    a.pop("replications.parquet"), b.pop("replications.parquet")
    assert a == b


def test_an_interrupted_run_exits_130_in_one_line_and_keeps_old_results(tmp_path) -> None:
    scenario = tmp_path / "long.yaml"
    scenario.write_text(yaml.safe_dump(scenario_dict(name="long", replications=20, quarters=1)))
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "cli", "run", str(scenario), "--out", str(out),
                           "--quiet"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    before = snapshot(out / "long")
    for signum in (signal.SIGINT, signal.SIGTERM):
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "run", str(scenario), "--out", str(out),
             "--replications", "100000", "--workers", "2", "--allow-long"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_under_way(process)  # polls for its workers, no fixed sleep
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert stderr.strip().splitlines() == [
            "simrev: interrupted; previous results are untouched"], stderr
        assert snapshot(out / "long") == before
        assert sorted(os.listdir(out)) == ["long"]


def test_two_runs_at_once_never_leave_a_mixed_folder(tmp_path) -> None:
    scenario = tmp_path / "race.yaml"
    scenario.write_text(yaml.safe_dump(scenario_dict(name="race", replications=30, quarters=1)))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cli", "run", str(scenario), "--out", str(out), "--quiet",
               "--workers", "1"]
    for seed in ("1", "2"):
        processes = [subprocess.Popen([*command, "--seed", seed], stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
        for process in processes:
            assert process.wait(timeout=120) == 0, process.stderr.read()
        assert sorted(os.listdir(out)) == ["race"]
        summary = yaml.safe_load((out / "race" / "summary.json").read_text())
        assert summary["seed"] == int(seed)
        assert sorted(os.listdir(out / "race")) == sorted([
            ".simrev-output", "monthly.csv", "quarterly.csv", "replications.parquet", "reps.csv",
            "scenario.yaml", "summary.json", "report.html"])


# --- simrev replaces only a folder it wrote itself (issue 10, item 1) -------------------


def no_temp_left(parent: Path) -> bool:
    return not any(p.name.startswith(TEMP_PREFIX) for p in parent.iterdir())


def unmarked_folder(target: Path) -> None:
    target.mkdir()
    (target / "model.py").write_text("print('a planner's own work')\n")


def a_file(target: Path) -> None:
    target.write_text("notes\n")


def a_link_to_a_simrev_folder(target: Path) -> None:
    elsewhere = target.parent.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    sim.outputs.write_atomically(elsewhere, target.name, lambda f: None, kind="run")
    target.symlink_to(elsewhere / target.name, target_is_directory=True)


def a_dangling_link(target: Path) -> None:
    target.symlink_to(target.parent / "gone")


def a_comparison_folder(target: Path) -> None:
    sim.outputs.write_atomically(target.parent, target.name, lambda f: None, kind="compare")


def a_folder_with_a_linked_marker(target: Path) -> None:
    target.mkdir()
    real = target.parent.parent / "marker.json"
    real.write_text(json.dumps({"written_by": "simrev", "kind": "run", "name": target.name}))
    (target / MARKER).symlink_to(real)


def a_folder_with_a_forged_marker(target: Path) -> None:
    target.mkdir()
    (target / MARKER).write_text("not json")


def a_simrev_folder_of_another_name(target: Path) -> None:
    target.mkdir()
    sim.outputs.write_marker(target, "run", "other")


NOT_OURS = [unmarked_folder, a_file, a_link_to_a_simrev_folder, a_dangling_link,
            a_comparison_folder, a_folder_with_a_linked_marker, a_folder_with_a_forged_marker,
            a_simrev_folder_of_another_name]


def state(parent: Path) -> dict[str, object]:
    """What is in `parent`, deep, links as their targets."""
    out: dict[str, object] = {}
    for path in sorted(parent.rglob("*")):
        key = str(path.relative_to(parent))
        if path.is_symlink():
            out[key] = ("link", os.readlink(path))
        elif path.is_file():
            out[key] = path.read_bytes()
        else:
            out[key] = "dir"
    return out


@pytest.mark.parametrize("make", NOT_OURS, ids=lambda f: f.__name__)
def test_a_write_refuses_what_simrev_did_not_write(result, tmp_path, make) -> None:
    parent = tmp_path / "out"
    parent.mkdir()
    make(parent / "small")
    before = state(tmp_path)
    with pytest.raises(ScenarioError) as refused:
        write_run(result, parent)
    message = str(refused.value)
    assert str(parent / "small") in message and "only replaces folders it wrote" in message
    assert "\n" not in message
    assert state(tmp_path) == before  # nothing written, nothing moved, no temp left


def test_the_cli_refuses_before_simulating_in_one_line(tmp_path, monkeypatch) -> None:
    """`--set name=sim --out .` inside a checkout deleted sim/*.py."""
    from click.testing import CliRunner

    import sim.api
    from cli.main import main

    checkout = tmp_path / "checkout"
    (checkout / "sim").mkdir(parents=True)
    (checkout / "sim" / "model.py").write_text("CODE = 1\n")
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(scenario_dict(name="small", replications=5, quarters=1)))

    def not_now(*args, **kwargs):
        raise AssertionError("simulated before refusing")

    monkeypatch.setattr(sim.api, "run", not_now)
    monkeypatch.setattr(sim.api, "run_compared", not_now)
    monkeypatch.chdir(checkout)
    before = state(checkout)
    for args in (["run", str(scenario), "--set", "name=sim", "--out", "."],
                 ["compare", str(scenario), "--set", "name=sim", "--out", "sim/.."]):
        if args[0] == "compare":  # a comparison over a folder of that name
            (checkout / "compare-sim").mkdir()
            before = state(checkout)
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 2, (done.output, done.stderr)
        assert done.stderr.count("\n") == 1 and "only replaces folders it wrote" in done.stderr
        assert "sim" in done.stderr and "Traceback" not in done.stderr
        assert state(checkout) == before


def test_a_run_never_replaces_a_comparison_nor_the_reverse(tmp_path) -> None:
    scenario = tmp_path / "base.yaml"
    scenario.write_text(yaml.safe_dump(scenario_dict(name="base", replications=4, quarters=1)))
    out = tmp_path / "o"
    cli = [sys.executable, "-m", "cli"]
    common = ["--out", str(out), "--quiet", "--workers", "1"]
    subprocess.run([*cli, "compare", str(scenario), str(scenario), *common], check=True)
    kept = state(out)
    assert sorted(os.listdir(out)) == ["compare-base-base-2"]
    run_over = subprocess.run([*cli, "run", str(scenario), "--set", "name=compare-base-base-2",
                               *common], capture_output=True, text=True, check=False)
    assert run_over.returncode == 2, run_over.stderr
    assert "a comparison folder, not a run's" in run_over.stderr
    assert state(out) == kept
    (out / "compare-base-base-2").rename(out / "keep")
    subprocess.run([*cli, "run", str(scenario), "--set", "name=compare-base-base-2", *common],
                   check=True)
    kept = state(out)
    compare_over = subprocess.run([*cli, "compare", str(scenario), str(scenario), *common],
                                  capture_output=True, text=True, check=False)
    assert compare_over.returncode == 2 and "a run folder" in compare_over.stderr
    assert state(out) == kept


def test_a_folder_that_appears_during_the_write_is_refused_not_replaced(result, tmp_path,
                                                                        monkeypatch) -> None:
    """The check before simulating is repeated at the swap, and after it."""
    def appear(step):
        if step == "filled":
            unmarked_folder(tmp_path / "small")

    monkeypatch.setattr(sim.outputs, "_checkpoint", appear)
    with pytest.raises(ScenarioError, match="did not write"):
        write_run(result, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["small"]
    assert os.listdir(tmp_path / "small") == ["model.py"]


def test_a_folder_slipped_in_just_before_the_exchange_gets_its_place_back(result, tmp_path,
                                                                          monkeypatch) -> None:
    write_run(result, tmp_path)
    real_exchange = sim.outputs.exchange
    calls = []

    def exchange_after_a_swap_behind_our_back(a, b):
        if not calls:
            os.rename(b, tmp_path / "moved")
            unmarked_folder(b)
        calls.append((a, b))
        real_exchange(a, b)

    monkeypatch.setattr(sim.outputs, "exchange", exchange_after_a_swap_behind_our_back)
    with pytest.raises(ScenarioError, match="did not write"):
        write_run(result, tmp_path)
    assert len(calls) == 2  # swapped, found foreign, swapped back
    assert os.listdir(tmp_path / "small") == ["model.py"]
    assert sorted(os.listdir(tmp_path)) == ["moved", "small"]


# --- crash-safe swap (issue 10, item 4) ------------------------------------------------

CRASHING_WRITER = """
import errno, os, signal, sys
import sim.outputs as outputs

parent, kill_at, mode, content = sys.argv[1:]
if mode == "fallback":  # as on a system or file system without an atomic exchange
    def unsupported(a, b):
        raise outputs.Unsupported(errno.ENOSYS, "no exchange here")
    outputs.exchange = unsupported
if kill_at.startswith("os.rename"):
    real_rename = os.rename
    def rename(source, destination, **kwargs):
        if str(destination).endswith("/plan"):  # the new folder about to take its place
            os.kill(os.getpid(), signal.SIGKILL)
        real_rename(source, destination, **kwargs)
    os.rename = rename
def checkpoint(step):
    if step == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
outputs._checkpoint = checkpoint

def fill(folder):
    (folder / "a.txt").write_text(content)
    (folder / "b.txt").write_text(content)
outputs.write_atomically(parent, "plan", fill, kind="run")
"""


def crashing_write(parent: Path, kill_at: str, mode: str, content: str) -> int:
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(parent), kill_at, mode,
                           content], capture_output=True, text=True, timeout=120, check=False)
    return done.returncode


def plan_files(parent: Path) -> dict[str, bytes] | None:
    folder = parent / "plan"
    if not folder.is_dir():
        return None
    return {name: data for name, data in snapshot(folder).items() if name != MARKER}


def test_a_kill_while_the_new_folder_takes_its_place_keeps_results(tmp_path) -> None:
    """The old swap renamed the previous folder aside, then the new one in: a kill between
    left no results under the name."""
    assert crashing_write(tmp_path, "never", "default", "old") == 0
    assert crashing_write(tmp_path, "os.rename", "default", "new") in (0, -signal.SIGKILL)
    assert plan_files(tmp_path) in ({"a.txt": b"old", "b.txt": b"old"},
                                    {"a.txt": b"new", "b.txt": b"new"})


@pytest.mark.parametrize(("mode", "kill_at", "after"), [
    ("default", "marked", "old"),       # mid-fill
    ("default", "filled", "old"),       # complete, not yet swapped
    ("default", "swapped", "new"),      # swapped, previous results not yet deleted
    ("fallback", "filled", "old"),
    ("fallback", "moved-aside", None),  # previous results aside, new not yet in place
])
def test_a_kill_at_any_step_loses_nothing_and_the_next_write_cleans_up(tmp_path, mode, kill_at,
                                                                      after) -> None:
    old = {"a.txt": b"old", "b.txt": b"old"}
    assert crashing_write(tmp_path, "never", mode, "old") == 0
    assert crashing_write(tmp_path, kill_at, mode, "new") == -signal.SIGKILL
    if after is not None:
        assert plan_files(tmp_path) == {"a.txt": after.encode(), "b.txt": after.encode()}
    else:  # only without an exchange: the name is briefly empty, the results are aside
        assert plan_files(tmp_path) is None
        assert any(p.name.startswith(TEMP_PREFIX + "old-") for p in tmp_path.iterdir())
    # the next write into the same folder, of another name, sweeps the dead run's debris
    sim.outputs.write_atomically(tmp_path, "other", lambda folder: None, kind="run")
    assert no_temp_left(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["other", "plan"]
    assert plan_files(tmp_path) == ({"a.txt": b"new", "b.txt": b"new"} if after == "new"
                                    else old)


def test_a_failed_exchange_or_rename_keeps_the_previous_results(result, tmp_path,
                                                                 monkeypatch) -> None:
    folder = write_run(result, tmp_path)
    before = snapshot(folder)

    def broken(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sim.outputs, "exchange", broken)
    with pytest.raises(OSError, match="Input/output"):
        write_run(result, tmp_path)
    assert snapshot(folder) == before and sorted(os.listdir(tmp_path)) == ["small"]

    def unsupported(*args):
        raise sim.outputs.Unsupported(38, "no exchange")

    real_rename_noreplace = sim.outputs.rename_noreplace

    def new_one_fails(source, destination):
        if Path(source).name.startswith(TEMP_PREFIX + "new-"):
            broken()
        real_rename_noreplace(source, destination)

    monkeypatch.setattr(sim.outputs, "exchange", unsupported)
    monkeypatch.setattr(sim.outputs, "rename_noreplace", new_one_fails)
    with pytest.raises(OSError, match="Input/output"):
        write_run(result, tmp_path)
    assert snapshot(folder) == before and sorted(os.listdir(tmp_path)) == ["small"]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_stale_temporary_folders_that_simrev_made_are_swept(tmp_path) -> None:
    host, now = sim.outputs._host_tag(), time.time_ns()
    day_ago = now - int(25 * 3600 * 1e9)
    dead, alive = dead_pid(), os.getppid()
    made: list[Path] = []

    def temp(role: str, host: str, pid: int, ns: int, stamped: bool = True,
             content: bool = True) -> Path:
        path = tmp_path / f"{TEMP_PREFIX}{role}-{host}-{pid}-{ns}-x{len(made)}_y"
        made.append(path)
        path.mkdir()
        if stamped:
            sim.outputs.write_marker(path, "run", "plan")
        if content:
            (path / "a.txt").write_text("results")
        return path

    swept = [temp("new", host, dead, now),                        # a dead run's
             temp("new", host, dead, now, stamped=False, content=False),  # killed at once
             temp("new", "0123abcd", alive, day_ago)]             # another machine's, old
    kept = [temp("new", host, alive, now),                        # a live run's
            temp("new", "0123abcd", dead, now),                   # another machine's, recent
            temp("new", host, dead, now, stamped=False),          # unstamped: not provably ours
            tmp_path / f"{TEMP_PREFIX}new-{host}-{dead}-{now}-link"]
    kept[-1].symlink_to(kept[0])
    restored = temp("old", host, dead, now)                       # previous results, aside
    obsolete = temp("old", host, dead, now)                       # newer ones are in place
    sim.outputs.sweep_stale(tmp_path)
    assert not any(os.path.lexists(p) for p in [*swept, restored, obsolete])
    assert all(os.path.lexists(p) for p in kept)
    assert snapshot(tmp_path / "plan") == {MARKER: (tmp_path / "plan" / MARKER).read_bytes(),
                                           "a.txt": b"results"}


# --- --out (issue 10, item 15) -------------------------------------------------------


def test_an_empty_or_dangling_out_is_a_clear_one_line_error(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from cli.main import main

    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(scenario_dict(name="small", replications=4, quarters=1)))
    work = tmp_path / "work"
    work.mkdir()
    (work / "dangling").symlink_to(work / "missing")
    monkeypatch.chdir(work)
    for out, needle in (("", "not empty text"), ("   ", "not empty text"),
                        ("dangling", "dangling"), ("dangling/sub", "dangling")):
        done = CliRunner().invoke(main, ["run", str(scenario), "--out", out, "--quiet"])
        assert done.exit_code == 2, (out, done.output, done.stderr)
        assert done.stderr.count("\n") == 1 and "--out" in done.stderr, done.stderr
        assert needle in done.stderr and "File exists" not in done.stderr, done.stderr
        assert sorted(os.listdir(work)) == ["dangling"], out
    assert not (work / "missing").exists()
