"""Atomic, safe outputs: complete or absent, never mixed, never debris."""

from __future__ import annotations

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
from sim.outputs import TEMP_PREFIX, write_run
from tests.factories import scenario_dict


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
             "--replications", "100000", "--workers", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3.0)
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
            "monthly.csv", "quarterly.csv", "replications.parquet", "reps.csv",
            "scenario.yaml", "summary.json", "report.html"])
