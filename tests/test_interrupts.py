"""Ctrl-C and SIGTERM during a run with worker processes: exit 130 at once, one line on
stderr, no worker left behind, never a hang. Every test polls for the run to be under way
(its workers exist) instead of sleeping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import INTERRUPTED

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads processes from /proc")

EXIT_WITHIN = 20.0  # seconds: a run that has not exited by then hangs


def children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = process_state(int(entry))
            if state is not None and state[0] != "Z" and state[1] == pid:
                found.append(int(entry))
    return found


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def alive(pids: list[int]) -> list[int]:
    """The processes of `pids` still running (a zombie is dead)."""
    return [p for p in pids if (s := process_state(p)) is not None and s[0] != "Z"]


def start_run(out: Path, workers: int = 2, replications: int = 100_000,
              scenario: str = "scenarios/base.yaml") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "run", scenario, "--workers", str(workers),
         "--replications", str(replications), "--out", str(out), "--allow-long"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_under_way(process: subprocess.Popen, workers: int = 2,
                   within: float = 60.0) -> list[int]:
    """Poll until the run's worker processes exist; return their pids."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = children(process.pid)
        if len(found) >= workers:
            return found
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        time.sleep(0.01)
    process.kill()
    raise AssertionError("the run never got under way")


def wait_gone(pids: list[int], within: float = 5.0) -> list[int]:
    """Poll until none of `pids` runs; return those still running after `within`."""
    deadline = time.monotonic() + within
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    return alive(pids)


def finish(process: subprocess.Popen, workers: list[int]) -> tuple[int, str]:
    """The exit code and stderr of a run that should be ending (AssertionError on a hang)."""
    try:
        _, stderr = process.communicate(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        for pid in [process.pid, *alive(workers)]:  # workers hold the stderr pipe open
            os.kill(pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError("the run hangs after the interrupt") from None
    return process.returncode, stderr


@pytest.fixture
def workers_to_reap():
    """Kill anything a failing test left behind, so one failure does not load the rest."""
    pids: list[int] = []
    yield pids
    for pid in alive(pids):
        os.kill(pid, signal.SIGKILL)


def test_ctrl_c_prints_exactly_one_line(tmp_path, workers_to_reap) -> None:
    process = start_run(tmp_path / "out")
    workers_to_reap += wait_under_way(process)
    process.send_signal(signal.SIGINT)
    code, stderr = finish(process, workers_to_reap)
    assert (code, stderr) == (130, INTERRUPTED + "\n")  # no blank line before it
    assert wait_gone(workers_to_reap) == []


def test_ctrl_c_twice_exits_130_promptly(tmp_path, workers_to_reap) -> None:
    for gap in (0.02, 0.15):
        process = start_run(tmp_path / "out")
        workers_to_reap += wait_under_way(process)
        process.send_signal(signal.SIGINT)
        time.sleep(gap)  # the second press, not a wait for anything
        process.send_signal(signal.SIGINT)
        code, stderr = finish(process, workers_to_reap)
        assert (code, stderr) == (130, INTERRUPTED + "\n")
        assert wait_gone(workers_to_reap) == []


def test_ctrl_c_then_sigterm_leaves_no_workers(tmp_path, workers_to_reap) -> None:
    for gap in (0.02, 0.15):
        process = start_run(tmp_path / "out")
        workers_to_reap += wait_under_way(process)
        process.send_signal(signal.SIGINT)
        time.sleep(gap)
        process.send_signal(signal.SIGTERM)
        code, stderr = finish(process, workers_to_reap)
        assert (code, stderr) == (130, INTERRUPTED + "\n")
        assert wait_gone(workers_to_reap) == []


def test_workers_die_with_a_killed_parent(tmp_path, workers_to_reap) -> None:
    process = start_run(tmp_path / "out")
    workers_to_reap += wait_under_way(process)
    process.kill()
    process.wait(timeout=EXIT_WITHIN)  # not communicate: a live worker holds the pipes
    assert wait_gone(workers_to_reap) == []


def test_a_killed_worker_ends_the_run_in_one_line(tmp_path, workers_to_reap) -> None:
    process = start_run(tmp_path / "out")
    workers = wait_under_way(process)
    workers_to_reap += workers
    os.kill(workers[0], signal.SIGKILL)
    code, stderr = finish(process, workers_to_reap)
    assert code == 1 and len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("simrev: a worker process died (exit code -9)"), stderr
    assert wait_gone(workers_to_reap) == []
