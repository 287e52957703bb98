"""Assumptions as ranges: `{between: [low, high]}` or `{between: [low, high], likely: m}`.

Any key that takes a (not necessarily whole) number may be written as a range. The loader
finds them before validation (`extract`), checks their shape, validates the scenario at
each end and at `likely` (one error line each, at ``<key path>.between[i]`` or
``.likely``), and keeps the validated scenario at each range's nominal value (`likely`, or
the midpoint) with the ranges beside it (`Scenario.ranges`, in file order).

Each replication draws every range once: one uniform from its own stream, keyed by the
replication and the range's key path (`sim.streams.RANGE`, ``name_id(key)``), through the
inverse CDF of the uniform or triangular law. So two plans that state the same assumption
share its draw under common random numbers, and a range whose ends are equal is exactly that
number (no stream is drawn). `Model` simulates the plan compiled with the drawn values
(`drawn_plan`); a plan without ranges is used as it is.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.errors import ScenarioError, format_path
from sim.streams import RANGE, name_id, stream

if TYPE_CHECKING:
    import pandas as pd

    from sim.plan import Plan
    from sim.scenario.schema import Scenario

PathT = tuple[Any, ...]
RANGE_KEYS = ("between", "likely")
SHAPE = "expected a range {between: [low, high]} or {between: [low, high], likely: m}"


@dataclass(frozen=True)
class Range:
    """One ranged assumption: its key path, its ends and, for a triangular law, `likely`."""

    path: PathT
    low: float
    high: float
    likely: float | None = None

    @property
    def key(self) -> str:
        """The key path as text, e.g. ``programs.ai_assist.effects.selling_time``."""
        return format_path(self.path)

    @property
    def nominal(self) -> float:
        """The value the validated scenario holds: `likely`, or the midpoint."""
        if self.likely is not None:
            return self.likely
        return self.low if self.low == self.high else (self.low + self.high) / 2

    def at(self, u: float) -> float:
        """The value at quantile `u` in [0, 1): uniform, or triangular with mode `likely`."""
        low, high, width = self.low, self.high, self.high - self.low
        if width == 0:
            return low
        if self.likely is None:
            return low + u * width
        left = (self.likely - low) / width
        if u < left:
            return min(high, low + math.sqrt(u * width * (self.likely - low)))
        return max(low, high - math.sqrt((1 - u) * width * (high - self.likely)))

    def written(self) -> dict[str, Any]:
        """The range as a scenario file writes it."""
        out: dict[str, Any] = {"between": [self.low, self.high]}
        if self.likely is not None:
            out["likely"] = self.likely
        return out


def is_range(value: object) -> bool:
    """A mapping that is meant as a range (it has `between` or `likely`)."""
    return isinstance(value, dict) and any(k in value for k in RANGE_KEYS)


def draw(seed: int, replication: int, ranges: tuple[Range, ...]) -> list[float]:
    """Each range's value in one replication (a pure function of seed, replication, path)."""
    return [r.low if r.low == r.high else r.at(float(stream(seed, replication, RANGE,
                                                            name_id(r.key)).random()))
            for r in ranges]


def draws_frame(seed: int, replications: int, ranges: tuple[Range, ...]) -> pd.DataFrame | None:
    """One row per replication (`replication`), one column per range (its key path)."""
    import pandas as pd  # loaded for the outputs, not to simulate

    if not ranges:
        return None
    values = np.array([draw(seed, i, ranges) for i in range(replications)],
                      dtype=float).reshape(replications, len(ranges))
    frame = pd.DataFrame({"replication": np.arange(replications)})
    for j, r in enumerate(ranges):
        frame[r.key] = values[:, j]
    return frame


def set_at(data: Any, path: PathT, value: Any) -> None:
    """Set `value` at `path` inside nested dicts and lists."""
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def substitute(scenario: Scenario, values: dict[PathT, float]) -> Scenario:
    """`scenario` with each path's value replaced (not cross-checked: its ends were)."""
    from sim.scenario.schema import Scenario

    data = scenario.model_dump(exclude_unset=True)
    for path, value in values.items():
        set_at(data, path, value)
    return Scenario.model_validate(data)


def drawn_plan(plan: Plan, replication: int) -> Plan:
    """The plan replication `replication` simulates: `plan` itself without ranges (or when
    every draw is its nominal value, as with equal ends), else compiled with the draws."""
    if not plan.ranges or plan.source is None:
        return plan
    values = draw(plan.seed, replication, plan.ranges)
    if all(v == r.nominal for v, r in zip(values, plan.ranges, strict=True)):
        return plan
    from sim.plan import compile_plan

    scenario = substitute(plan.source, {r.path: v for r, v in zip(plan.ranges, values,
                                                                   strict=True)})
    return dataclasses.replace(compile_plan(scenario, plan.state), name=plan.name,
                               seed=plan.seed, open_pipeline=plan.open_pipeline, ranges=(),
                               source=None)


# Finding and checking ranges in a raw scenario ---------------------------------------------------

Fail = Callable[[PathT, object, str], ScenarioError]


def _walk(data: Any, path: PathT = ()) -> Iterator[tuple[PathT, dict[str, Any]]]:
    if is_range(data):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk(value, (*path, i))


def _text(value: float) -> int | float:
    """A number as written: 6, not 6.0."""
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _parse(path: PathT, data: dict[str, Any], fail: Fail) -> Range:
    """A range's shape: `between` a list of two numbers, low <= high, low <= likely <= high."""
    for key in data:
        if key not in RANGE_KEYS:
            raise fail((*path, key), data[key], f"unknown key '{key}' in a range; {SHAPE}")
    if "between" not in data:
        raise fail(path, data, f"a range needs between: [low, high]; {SHAPE}")
    ends = data["between"]
    if not isinstance(ends, list) or len(ends) != 2:
        raise fail((*path, "between"), ends, "expected a list of two numbers [low, high]")
    for i, end in enumerate(ends):
        if not _number(end):
            raise fail((*path, "between", i), end, "expected a number (an end of the range)")
    low, high = float(ends[0]), float(ends[1])
    if low > high:
        raise fail((*path, "between"), ends, "expected [low, high] with low <= high")
    likely = data.get("likely")
    if likely is not None:
        if not _number(likely):
            raise fail((*path, "likely"), likely, "expected a number (the most likely value)")
        if not low <= likely <= high:
            raise fail((*path, "likely"), likely,
                       f"expected a number in [{ends[0]}, {ends[1]}] (between the ends)")
        likely = float(likely)
    return Range(path, low, high, likely)


def _position(path: PathT, fail: Fail) -> bool:
    """Whether `path` takes a number (refusing whole-number and non-number keys); False for
    a path outside the schema (the schema's validation names the unknown key)."""
    from sim.scenario import loader

    node: dict[str, Any] | None = loader.SCHEMA
    for part in path:
        node = loader._child(node, part)
        if node is None:
            return False
    forms = loader._members(loader._deref(node)) or [loader._deref(node)]
    types = {form.get("type") for form in forms}
    if "number" in types:
        return True
    if "integer" in types:
        raise fail(path, Unshown(), "a range needs a key that takes any number, and this one "
                   "takes whole numbers; expected a whole number (compare values with "
                   "simrev compare --vary)")
    raise fail(path, Unshown(), f"a range stands for a number; expected {loader.describe(node)}")


class Unshown:
    """The value of an error about a range as a whole: shown as ``(a range)``."""

    def __str__(self) -> str:
        return "(a range)"


def extract(raw: dict[Any, Any], fail: Fail) -> tuple[dict[Any, Any], tuple[Range, ...]]:
    """The ranges in `raw` (in file order) and a copy of `raw` with each at its nominal
    value; `raw` itself when it has none."""
    found = [_parse(path, data, fail) for path, data in _walk(raw) if _position(path, fail)]
    if not found:
        return raw, ()
    nominal = copy.deepcopy(raw)
    for r in found:
        set_at(nominal, r.path, r.nominal)
    return nominal, tuple(found)


def validate_ends(raw: dict[Any, Any], found: tuple[Range, ...],
                  validate: Callable[[dict[Any, Any]], Scenario], fail: Fail) -> Scenario:
    """Validate `raw` (every range at its nominal value), and the scenario at each end and
    `likely` of each range, the others at their nominal values: the key's own bounds and the
    cross-checks. An error at the range's key is put at ``.between[i]`` or ``.likely``."""
    try:
        scenario = validate(raw)
    except ScenarioError as error:
        at = [r for r in found if _at(error, r)]
        _check_ends(raw, at, validate, fail)
        if not at:
            raise
        what = "likely value" if at[0].likely is not None else "midpoint"
        raise ScenarioError(error.file, error.key_path, error.value,
                            f"{error.expected} (the range's {what})", error.line) from None
    _check_ends(raw, list(found), validate, fail)
    return scenario


def _at(error: ScenarioError, r: Range) -> bool:
    return error.key_path == r.key or error.key_path.startswith(r.key + ".")


def _check_ends(raw: dict[Any, Any], found: list[Range],
                validate: Callable[[dict[Any, Any]], Any], fail: Fail) -> None:
    for r in found:
        ends = [((*r.path, "between", 0), r.low), ((*r.path, "between", 1), r.high)]
        if r.likely is not None:
            ends.append(((*r.path, "likely"), r.likely))
        for where, value in ends:
            if value == r.nominal:
                continue
            trial = copy.deepcopy(raw)
            set_at(trial, r.path, value)
            try:
                validate(trial)
            except ScenarioError as error:
                if _at(error, r):
                    raise fail(where, _text(value), error.expected) from None
                with_end = f"with {format_path(where)} = {_text(value)}"
                raise ScenarioError(error.file, error.key_path, error.value,
                                    f"{error.expected} ({with_end})", error.line) from None
