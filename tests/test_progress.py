"""The progress bar shows on a terminal for runs over about a second, never with --quiet."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import yaml

from tests.factories import scenario_dict


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "cli", *args], stdin=follower,
                               stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
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
    return process.wait(timeout=120), output.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_and_not_with_quiet(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(name="slow", replications=400, quarters=4)))
    code, shown = run_on_a_terminal(["run", str(path), "--out", str(tmp_path / "out"),
                                     "--workers", "1"])
    assert code == 0, shown
    assert "rep/s" in shown and "/400" in shown  # done/total and rate
    code, quiet = run_on_a_terminal(["run", str(path), "--out", str(tmp_path / "out"),
                                     "--workers", "1", "--quiet"])
    assert code == 0 and quiet.strip() == "", quiet


def test_no_progress_bar_when_not_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(name="slow", replications=400, quarters=4)))
    done = subprocess.run([sys.executable, "-m", "cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--workers", "1"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == ""
    assert "rep/s" not in done.stdout
