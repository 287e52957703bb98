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


def simrev(*args: str) -> subprocess.CompletedProcess:
    """`simrev ARGS` through its entry point, in a process that registered an atexit hook
    (which prints TEARDOWN to stderr if the interpreter's teardown runs)."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('TEARDOWN'))\n"
            f"sys.argv = ['simrev', *{list(args)!r}]\n"
            "from cli import entry\nentry()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_the_command_ends_without_the_interpreters_teardown_and_loses_no_output() -> None:
    done = simrev("schema")
    assert done.returncode == 0 and "TEARDOWN" not in done.stderr
    assert done.stdout.endswith("}\n") and len(done.stdout) > 10_000  # flushed, whole
    bad = simrev("validate", "no-such-file.yaml")
    assert bad.returncode == 2 and "TEARDOWN" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and "no-such-file.yaml" in bad.stderr


def test_a_comparisons_t_quantile_is_scipy_stats_without_importing_it() -> None:
    code = ("import numpy as np\nfrom sim.compare import paired\n"
            "paired(np.arange(30.0), np.arange(30.0) ** 1.5)")
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys\n"
                           "print('scipy.stats' in sys.modules)"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"
    from scipy.stats import t

    from sim.compare import t_quantile_975

    for df in (1, 2, 5, 29, 99, 999, 9999, 123_456):
        assert t_quantile_975(df) == float(t.ppf(0.975, df))


def test_a_profiled_command_still_gets_the_normal_exit(tmp_path) -> None:
    """`python -m cProfile -o FILE -m cli ...` writes FILE (it does so at the normal exit)."""
    stats = tmp_path / "cli.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "cli",
                           "--version"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and "core)" in done.stdout
    assert stats.stat().st_size > 0


def test_the_exit_stops_and_reaps_the_idle_workers() -> None:
    code = ("import os, multiprocessing\nfrom sim.runner import prestart\nprestart(2)\n"
            "assert len(multiprocessing.active_children()) == 2\n"
            "from cli import stop_children\nstop_children()\n"
            "try:\n    os.waitpid(-1, os.WNOHANG)\nexcept ChildProcessError:\n"
            "    print('no child left')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=300)
    assert done.stdout.strip() == "no child left", done.stdout + done.stderr
