"""Writers: a run's (or a comparison's) files, written atomically and only over our own.

Everything goes into a temporary folder beside the target, marked as simrev's (a
`.simrev-output` file), which then takes the target's place in one atomic exchange
(`renameat2(RENAME_EXCHANGE)` on Linux): at every instant `DIR/<name>` holds either the
previous results or the new ones, whole. simrev replaces only a folder it wrote itself, of
the same kind (run, comparison or fit) and name; anything else at `DIR/<name>` is refused with
a ScenarioError before anything is written. Temporary folders left by a killed run are
swept (or, for previous results moved aside, put back) by the next write into the folder.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import math
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim import __version__
from sim.metric_registry import label
from sim.scenario import ScenarioError, scenario_to_yaml

if TYPE_CHECKING:
    import pandas as pd

    from sim.recommend import Recommendation
    from sim.results import RunResult

# pandas is imported where a frame is written, not with this module: a command checks its
# output folder (`check_out_dir`, `check_replaceable`) before it simulates, and imports the
# writers' pandas while the workers simulate (`sim.api.run`'s `meanwhile`).

TEMP_PREFIX = ".simrev-tmp-"
MARKER = ".simrev-output"  # in every folder simrev writes: {"written_by": "simrev", ...}
KINDS = {"run": "a run", "compare": "a comparison", "fit": "a fit", "backtest": "a backtest"}
MARKER_MAX_BYTES = 4096
STALE_AFTER_S = 24 * 3600  # a temporary folder this old is a dead run's, whatever its pid
SAFE_NAME = re.compile(r"^[a-z0-9_-]+$")
TEMP_NAME = re.compile(
    r"^\.simrev-tmp-(?P<role>new|old)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<ns>\d+)-[a-z0-9_]+$")
FLOAT_FORMAT = "%.10g"  # the same result always gives byte-identical files


def _checkpoint(step: str) -> None:
    """Called at each step of a write ("marked", "filled", "swapped", "moved-aside");
    tests replace it to crash a write at a chosen instant."""


def _host_tag() -> str:
    """This machine, as 8 hex digits: a pid is only meaningful on its own machine."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def check_out_dir(out_parent: str | Path) -> Path:
    """The output parent folder, created if missing; a ScenarioError if unusable."""
    if str(out_parent).strip() == "":
        raise ScenarioError(None, "--out", str(out_parent),
                            "expected a folder path, not empty text")
    path = Path(out_parent)
    blocked = _blocking_ancestor(path)
    if blocked is not None:
        where, what = blocked
        expected = (f"expected a folder, not {what}" if where == path else
                    f"expected a folder that can be created, but {where} is {what}")
        raise ScenarioError(None, "--out", str(path), expected)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ScenarioError(
            None, "--out", str(path), f"expected a folder that can be created ({error.strerror})"
        ) from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise ScenarioError(None, "--out", str(path), "expected a writable folder")
    return path


def _blocking_ancestor(path: Path) -> tuple[Path, str] | None:
    """The first part of `path` that stops it being (or becoming) a folder, and what it is."""
    for part in [*reversed(path.parents), path]:
        if part == Path("."):
            continue
        if part.is_symlink() and not part.exists():
            return part, "a dangling symbolic link (its target does not exist)"
        if part.exists() and not part.is_dir():
            return part, "a file"
    return None


def write_marker(folder: Path, kind: str, name: str) -> None:
    """Mark `folder` as simrev's output of `kind` (a key of `KINDS`) named `name`."""
    stamp = {"written_by": "simrev", "version": __version__, "kind": kind, "name": name}
    (folder / MARKER).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


def read_marker(folder: Path) -> dict | None:
    """The stamp in `folder/.simrev-output`, or None when it is not a readable simrev stamp."""
    path = folder / MARKER
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MARKER_MAX_BYTES:
            return None
        with open(path, "rb") as handle:
            stamp = json.loads(handle.read(MARKER_MAX_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("written_by") != "simrev":
        return None
    if stamp.get("kind") not in KINDS or not isinstance(stamp.get("name"), str):
        return None
    return stamp


def _refusal(path: Path, kind: str, name: str) -> str | None:
    """Why simrev must not replace `path` with output of `kind` named `name` (None: it may,
    because nothing is there or simrev wrote it as that very output)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "a file" if stat.S_ISREG(info.st_mode) else "not a folder"
    stamp = read_marker(path)
    if stamp is None:
        return f"a folder simrev did not write (no {MARKER} stamp)"
    if stamp["kind"] != kind:
        return f"{KINDS[stamp['kind']]} folder, not {KINDS[kind]}'s"
    if stamp["name"] != name:
        return "a simrev folder written under another name"
    return None


def _refuse(path: Path, reason: str) -> ScenarioError:
    return ScenarioError(None, "--out", str(path),
                         f"will not replace it: it is {reason}; simrev only replaces folders "
                         "it wrote (move it away, or choose another --out or name)")


def check_replaceable(out_parent: str | Path, name: str, kind: str) -> Path:
    """`out_parent/name`, if simrev may write it (absent, or its own `kind` output named
    `name`); otherwise a ScenarioError naming it. Cheap: call it before simulating."""
    if not SAFE_NAME.match(name):
        raise ScenarioError(None, "name", name, "expected [a-z0-9_-]+ (a folder name)")
    target = Path(out_parent) / name
    reason = _refusal(target, kind, name)
    if reason is not None:
        raise _refuse(target, reason)
    return target


# --- atomic renames -------------------------------------------------------------------

AT_FDCWD, RENAME_NOREPLACE, RENAME_EXCHANGE = -100, 1, 2


class Unsupported(OSError):
    """The platform or file system has no such rename; the caller falls back."""


def _load_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, musl < 1.2.1)
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _load_renameat2()


def _renameat2(source: Path, destination: Path, flags: int) -> None:
    """renameat2(2); Unsupported where the system or the file system lacks it."""
    if _RENAMEAT2 is None:
        raise Unsupported(errno.ENOSYS, "renameat2 is not available")
    if _RENAMEAT2(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(destination),
                  flags) == 0:
        return
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        raise Unsupported(code, os.strerror(code), str(source))
    raise OSError(code, os.strerror(code), str(source), None, str(destination))


def exchange(a: Path, b: Path) -> None:
    """Swap two paths in one atomic step (Linux); Unsupported elsewhere."""
    _renameat2(a, b, RENAME_EXCHANGE)


def rename_noreplace(source: Path, destination: Path) -> None:
    """Rename, failing with FileExistsError if `destination` exists (even an empty folder,
    which a plain rename would silently replace)."""
    try:
        _renameat2(source, destination, RENAME_NOREPLACE)
    except Unsupported:
        if os.path.lexists(destination):
            raise FileExistsError(errno.EEXIST, "File exists", str(destination)) from None
        os.rename(source, destination)


class StrandedError(OSError):
    """Something not simrev's took the target's place mid-swap and could not be put back."""

    def __init__(self, where: Path, target: Path) -> None:
        super().__init__(errno.EEXIST, f"{target} was replaced during the write by a folder "
                         f"simrev did not write, now at {where}; move it back by hand")


# --- writing --------------------------------------------------------------------------


def write_atomically(out_parent: str | Path, name: str, fill: Callable[[Path], None],
                     kind: str = "run") -> Path:
    """Create `out_parent/name` by `fill(temporary folder)` and an atomic swap; returns it.

    `kind` (a key of `KINDS`) is stamped in the folder's `.simrev-output`; an existing
    `out_parent/name` is replaced only if it carries the same stamp, else a ScenarioError
    is raised and nothing is written.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    parent = check_out_dir(out_parent)
    target = check_replaceable(parent, name, kind)
    sweep_stale(parent)
    temp = Path(tempfile.mkdtemp(
        prefix=f"{TEMP_PREFIX}new-{_host_tag()}-{os.getpid()}-{time.time_ns()}-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temp, 0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
    olds: list[Path] = []
    try:
        write_marker(temp, kind, name)
        _checkpoint("marked")
        fill(temp)
        _checkpoint("filled")
        _swap_in(temp, target, kind, name, olds)
    except BaseException as error:
        if olds and not os.path.lexists(target):
            try:
                rename_noreplace(olds.pop(), target)  # put the previous results back
            except OSError:
                pass  # left for the next write's sweep, which puts them back
        if not isinstance(error, StrandedError):  # temp is ours: unfinished, or replaced
            shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        for old in olds:
            shutil.rmtree(old, ignore_errors=True)
    return target


def _swap_in(temp: Path, target: Path, kind: str, name: str, olds: list[Path],
             attempts: int = 20) -> None:
    """Put `temp` at `target`; what was at `target` (simrev's own, checked) goes to `olds`.

    With an atomic exchange `target` is never absent; without one (not Linux, or a file
    system that lacks it) the previous folder is first moved aside to `.simrev-tmp-old-*`,
    which the next write puts back if a crash came before the new folder took its place.
    Another run writing the same folder at the same moment may slip its own folder in;
    then this one replaces it in turn: the last complete folder wins, whole.
    """
    for attempt in range(attempts):
        reason = _refusal(target, kind, name)
        if reason is not None:
            raise _refuse(target, reason)
        if not os.path.lexists(target):
            try:
                rename_noreplace(temp, target)
                return
            except FileExistsError:
                continue  # another run's folder appeared meanwhile
        try:
            exchange(temp, target)
        except FileNotFoundError:
            continue  # the other run moved it first
        except Unsupported:
            if _move_aside_and_rename(temp, target, kind, name, olds, attempt):
                return
            continue
        _checkpoint("swapped")
        # `temp` now holds what was at `target`: make sure it was ours before deleting it
        reason = _refusal(temp, kind, name)
        if reason is not None:  # swapped in behind our back: give it its place back
            try:
                exchange(temp, target)
            except OSError as error:
                raise StrandedError(temp, target) from error
            raise _refuse(target, reason)
        olds.append(temp)
        return
    raise OSError(errno.EEXIST, f"could not replace {target}: it keeps being rewritten")


def _move_aside_and_rename(temp: Path, target: Path, kind: str, name: str,
                           olds: list[Path], attempt: int) -> bool:
    """The fallback swap, in two renames; False when another run got in the way."""
    old = target.parent / (f"{TEMP_PREFIX}old-{_host_tag()}-{os.getpid()}-{time.time_ns()}-"
                           f"{attempt}")
    try:
        os.rename(target, old)
    except FileNotFoundError:
        return False
    olds.append(old)
    reason = _refusal(old, kind, name)
    if reason is not None:  # swapped in behind our back: put it back
        olds.pop()
        try:
            rename_noreplace(old, target)
        except OSError as error:
            raise StrandedError(old, target) from error
        raise _refuse(target, reason)
    _checkpoint("moved-aside")
    try:
        rename_noreplace(temp, target)
    except FileExistsError:
        return False
    return True


def sweep_stale(parent: Path) -> None:
    """Clean up after runs that died while writing into `parent`.

    Only folders simrev made are touched: a `.simrev-tmp-` name of the exact pattern, a real
    folder, and stale (its process, on this machine, is gone; or it is over a day old).
    Previous results moved aside (`old`) go back under their name if that name is free;
    other stamped ones are deleted; an unstamped one only if empty (a run killed just after
    creating it). Anything else is left alone.
    """
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False) or not _stale(match):
            continue
        path = Path(entry.path)
        if not os.path.lexists(path / MARKER):
            try:
                path.rmdir()
            except OSError:
                pass  # not empty and not stamped: not provably ours
            continue
        stamp = read_marker(path)
        if match["role"] == "old" and stamp is not None and SAFE_NAME.match(stamp["name"]):
            try:
                rename_noreplace(path, parent / stamp["name"])
                continue
            except OSError:
                pass  # newer results are in place: these are obsolete
        shutil.rmtree(path, ignore_errors=True)


def _stale(match: re.Match[str]) -> bool:
    age_s = (time.time_ns() - int(match["ns"])) / 1e9
    if age_s > STALE_AFTER_S:
        return True
    return match["host"] == _host_tag() and not _alive(int(match["pid"]))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no safe probe; the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


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
    """`frame` as CSV (no index, `FLOAT_FORMAT`, `\\n` line ends); see `csv_text`."""
    text = csv_text(frame)
    if text is None:
        frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    else:
        path.write_bytes(text.encode("utf-8"))


_QUOTED = re.compile(r'[,"\r\n]')  # a CSV writer quotes a field holding one of these


def csv_text(frame: pd.DataFrame) -> str | None:
    """What pandas' `to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\\n")`
    writes, rendered column by column (floats by `FLOAT_FORMAT`, integers by `str`, texts
    as they are, a missing value empty); None for a frame it does not cover: fewer than
    two columns or no rows, a column of another type (numpy float64 and integers, object
    columns of `str` and text columns only), or a name or text that would be quoted."""
    import pandas as pd

    names = list(frame.columns)
    if len(frame) == 0 or len(names) < 2 or len(set(names)) < len(names):
        return None
    if not all(type(n) is str and not _QUOTED.search(n) for n in names):
        return None
    columns = []
    for name in names:
        dtype = frame[name].dtype
        if isinstance(dtype, np.dtype) and dtype == np.float64:
            values = frame[name].to_numpy()
            cells = list(map(FLOAT_FORMAT.__mod__, values.tolist()))
            for i in np.flatnonzero(np.isnan(values)).tolist():
                cells[i] = ""
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            cells = list(map(str, frame[name].to_numpy().tolist()))
        elif isinstance(dtype, pd.StringDtype) or dtype == np.dtype(object):
            values = frame[name].to_numpy(dtype=object)
            missing = pd.isna(values)
            cells = values.tolist()
            for i in np.flatnonzero(missing).tolist():
                cells[i] = ""
            distinct = set(cells)
            if not all(type(c) is str for c in distinct) or any(
                    _QUOTED.search(c) for c in distinct):
                return None
        else:
            return None
        columns.append(cells)
    rows = "\n".join(map(",".join, zip(*columns, strict=True)))
    return ",".join(names) + "\n" + rows + "\n"


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """`frame.to_parquet(path, index=False)` as pyarrow reads it back (schema, pandas
    metadata, values), built from the frame's numpy columns and categories' codes without
    pandas' conversion, and its float columns written without a dictionary: pyarrow would
    try one, find it too big and fall back to plain values (half the writing time, for a
    slightly larger file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if frame.attrs:  # pandas keeps them in the file's metadata
        frame.to_parquet(path, index=False)
        return
    schema = pa.Schema.from_pandas(frame.iloc[:0], preserve_index=False)
    arrays = []
    plain = []
    for field in schema:
        column = frame[field.name]
        if pa.types.is_dictionary(field.type):
            arrays.append(pa.DictionaryArray.from_arrays(
                pa.array(column.cat.codes.to_numpy(), type=field.type.index_type),
                pa.array(list(column.cat.categories), type=field.type.value_type)))
        else:
            arrays.append(pa.array(column.to_numpy(), type=field.type, from_pandas=True))
            if pa.types.is_floating(field.type):
                plain.append(field.name)
    table = pa.Table.from_arrays(arrays, schema=schema)
    pq.write_table(table, path, use_dictionary=[n for n in schema.names if n not in plain],
                   write_batch_size=1 << 16)  # the same file, written in fewer batches


def fill_run(result: RunResult, folder: Path, xlsx: bool = False,
             sensitivity: pd.DataFrame | None = None) -> None:
    """Every file of a run into `folder` (`sensitivity.csv` only when it has ranges;
    `sensitivity` is `sim.sensitivity.run_sensitivity(result)`, computed here if not given)."""
    from sim.report import render_run
    from sim.sensitivity import run_sensitivity

    if sensitivity is None:
        sensitivity = run_sensitivity(result)
    write_json(result.summary, folder / "summary.json")
    (folder / "scenario.yaml").write_text(scenario_to_yaml(result.scenario), encoding="utf-8")
    write_csv(result.monthly, folder / "monthly.csv")
    write_csv(result.quarterly, folder / "quarterly.csv")
    write_parquet(result.replications, folder / "replications.parquet")
    if result.draws is not None:
        result.draws.to_parquet(folder / "draws.parquet", index=False)
    if result.reps_csv is not None:
        (folder / "reps.csv").write_bytes(result.reps_csv)  # rendered by the workers
    else:
        write_csv(result.reps, folder / "reps.csv")
    if sensitivity is not None:
        write_csv(sensitivity, folder / "sensitivity.csv")
    (folder / "report.html").write_text(render_run(result, sensitivity), encoding="utf-8")
    if xlsx:
        from sim.xlsx import write_xlsx

        write_xlsx([result], folder / "summary.xlsx")


def write_run(result: RunResult, out_parent: str | Path, xlsx: bool = False,
              sensitivity: pd.DataFrame | None = None) -> Path:
    """Write `out_parent/<name>/` atomically; returns the folder (see `fill_run`)."""
    return write_atomically(out_parent, result.name,
                            lambda folder: fill_run(result, folder, xlsx, sensitivity),
                            kind="run")


def compare_folder_name(names: list[str]) -> str:
    """`compare-<names>`, shortened with a stable hash when very long."""
    name = "compare-" + "-".join(names)
    if len(name) > 100:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[:90].rstrip("-") + "-" + digest
    return name


def with_labels(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with each metric's label (from the registry) after its `metric` key."""
    if "metric" not in table or "label" in table:
        return table
    table = table.copy()
    table.insert(list(table.columns).index("metric") + 1, "label",
                 [label(str(m)) for m in table["metric"]])
    return table


def write_compare(
    results: list[RunResult],
    table: pd.DataFrame,
    increments: pd.DataFrame,
    out_parent: str | Path,
    report_html: str | None = None,
    xlsx: bool = False,
    sensitivity: pd.DataFrame | None = None,
    recommendation: Recommendation | None = None,
) -> Path:
    """Write `out_parent/compare-<names>/` atomically; returns the folder.

    `sensitivity` (`sim.sensitivity.paired_sensitivity`, None without ranges) goes to
    `sensitivity.csv`; the plans' drawn assumptions, when any has ranges, to
    `draws.parquet` (`scenario`, `replication`, one column per key path). With a
    `recommendation`, its sentence goes to
    `recommendation.txt` and its ranking (one row per plan) to `recommendation.csv`.
    """

    def fill(folder: Path) -> None:
        import pandas as pd

        write_csv(with_labels(table), folder / "compare.csv")
        write_csv(increments, folder / "increments.csv")
        if sensitivity is not None:
            write_csv(sensitivity, folder / "sensitivity.csv")
        drawn = [r.draws.assign(scenario=r.name) for r in results if r.draws is not None]
        if drawn:  # one row per plan x replication; a plan's own assumptions as columns
            frame = pd.concat(drawn, ignore_index=True)
            frame[["scenario", *(c for c in frame.columns if c != "scenario")]].to_parquet(
                folder / "draws.parquet", index=False)
        if recommendation is not None:
            (folder / "recommendation.txt").write_text(recommendation.sentence + "\n",
                                                       encoding="utf-8")
            write_csv(recommendation.ranking, folder / "recommendation.csv")
        if report_html is not None:
            (folder / "report.html").write_text(report_html, encoding="utf-8")
        if xlsx:
            from sim.xlsx import write_xlsx

            write_xlsx(results, folder / "summary.xlsx", table)

    name = compare_folder_name([r.name for r in results])
    return write_atomically(out_parent, name, fill, kind="compare")
