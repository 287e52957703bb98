"""Issue 15 item 3: a command's fixed costs. The command line imports what a command uses
when it runs, so `simrev --version`, `validate` and `schema` load no pandas, scipy or
rich, and `run` loads nothing that only `fit`, `backtest` or the terminal tables need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "pyarrow", "scipy", "rich", "openpyxl")


def loaded_after(code: str) -> set[str]:
    """Top-level packages of HEAVY that a fresh interpreter holds after running `code`."""
    script = (f"{code}\nimport sys\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=300)
    return set(eval(done.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own print


def cli(*args: str) -> str:
    """Run the command line in this process (as `simrev ARGS`) without exiting it."""
    return (f"from cli.main import main\ntry:\n    main({list(args)!r})\n"
            "except SystemExit as done:\n    assert not done.code, done.code\n")


def test_the_commands_are_defined_without_heavy_imports() -> None:
    assert loaded_after("import cli.main, sim.api") == set()


def test_version_and_validate_import_nothing_heavy() -> None:
    assert loaded_after(cli("--version")) == set()
    assert loaded_after(cli("validate", "scenarios/hire5.yaml", "--quiet")) == set()
    assert loaded_after(cli("schema")) == set()


def test_a_quiet_run_needs_no_scipy_rich_or_spreadsheet(tmp_path) -> None:
    loaded = loaded_after(cli("run", "scenarios/hire5.yaml", "--replications", "4",
                              "--workers", "1", "--quiet", "--out", str(tmp_path)))
    assert (tmp_path / "hire5" / "report.html").exists()
    assert loaded <= {"pandas", "pyarrow"}


def test_the_command_lines_copies_of_library_values_agree() -> None:
    from cli import options
    from sim import backtest, recommend, runner

    assert options.SCHEDULER_ENV == runner.SCHEDULER_ENV
    assert options.DEFAULT_OBJECTIVE == recommend.DEFAULT_OBJECTIVE
    assert (options.MAX_QUARTERS, options.MAX_ROLLING) == (backtest.MAX_QUARTERS,
                                                          backtest.MAX_ROLLING)
