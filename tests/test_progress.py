"""The progress bar shows on a terminal for runs over about a second, never with --quiet."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from cli.main import PROGRESS_AFTER_ENV, ProgressReporter
from tests.factories import scenario_dict


def read_to_end(leader: int) -> bytes:
    """Everything the pseudo-terminal's other side writes until it closes; closes it."""
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return output


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal; the bar may show at once (how soon is tested below)."""
    leader, follower = pty.openpty()
    env = {**os.environ, PROGRESS_AFTER_ENV: "0"}
    process = subprocess.Popen([sys.executable, "-m", "cli", *args], stdin=follower,
                               stdout=follower, stderr=follower, close_fds=True, env=env)
    os.close(follower)
    return process.wait(timeout=120), read_to_end(leader).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_and_not_with_quiet(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(name="slow", replications=50, quarters=4)))
    code, shown = run_on_a_terminal(["run", str(path), "--out", str(tmp_path / "out"),
                                     "--workers", "1"])
    assert code == 0, shown
    assert "rep/s" in shown and "/50" in shown  # done/total and rate
    code, quiet = run_on_a_terminal(["run", str(path), "--out", str(tmp_path / "out"),
                                     "--workers", "1", "--quiet"])
    assert code == 0 and quiet.strip() == "", quiet


def test_no_progress_bar_when_not_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(name="slow", replications=50, quarters=4)))
    done = subprocess.run([sys.executable, "-m", "cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--workers", "1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert "rep/s" not in done.stdout


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_waits_about_a_second() -> None:
    clock = FakeClock()
    reporter = ProgressReporter(400, "slow", enabled=True, clock=clock)
    clock.now += 0.9
    reporter(25)
    assert reporter.bar is None  # a run this quick never shows a bar
    clock.now += 0.2
    reporter(25)
    try:
        assert reporter.bar is not None
        assert reporter.bar.tasks[0].completed == 50 and reporter.bar.tasks[0].total == 400
        assert reporter.bar.tasks[0].fields["rate"] == "45 rep/s"  # 50 in 1.1 s
    finally:
        reporter.close()


def test_no_bar_when_disabled_however_long() -> None:
    clock = FakeClock()
    reporter = ProgressReporter(400, "slow", enabled=False, clock=clock)
    clock.now += 60
    reporter(400)
    assert reporter.bar is None and reporter.done == 400


def test_an_interrupt_on_a_terminal_replaces_the_bar_with_one_line(tmp_path: Path) -> None:
    """No blank line: after the bar is erased, the message is all that is printed."""
    from cli import INTERRUPTED
    from tests.test_interrupts import alive, children

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "scenarios/base.yaml", "--workers", "2",
         "--replications", "100000", "--out", str(tmp_path / "out"), "--allow-long"],
        stdin=follower, stdout=follower, stderr=follower, close_fds=True,
        env={**os.environ, PROGRESS_AFTER_ENV: "0"})
    os.close(follower)
    output, workers, deadline = b"", [], time.monotonic() + 60
    while not (b"rep/s" in output and len(workers) >= 2) and time.monotonic() < deadline:
        if select.select([leader], [], [], 0.05)[0]:
            output += os.read(leader, 65536)
        workers = children(process.pid)
    process.send_signal(signal.SIGINT)
    output += read_to_end(leader)
    assert process.wait(timeout=20) == 130
    assert output.rsplit(b"\x1b[2K", 1)[1] == INTERRUPTED.encode() + b"\r\n", output[-200:]
    assert alive(workers) == []
