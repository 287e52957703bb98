"""Writers: a run's (or a comparison's) files, written atomically.

Everything goes into a temporary folder beside the target, which is then renamed into
place: the folder appears complete or not at all, and a failed or interrupted write leaves
the previous results untouched and no temporary folder behind.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.results import RunResult
from sim.scenario import ScenarioError, scenario_to_yaml

TEMP_PREFIX = ".simrev-tmp-"
SAFE_NAME = re.compile(r"^[a-z0-9_-]+$")
FLOAT_FORMAT = "%.10g"  # the same result always gives byte-identical files


def check_out_dir(out_parent: str | Path) -> Path:
    """The output parent folder, created if missing; a ScenarioError if unusable."""
    path = Path(out_parent)
    if path.exists() and not path.is_dir():
        raise ScenarioError(None, "--out", str(path), "expected a folder, not a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ScenarioError(
            None, "--out", str(path), f"expected a folder that can be created ({error.strerror})"
        ) from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise ScenarioError(None, "--out", str(path), "expected a writable folder")
    return path


def write_atomically(out_parent: str | Path, name: str, fill: Callable[[Path], None]) -> Path:
    """Create `out_parent/name` by `fill(temporary folder)` and a rename; returns the folder."""
    if not SAFE_NAME.match(name):
        raise ScenarioError(None, "name", name, "expected [a-z0-9_-]+ (a folder name)")
    parent = check_out_dir(out_parent)
    target = parent / name
    temp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
    olds: list[Path] = []
    try:
        fill(temp)
        _swap_in(temp, target, olds)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        if olds and not target.exists():
            os.rename(olds.pop(), target)  # put the previous results back
        raise
    finally:
        for old in olds:
            shutil.rmtree(old, ignore_errors=True)
    return target


def _swap_in(temp: Path, target: Path, olds: list[Path], attempts: int = 20) -> None:
    """Rename `temp` to `target`, moving any existing `target` aside (into `olds`) first.

    Another run writing the same folder at the same moment can slip its own folder in
    between; then move that aside too and try again: the last complete folder wins, whole.
    """
    for _ in range(attempts):
        if target.exists():
            old = target.parent / f"{TEMP_PREFIX}old-{os.getpid()}-{len(olds)}-{time.time_ns()}"
            try:
                os.rename(target, old)
                olds.append(old)
            except FileNotFoundError:
                pass  # the other run moved it first
        try:
            os.rename(temp, target)
            return
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    raise OSError(errno.EEXIST, f"could not replace {target}: it keeps being rewritten")


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def fill_run(result: RunResult, folder: Path, xlsx: bool = False) -> None:
    """Every file of a run into `folder`."""
    from sim.report import render_run

    write_json(result.summary, folder / "summary.json")
    (folder / "scenario.yaml").write_text(scenario_to_yaml(result.scenario), encoding="utf-8")
    write_csv(result.monthly, folder / "monthly.csv")
    write_csv(result.quarterly, folder / "quarterly.csv")
    result.replications.to_parquet(folder / "replications.parquet", index=False)
    write_csv(result.reps, folder / "reps.csv")
    (folder / "report.html").write_text(render_run(result), encoding="utf-8")
    if xlsx:
        from sim.xlsx import write_xlsx

        write_xlsx([result], folder / "summary.xlsx")


def write_run(result: RunResult, out_parent: str | Path, xlsx: bool = False) -> Path:
    """Write `out_parent/<name>/` atomically; returns the folder."""
    return write_atomically(out_parent, result.name,
                            lambda folder: fill_run(result, folder, xlsx))


def compare_folder_name(names: list[str]) -> str:
    """`compare-<names>`, shortened with a stable hash when very long."""
    import hashlib

    name = "compare-" + "-".join(names)
    if len(name) > 100:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[:90].rstrip("-") + "-" + digest
    return name


def write_compare(
    results: list[RunResult],
    table: pd.DataFrame,
    increments: pd.DataFrame,
    out_parent: str | Path,
    report_html: str | None = None,
    xlsx: bool = False,
) -> Path:
    """Write `out_parent/compare-<names>/` atomically; returns the folder."""

    def fill(folder: Path) -> None:
        write_csv(table, folder / "compare.csv")
        write_csv(increments, folder / "increments.csv")
        if report_html is not None:
            (folder / "report.html").write_text(report_html, encoding="utf-8")
        if xlsx:
            from sim.xlsx import write_xlsx

            write_xlsx(results, folder / "summary.xlsx", table)

    name = compare_folder_name([r.name for r in results])
    return write_atomically(out_parent, name, fill)
