"""The bad-input battery through the command line: a case ends in exit 2, exactly one line
on stderr naming the file, the key path and the bad value with what was expected, no
traceback, and nothing written.

Every file case runs through the library in tests/test_scenario_errors.py; here one case of
each family goes through the command too (the command adds nothing per case but the
one-line, exit-2, nothing-written path, which these exercise)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from sim.runner import SCHEDULER_TIMEOUT_ENV
from tests.test_scenario_errors import BASE, CASES

OPTION_CASES = [
    # (id, extra arguments, text the line must contain)
    ("replications-zero", ["--replications", "0"], "--replications"),
    ("replications-negative", ["--replications", "-5"], "--replications"),
    ("replications-absurd", ["--replications", "1000000000"], "in [1, 1_000_000]"),
    ("replications-not-a-number", ["--replications", "many"], "--replications"),
    ("seed-negative", ["--seed", "-1"], "--seed"),
    ("workers-zero", ["--workers", "0"], "--workers"),
    ("workers-text", ["--workers", "two"], "--workers"),
    ("set-without-equals", ["--set", "roles.ae.headcount"], "--set"),
    ("set-unknown-path", ["--set", "roles.ae.hedcount=3"], "hedcount"),
    ("set-bad-value", ["--set", "segments.mid.win_rate=7"], "segments.mid.win_rate"),
    ("set-bad-yaml", ["--set", "roles.ae.ramp=[1, 2"], "roles.ae.ramp"),
    ("unknown-option", ["--frobnicate"], "--frobnicate"),
    ("scheduler-unreachable", ["--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
]


def run_cli(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_clean_line(result, out: Path, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not out.exists() or not any(out.iterdir()), "something was written"


THROUGH_THE_CLI = (
    "empty-file", "invalid-yaml", "duplicate-nested-key", "unknown-role-key", "nan",
    "rate-above-one", "tenure-list-wrong-length", "key-not-for-kind", "hire-after-horizon",
    "hire-a-manager", "inbound-without-seller", "name-parent-dir", "extends-self",
    "set-unknown-key", "set-index-out-of-range", "set-name-escapes",
)
CLI_CASES = [case for case in CASES if case[0] in THROUGH_THE_CLI]
assert len(CLI_CASES) == len(THROUGH_THE_CLI), "a name in THROUGH_THE_CLI is not a case"


@pytest.mark.parametrize(
    "text, overrides, key_path, value, expected",
    [case[1:6] for case in CLI_CASES],
    ids=[case[0] for case in CLI_CASES],
)
def test_file_cases_through_the_cli(tmp_path: Path, text, overrides, key_path, value,
                                    expected) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", path, "--out", out]
    for override in overrides:
        args += ["--set", override]
    result = run_cli(args)
    needles = [str(path), value, expected] + ([f": {key_path}: "] if key_path else [])
    assert_one_clean_line(result, out, *needles)


@pytest.mark.parametrize("args, needle", [c[1:] for c in OPTION_CASES],
                         ids=[c[0] for c in OPTION_CASES])
def test_option_cases_through_the_cli(tmp_path: Path, args: list[str], needle: str,
                                      monkeypatch) -> None:
    monkeypatch.setenv(SCHEDULER_TIMEOUT_ENV, "0.5")  # an unreachable scheduler: no 10 s wait
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    out = tmp_path / "out"
    assert_one_clean_line(run_cli(["run", path, "--out", out, *args]), out, needle)


def test_out_is_a_file_or_not_writable(tmp_path: Path) -> None:
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    result = run_cli(["run", path, "--out", a_file])
    assert_one_clean_line(result, tmp_path / "nothing", "--out", str(a_file))
    # a folder that cannot be created (its parent is a file): not writable for anyone
    result = run_cli(["run", path, "--out", a_file / "sub"])
    assert_one_clean_line(result, tmp_path / "nothing", "--out", "can be created")


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_one_clean_line(run_cli(["run", tmp_path / "none.yaml", "--out", out]), out,
                          "none.yaml")
    assert_one_clean_line(run_cli(["run", tmp_path, "--out", out]), out, str(tmp_path))
