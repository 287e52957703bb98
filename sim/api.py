"""The Python API: load a scenario, simulate it, get pandas frames.

>>> from sim.api import load, run
>>> scenario = load("scenarios/base.yaml", replications=50)   # doctest: +SKIP
>>> result = run(scenario)                                      # doctest: +SKIP
>>> result.quarterly.query("metric == 'bookings'")              # doctest: +SKIP

Every function raises `ScenarioError` for bad input (a path that is not text, overrides
that are not "KEY.PATH=VALUE" texts, a scenario that is not a `Scenario`, workers < 1, ...),
the one-line error the command line prints; any other exception is a bug.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.scenario.errors import ScenarioError

if TYPE_CHECKING:
    from sim.results import RunResult
    from sim.scenario import Scenario

# The modules behind each function are imported when it is first called: `import sim.api`
# (and so the command line's start) loads neither pandas nor pydantic nor the simulation.

# Keys that do not change what is simulated: a comparison runs every variant with the
# base's seed and replications, and names and descriptions are labels.
NOT_MODEL_KEYS = ("seed", "replications", "name", "description")
LABEL_KEYS = {"name", "description", "seed", "replications"}


def _bad(key: str, value: object, expected: str) -> ScenarioError:
    return ScenarioError(None, key, value, expected)


def _check_path(path: object, key: str = "path") -> None:
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise _bad(key, path, "expected the path of a scenario YAML file (str or Path)")


def _check_overrides(overrides: object) -> None:
    texts = [overrides] if isinstance(overrides, str) else overrides
    if overrides is None:
        return
    if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
        raise _bad("overrides", overrides,
                   'expected a list of "KEY.PATH=VALUE" texts, e.g. ["roles.ae.headcount=25"]')


def _check_scenario(scenario: object, key: str = "scenario") -> None:
    """A `Scenario` whose values all pass validation (a `model_copy(update=...)` skips it)."""
    from sim.scenario import Scenario
    from sim.scenario.loader import validate_raw

    if not isinstance(scenario, Scenario):
        raise _bad(key, scenario,
                   "expected a Scenario, e.g. from sim.api.load(path)")
    validate_raw(scenario.model_dump(exclude_unset=True), file=f"scenario {scenario.name!r}")


def _check_run_options(workers: object, progress: object, scheduler: object) -> None:
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or workers < 1
    ):
        raise _bad("workers", workers, "expected a whole number >= 1, or None for all cores")
    if progress is not None and not callable(progress):
        raise _bad("progress", progress,
                   "expected a function called with each count of finished replications")
    if scheduler is not None and not isinstance(scheduler, str):
        raise _bad("scheduler", scheduler, "expected a Dask scheduler address as text")


def load(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Read, merge (`extends`, `--set`) and validate a scenario file."""
    from sim.scenario import load_scenario

    _check_path(path)
    _check_overrides(overrides)
    return load_scenario(path, overrides, replications=replications, seed=seed)


def _local(workers: int | None, scheduler: str | None) -> int | None:
    """Worker processes a run starts here: none on a Dask cluster."""
    return 0 if scheduler else workers


class Preload:
    """Modules this process needs once a run's replications are in (`sim.aggregate` and its
    pandas, and whatever the caller names: writers, report, tables), imported on a thread
    while the workers simulate, so that the parent's imports overlap their work instead
    of preceding it.

    `sim.runner.gather` starts it (as `meanwhile`) after the worker processes are forked,
    so no worker inherits a thread in the middle of an import; `wait` joins it, right
    after the gather. An import that fails is left for the caller's own import to raise.
    """

    def __init__(self, names: Sequence[str] = ()) -> None:
        self.names = [n for n in dict.fromkeys(("sim.aggregate", *names)) if n not in sys.modules]
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.names and self.thread is None:
            self.thread = threading.Thread(target=self._import, name="simrev-preload",
                                           daemon=True)
            self.thread.start()

    def _import(self) -> None:
        for name in self.names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - raised again by the caller's own import
                return

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()


def _check_preload(preload: object) -> None:
    if isinstance(preload, (str, bytes)) or not isinstance(preload, Sequence) or not all(
            isinstance(name, str) for name in preload):
        raise _bad("preload", preload, "expected a list of module names")


def run(
    scenario: Scenario,
    *,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    allow_long: bool = False,
    preload: Sequence[str] = (),
) -> RunResult:
    """Simulate every replication of `scenario` (workers None = all cores).

    `scheduler` names a Dask distributed scheduler to run on instead of local processes.
    A run estimated to take more than about ten minutes here is refused unless
    `allow_long`. `preload` names modules to import while the workers simulate (`Preload`).
    """
    from sim.plan import compile_plan
    from sim.runner import check_memory, gather

    _check_scenario(scenario)
    _check_run_options(workers, progress, scheduler)
    _check_preload(preload)
    plan = compile_plan(scenario)
    check_memory(plan, scenario.replications, workers=_local(workers, scheduler),
                 allow_long=allow_long)
    loading = Preload(preload)
    try:
        done = gather(plan, scenario.replications, workers, progress, scheduler,
                      start=scenario.start, metrics=True, meanwhile=loading.start)
    finally:  # never left running: a later run may fork workers
        loading.wait()
    from sim.aggregate import build_result

    return build_result(scenario, plan, done.raw, done.sellers, done.text, done.metrics)


def _horizon_text(scenario: Scenario) -> str:
    quarters = scenario.quarters
    return f"start {scenario.start} and {quarters} quarter{'s' * (quarters != 1)}"


def comparable(
    scenarios: Sequence[Scenario],
    files: Sequence[str] | None = None,
    *,
    align: bool = False,
    how: str = "--align",
) -> list[Scenario]:
    """The scenarios of a comparison on one horizon: the base's `start` and `quarters`.

    A plan whose horizon differs from the base's (the first) is refused with a
    `ScenarioError` naming both files and values, unless `align`: then it is validated
    again on the base's start and quarters. Dated entries (hiring months, program starts)
    keep their calendar month; one that falls outside the base's horizon is the usual
    validation error, naming `how` (the option that asked for it). `files` name the
    scenarios in messages (default: their names).
    """
    from sim.scenario.loader import validate_raw

    names = list(files) if files is not None else [f"scenario {s.name!r}" for s in scenarios]
    base, base_file = scenarios[0], names[0]
    out = [base]
    for scenario, file in zip(scenarios[1:], names[1:], strict=True):
        if (scenario.start, scenario.quarters) == (base.start, base.quarters):
            out.append(scenario)
            continue
        if not align:
            key = "start" if scenario.start != base.start else "quarters"
            raise ScenarioError(
                file, key, getattr(scenario, key),
                f"expected the base's horizon to compare plans: {base_file} has "
                f"{_horizon_text(base)}, this plan {_horizon_text(scenario)}; "
                f"{how} runs every plan on the base's start and quarters")
        raw = scenario.model_dump(exclude_unset=True)
        raw.update(start=base.start, quarters=base.quarters)
        try:
            out.append(validate_raw(raw, file=file))
        except ScenarioError as error:
            raise ScenarioError(
                error.file, error.key_path, error.value,
                f"{error.expected} (with {how}: the base's horizon, {_horizon_text(base)}, "
                f"from {base_file})", error.line) from None
    return out


def run_compared(
    scenarios: Sequence[Scenario],
    *,
    workers: int | None = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    allow_long: bool = False,
    align: bool = False,
) -> list[RunResult]:
    """Simulate scenarios for a paired comparison: the first is the base.

    Every scenario runs with the base's seed and replication count, so they share their
    random streams (common random numbers). A plan with another `start` or `quarters` than
    the base is refused (`ScenarioError`) unless `align`, which runs it on the base's
    horizon (see `comparable`).
    """
    from sim.aggregate import build_result
    from sim.plan import compile_plan
    from sim.runner import check_memory, gather_plans

    if isinstance(scenarios, (str, bytes)) or not isinstance(scenarios, Sequence) or not scenarios:
        raise _bad("scenarios", scenarios, "expected a non-empty list of Scenario, the base first")
    for i, scenario in enumerate(scenarios):
        _check_scenario(scenario, f"scenarios[{i}]")
    _check_run_options(workers, progress, scheduler)
    if not isinstance(align, bool):
        raise _bad("align", align, "expected True or False")
    scenarios = comparable(scenarios, align=align, how="align=True")
    base = scenarios[0]
    aligned = [
        s.model_copy(update={"seed": base.seed, "replications": base.replications})
        for s in scenarios
    ]
    plans = [compile_plan(s) for s in aligned]
    for plan in plans:
        check_memory(plan, base.replications, workers=_local(workers, scheduler),
                     allow_long=allow_long)
    results = []
    # one stream of chunks: the workers go on with the next plan while this process builds
    # the last one's result. A comparison writes no plan's reps.csv, so the workers render
    # none (`RunResult.reps_csv` None: `sim.outputs.fill_run` would write it from the frame)
    gathered = gather_plans(plans, base.replications, workers, progress, scheduler,
                            metrics=True)
    try:
        for scenario, plan, done in zip(aligned, plans, gathered, strict=True):
            results.append(build_result(scenario, plan, done.raw, done.sellers, done.text,
                                        done.metrics))
    finally:  # a failure here stops the workers at once (closing the stream stops them)
        gathered.close()
    return results


def split_values(text: str) -> list[str]:
    """`20,22,[1, 2]` -> ['20', '22', '[1, 2]']: commas inside brackets do not split."""
    if not isinstance(text, str):
        raise _bad("values", text, "expected text of comma-separated values, e.g. 20,22,25")
    values, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return values


def variant_name(base: str, key_path: str, value: str) -> str:
    """A scenario name for one value of a sweep, e.g. base-headcount-22."""
    for key, arg in (("base", base), ("key_path", key_path), ("value", value)):
        if not isinstance(arg, str):
            raise _bad(key, arg, "expected text")
    leaf = re.sub(r"\[\d+\]$", "", key_path).rsplit(".", 1)[-1]
    slug = re.sub(r"[^a-z0-9_-]+", "_", f"{leaf}-{value}".lower()).strip("_")
    return f"{base}-{slug}"[:64]


def sweep(
    path: str | Path,
    vary: str,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> tuple[str, list[str], list[Scenario]]:
    """Variants of the scenario at `path`, one per value of `vary` (`KEY.PATH=V1,V2,...`).

    Returns the key path, the values as written, and the variant scenarios, each named by
    its value. They share the base's seed, so compared together they share random streams.
    A key that does not change what is simulated (seed, replications, name, description)
    and two values that give the same scenario are refused: the variants would be identical.
    """
    from sim.scenario import load_scenario

    _check_path(path)
    _check_overrides(overrides)
    if not isinstance(vary, str):
        raise _bad("--vary", vary, "expected KEY.PATH=V1,V2,..., e.g. roles.ae.headcount=20,22,25")
    key_path, sep, values_text = vary.partition("=")
    values = split_values(values_text) if sep else []
    if not key_path.strip() or not values or any(not v for v in values):
        raise _bad("--vary", vary, "expected KEY.PATH=V1,V2,..., e.g. roles.ae.headcount=20,22,25")
    key_path = key_path.strip()
    root = re.split(r"[.\[]", key_path, maxsplit=1)[0].strip()
    if root in NOT_MODEL_KEYS:
        raise _bad("--vary", vary,
                   f"{root} does not change what is simulated (every variant runs with the "
                   "base's seed and replications; name and description are labels), so the "
                   "variants would be identical; expected a key of the model, e.g. "
                   "roles.ae.headcount=20,22,25")
    variants: list[Scenario] = []
    seen: dict[str, str] = {}
    for value in values:
        scenario = load_scenario(path, overrides, replications=replications, seed=seed,
                                 vary=f"{key_path}={value}")
        same = _model_key(scenario)
        if same in seen:
            raise _bad("--vary", vary,
                       f"the values {seen[same]} and {value} give the same scenario, so their "
                       "variants would be identical; expected values that differ")
        seen[same] = value
        name = variant_name(scenario.name, key_path, value)
        variants.append(scenario.model_copy(update={"name": name}))
    return key_path, values, variants


def _model_key(scenario: Scenario) -> Any:
    """What is simulated: the scenario (and its ranges) without its labels, seed and
    replications."""
    return repr((scenario.model_dump(mode="json", exclude=LABEL_KEYS),
                 [(r.key, r.written()) for r in scenario.ranges]))
