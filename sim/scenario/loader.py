"""Read a scenario: `extends`, `--set`, validation, cross-checks, and writing one back.

Every problem ends in one `ScenarioError`: the file (and line where known), the key path
(``roles.ae.ramp[2]``), the bad value and what was expected; nothing else escapes. Bounds and
types in messages are read from the JSON Schema (`schema.model_schema`). Each file is read by
`sim.safe_yaml` (regular files of at most 1 MiB, line numbers, no contents of a file that is
not a scenario in errors); once a file is a YAML mapping, an error quotes the bad value.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml
from pydantic import ValidationError

from sim import ranges, safe_yaml  # modules, not names: sim.safe_yaml imports sim.scenario.errors
from sim.roles import KINDS
from sim.scenario.checks import bad_text, did_you_mean, problems
from sim.scenario.errors import MISSING, ScenarioError, Unquoted, format_path
from sim.scenario.schema import MONTH_PATTERN, NAME_PATTERN, KeyValueError, Scenario, model_schema

PathT = tuple[Any, ...]
# Files in one `extends` chain (the scenario and its ancestors); real chains are 2-3 deep.
MAX_EXTENDS = 20
TOP_KEYS = frozenset(Scenario.model_fields) | {"extends"}
EXAMPLES = {"--set": "expected --set KEY.PATH=VALUE, e.g. --set roles.ae.headcount=25",
            "--vary": "expected --vary KEY.PATH=V1,V2,..., e.g. --vary roles.ae.headcount=20,22,25"}
SCHEMA = model_schema()
# What a text must look like, in words, where its JSON Schema says it with a pattern or not
# at all (a reference to another section).
LABELS = {
    NAME_PATTERN: "a name of lowercase letters, digits, '_' and '-' (it names the output "
                  "folder)",
    MONTH_PATTERN: "a month as YYYY-MM, e.g. 2027-01",
    ("Role", "segment"): "the name of a segment",
    ("Hire", "role"): "the name of a role",
    ("Targets", "role"): "the name of a role",
}


class Origin(NamedTuple):
    """Where the value at a key path came from: a file and line, or an option."""

    file: str | None
    line: int | None = None
    via: str | None = None  # e.g. "--set roles.ae.headcount=25"


Origins = dict[PathT, Origin]


# Files and `extends` ------------------------------------------------------------------------------


def _load_chain(path: Path, file: str, chain: list[tuple[Path, str]],
                blame: safe_yaml.Blame, reached: str = "") -> tuple[dict[Any, Any], Origins]:
    """The file merged over the files it `extends`, with the origin of each key path."""
    data, lines = safe_yaml.read_mapping(path, file, TOP_KEYS, blame, reached)
    origins = {p: Origin(file, line) for p, line in lines.items()}
    parent_ref = data.pop("extends", None)
    line = origins.get(("extends",), Origin(file)).line
    _drop_under(origins, ("extends",))
    if parent_ref is None:
        return data, origins
    here = partial(ScenarioError, file, "extends", parent_ref, line=line)
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise here("expected the path of another scenario file, relative to this one")
    parent_path = path.parent / parent_ref
    parent_file = os.path.normpath(os.path.join(os.path.dirname(file), parent_ref))
    key = safe_yaml.real_path(parent_path)
    if key in (p for p, _ in chain):
        names = " -> ".join([f for _, f in chain] + [parent_file])
        raise here(f"extends cycle: {names}; expected a chain of files that ends in one "
                   "without extends")
    if len(chain) >= MAX_EXTENDS:
        raise here(f"the extends chain that starts at {chain[0][1]} goes on past {MAX_EXTENDS} "
                   f"files; expected at most {MAX_EXTENDS} files in a chain")
    parent, merged = _load_chain(parent_path, parent_file, [*chain, (key, parent_file)], here,
                                 f" (extended by {file}{'' if line is None else f':{line}'})")

    def merge(left: dict[Any, Any], right: dict[Any, Any], path: PathT) -> dict[Any, Any]:
        """Deep-merge: mappings merge key by key, anything else (a range too) replaces."""
        out = dict(left)
        for key, value in right.items():
            child = (*path, key)
            if (isinstance(value, dict) and isinstance(out.get(key), dict)
                    and not ranges.is_range(value) and not ranges.is_range(out[key])):
                out[key] = merge(out[key], value, child)
                if child in origins:
                    merged[child] = origins[child]
            else:
                _drop_under(merged, child)
                merged.update(_under(origins, child))
                out[key] = value
        return out

    result = merge(parent, data, ())
    merged[()] = origins.get((), merged.get((), Origin(file)))
    return result, merged


def _under(origins: Origins, prefix: PathT) -> Origins:
    return {p: o for p, o in origins.items() if p[: len(prefix)] == prefix}


def _drop_under(origins: Origins, prefix: PathT) -> None:
    for p in list(_under(origins, prefix)):
        del origins[p]


# The JSON Schema: navigation and descriptions in a planner's words --------------------------------


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _members(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The forms of a union (`anyOf`, `oneOf`, nested), less `null`; [] if `node` is no union."""
    forms = [_deref(m) for m in node.get("anyOf", node.get("oneOf", [])) if m.get("type") != "null"]
    return [form for member in forms for form in _members(member) or [member]]


def _form(node: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """The form of a union that fits `data`'s shape (a list, a mapping or a scalar)."""
    members = _members(_deref(node)) if node is not None else []
    if not members:
        return _deref(node) if node is not None else {}
    shape = "array" if isinstance(data, list) else "object" if isinstance(data, dict) else None
    scalars = [m for m in members if m.get("type") not in ("array", "object")]
    return next((m for m in members if m.get("type") == shape), (scalars or members)[0])


def _child(node: dict[str, Any] | None, key: Any) -> dict[str, Any] | None:
    """The schema at `key` (a name or an index) inside `node`; None if there is none."""
    node = _form(node, [] if isinstance(key, int) else {})
    if key in node.get("properties", {}):
        label = LABELS.get((node.get("title"), key))
        found = node["properties"][key]
        return {**found, "label": label} if label else found
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and isinstance(key, str):
        return extra
    return node["items"] if "items" in node and isinstance(key, int) else None


# Each bound of a number in a JSON Schema: its bracket in a range, its sign on its own.
BOUNDS = {"minimum": ("[", ">="), "exclusiveMinimum": ("(", ">"),
          "maximum": ("]", "<="), "exclusiveMaximum": (")", "<")}


def _fmt_num(x: float) -> str:
    return f"{x:_}" if float(x).is_integer() and abs(x) >= 1e6 else f"{x:g}"


def _range(node: dict[str, Any]) -> str:
    """` in [0, 1]`, ` >= 0`, ` < 1`, or '' for a number without bounds."""
    low, high = ([(BOUNDS[k], node[k]) for k in keys if k in node][:1]
                 for keys in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")))
    if low and high:
        return f" in {low[0][0][0]}{_fmt_num(low[0][1])}, {_fmt_num(high[0][1])}{high[0][0][0]}"
    return "".join(f" {sign} {_fmt_num(value)}" for (_, sign), value in low + high)


def describe(node: dict[str, Any], plural: bool = False) -> str:
    """What a value of this JSON Schema looks like, in a planner's words."""
    node = {**_deref(node), **{k: v for k, v in node.items() if k != "$ref"}}
    label = node.get("label") or LABELS.get(node.get("pattern"))
    if label:
        return label
    members = _members(node)
    if any(set(m.get("properties", {})) == {"mean", "cv"} for m in members):
        return "numbers or {mean, cv} mappings" if plural else "a number or {mean, cv}"
    if members:
        return " or ".join(describe(m, plural) for m in members)
    if "enum" in node:
        return "one of " + ", ".join(str(v) for v in node["enum"])
    kind = node.get("type")
    if kind == "array":
        size = "a non-empty list" if node.get("minItems") else "a list"
        return f"{size} of {describe(node['items'], plural=True)}"
    if kind == "object" and "properties" in node:
        keys = ", ".join(node["properties"])
        if len(node["properties"]) <= 3:
            return f"mappings with keys {keys}" if plural else f"a mapping with keys {keys}"
        what = node["title"].lower()
        return f"{what} settings" if plural else f"a mapping of {what} settings"
    if kind == "object":
        names = node.get("propertyNames", {}).get("enum")
        keys = f"levers ({', '.join(names)})" if names else "names"
        size = "a non-empty mapping" if node.get("minProperties") else "a mapping"
        return f"{size} of {keys} to {describe(node['additionalProperties'], plural=True)}"
    if kind in ("integer", "number"):
        noun = "whole number" if kind == "integer" else "number"
        return (f"{noun}s" if plural else f"a {noun}") + _range(node)
    words = {"boolean": ("true or false",) * 2, "string": ("text", "texts")}
    return words[kind][plural] if kind in words else "a value"


def _unknown_key(node: dict[str, Any] | None, data: Any, key: Any, top: bool) -> str | None:
    """Why `key` cannot be in the mapping `data` of schema `node` (with a hint), or None."""
    node = _form(node, {})
    allowed = node.get("propertyNames", {}).get("enum") or list(node.get("properties", {}))
    if not allowed or key in allowed:
        return None
    hint_from = allowed
    kind = data.get("kind") if isinstance(data, dict) else None
    if node.get("title") == "Role" and isinstance(kind, str) and kind in KINDS:
        allowed = [k for k in allowed if k in KINDS[kind].keys | {"kind"}]
        hint_from = [*allowed, *(k for k in hint_from if k not in allowed)]
    hint = did_you_mean(key, [*hint_from, "extends"] if top else hint_from)
    return f"unknown key '{key}'{hint or '; expected one of: ' + ', '.join(allowed)}"


# Errors located in the files ----------------------------------------------------------------------


def _lookup(data: Any, path: PathT) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and -len(data) <= part < len(data):
            data = data[part]
        else:
            return MISSING
    return data


def _error_at(path: PathT, value: object, expected: str, origins: Origins,
              top: str | None) -> ScenarioError:
    """A `ScenarioError` at `path`, naming the file and line its value came from."""
    origin = next((origins[path[:n]] for n in range(len(path), -1, -1) if path[:n] in origins),
                  Origin(top))
    if origin.via:
        expected = f"{expected} (from {origin.via})"
    return ScenarioError(origin.file, format_path(path), value, expected, origin.line)


def _tags(node: dict[str, Any] | None) -> set[str]:
    """The tags (JSON types) of a tagged union (`oneOf`), also when it is optional."""
    node = _deref(node) if node is not None else {}
    forms = [node, *map(_deref, node.get("anyOf", []))]
    return {form.get("type") for union in forms for form in union.get("oneOf", [])}


def _from_validation(exc: ValidationError, raw: dict[Any, Any], origins: Origins,
                     top: str | None) -> ScenarioError:
    """The first of pydantic's errors (an unknown key before anything else), in words."""
    errors = exc.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden" or "[key]" in e["loc"]),
                 errors[0])
    kind, loc, ctx = first["type"], first["loc"], first.get("ctx") or {}
    path: PathT = ()
    node: dict[str, Any] | None = SCHEMA
    parent = node
    for part in loc:  # the loc without `[key]` and union tags (the JSON types of its forms)
        if part != "[key]" and part not in _tags(node):
            parent, node, path = node, _child(node, part), (*path, part)
    value = _lookup(raw, path)
    if kind == "extra_forbidden" or "[key]" in loc:
        message = _unknown_key(parent, _lookup(raw, path[:-1]), path[-1], len(path) == 1)
        if len(path) == 1:
            # An unknown top-level key may mean the file is not a scenario at all (`extends:
            # ~/.config/gh/hosts.yml`): name the key, never its value.
            value = Unquoted("value not shown")
            if not (isinstance(path[0], str) and safe_yaml.NAME_LIKE.match(path[0])):
                path, message = (), safe_yaml.NOT_A_KEY
        return _error_at(path, value, message or f"unknown key '{path[-1]}'", origins, top)
    if kind in ("value_error", "assertion_error"):
        error = ctx.get("error")
        if isinstance(error, KeyValueError):
            path = (*path, error.key)
            value = _lookup(raw, path)
        message = str(error) if error is not None else first["msg"]
        return _error_at(path, value, message, origins, top)
    what = describe(node) if node is not None else first["msg"]
    if kind == "missing":
        return _error_at(path, MISSING, f"required key is missing; expected {what}", origins, top)
    if kind == "string_too_long":
        return _error_at(path, value, f"expected at most {ctx.get('max_length')} characters",
                         origins, top)
    value = first.get("input") if value is MISSING else value
    hint = did_you_mean(value, [str(v) for v in node["enum"]]) if node and "enum" in node else ""
    return _error_at(path, value, f"expected {what}{hint}", origins, top)


# --set overrides ----------------------------------------------------------------------------------


def _parse_key_path(text: str) -> PathT | None:
    path: list[Any] = []
    for part in text.split("."):
        match = re.match(r"^([^\[\]]+)((?:\[-?\d+\])*)$", part.strip())
        if not match:
            return None
        path.append(match.group(1).strip())
        path.extend(int(i) for i in re.findall(r"\[(-?\d+)\]", match.group(2)))
    return tuple(path)


def _apply_set(raw: dict[Any, Any], origins: Origins, override: str, top: str,
               option: str = "--set") -> None:
    """Apply one `KEY.PATH=VALUE`: the value read as YAML, set by a walk down the data that
    adds the mappings it lacks; each key must be one the schema allows there, each index in
    its list. Errors name `option` (`--set`, or `--vary` in a sweep)."""
    example = EXAMPLES[option]
    if not isinstance(override, str):
        raise ScenarioError(top, "", override, f"{option}: not text; {example}")
    if "=" not in override:
        raise ScenarioError(top, "", override, f"a {option} without '='; {example}")
    key_text, value_text = override.split("=", 1)
    path = _parse_key_path(key_text.strip())
    if not path:
        raise ScenarioError(top, key_text.strip(), override,
                            f"{option}: not a key path; {example} or {option} roles.ae.ramp[2]=0.5")

    def fail(at: PathT, why: str) -> NoReturn:
        raise ScenarioError(top, format_path(at), value_text, f"{option}: {why}")

    try:
        value, _ = safe_yaml.parse(value_text, f"{option} {override}")
    except ScenarioError as exc:
        fail(path, f"the value is not valid YAML ({exc.expected}); quote it")
    node, data, created = SCHEMA, raw, None  # created: the first mapping this override adds
    for i, part in enumerate(path):
        here, at = format_path(path[:i]), path[: i + 1]
        if isinstance(data, dict):
            problem = (f"{here} is a mapping, not a list" if isinstance(part, int)
                       else _unknown_key(node, data, part, False))
        elif isinstance(data, list):
            problem = (f"{here} is a list; expected an index like {path[i - 1]}[0]"
                       if not isinstance(part, int) else None if -len(data) <= part < len(data)
                       else f"index {part} is out of range; {here} has {len(data)} values")
        elif data is None:  # a list the scenario does not set: no items to override
            problem = f"{here} is not in the scenario; set the whole list, e.g. --set {here}=[...]"
        else:
            problem = f"{here} holds a single value; it has no key '{part}'"
        if problem:
            fail(at, problem)
        node = _child(node, part)
        if i == len(path) - 1:
            data[part] = value
            break
        nxt = _lookup(data, (part,))
        if (nxt is MISSING or nxt is None) and not isinstance(path[i + 1], int):
            nxt = data[part] = {}
            created = created or at
        elif isinstance(nxt, (int, float)) and "mean" in _form(node, {}).get("properties", {}):
            nxt = data[part] = {"mean": nxt}  # `deal_size: 40000` is {mean: 40000}
        data = None if nxt is MISSING else nxt
    target = created or path
    _drop_under(origins, target)
    origins[target] = Origin(top, None, f"{option} {override}")


# Public API ---------------------------------------------------------------------------------------


def _resolve(path: str | Path, overrides: Sequence[str] | None,
             vary: str | None = None) -> tuple[dict[Any, Any], Origins, str]:
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise ScenarioError(None, "path", path,
                            "expected the path of a scenario YAML file (str or Path)")
    file = os.fspath(path)
    if overrides is not None and not isinstance(overrides, Sequence):
        raise ScenarioError(file, "overrides", overrides, 'expected a list of "KEY.PATH=VALUE" '
                            'texts, e.g. ["roles.ae.headcount=25"]')
    top = Path(file)
    blame = partial(ScenarioError, file, "", os.path.abspath(file))
    raw, origins = _load_chain(top, file, [(safe_yaml.real_path(top), file)], blame)
    origins.setdefault((), Origin(file))
    for override in [overrides] if isinstance(overrides, str) else overrides or ():
        _apply_set(raw, origins, override, file)
    if vary is not None:
        _apply_set(raw, origins, vary, file, "--vary")
    return raw, origins, file


def resolve_raw(path: str | Path, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The scenario as a plain dict after `extends` and `--set`, before validation."""
    return _resolve(path, overrides)[0]


def load_scenario(path: str | Path, overrides: Sequence[str] = (), *,
                  replications: int | None = None, seed: int | None = None,
                  vary: str | None = None) -> Scenario:
    """Read, merge (`extends`, `--set`), validate and cross-check a scenario file.

    In order: the YAML (duplicate keys, keys that YAML reads as anything but text and YAML
    1.1's octal and base-60 numbers refused); `extends`, relative to the extending file (at
    most `MAX_EXTENDS` files, no cycles; mappings merge key by key, anything else replaces);
    `overrides`, then `vary` (one value of a `--vary` sweep, whose errors name `--vary`), each
    a path that must exist in the JSON Schema; `replications`, `seed`; plain text, the schema
    (unknown keys first) and the cross-checks. Raises `ScenarioError` for any problem.
    """
    raw, origins, top = _resolve(path, overrides, vary)
    for key, value in (("replications", replications), ("seed", seed)):
        if value is not None:
            raw[key] = value
            _drop_under(origins, (key,))
            origins[(key,)] = Origin(top, None, f"--{key}")
    scenario = validate_raw(raw, origins, top)
    if scenario.start_state is not None:
        scenario = _with_state(scenario, origins, top)
    return scenario


def _with_state(scenario: Scenario, origins: Origins, top: str) -> Scenario:
    """The scenario with `start_state` as an absolute path (it is relative to the file that
    set it; a --set's to the scenario file), once the state file reads and fits it."""
    from sim.state import StateError, load_state

    value = scenario.start_state
    origin = origins.get(("start_state",), Origin(top))
    base = os.path.dirname(origin.file or top)
    shown = os.path.normpath(os.path.join(base, value))
    try:
        load_state(os.path.abspath(shown), scenario, shown)
    except StateError as exc:
        if exc.key_path:
            raise
        raise _error_at(("start_state",), value, f"{exc.expected} ({shown})", origins,
                        top) from None
    return scenario.model_copy(update={"start_state": os.path.abspath(shown)})


def validate_raw(raw: dict[Any, Any], origins: Origins | None = None, file: str = "") -> Scenario:
    """Validate a resolved scenario dict: plain text, the schema, the cross-checks."""
    origins = origins if origins is not None else {}
    top = file or None
    if not isinstance(raw, dict):
        raise ScenarioError(top, "", raw, safe_yaml.TOP_EXPECTED)
    problem = bad_text(raw)
    if problem is not None:
        raise _error_at(problem.path, problem.value, problem.expected, origins, top)
    fail = partial(_error_at, origins=origins, top=top)
    raw, found = ranges.extract(raw, fail)  # ranges at their nominal values (sim.ranges)
    if not found:
        return _validate(raw, origins, top)
    scenario = ranges.validate_ends(raw, found, partial(_validate, origins=origins, top=top),
                                    fail)
    scenario._ranges = found
    return scenario


def _validate(raw: dict[Any, Any], origins: Origins, top: str | None) -> Scenario:
    """The schema and the cross-checks of a scenario without ranges."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation(exc, raw, origins, top) from None
    problem = next(problems(scenario), None)
    if problem is not None:
        written = _lookup(raw, problem.path)
        value = problem.value if written is MISSING or problem.key else written
        raise _error_at(problem.path, value, problem.expected, origins, top)
    return scenario


# Writing ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Plain YAML data: no None, integral floats as ints."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def scenario_to_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML: every key with its value or default, in schema
    order (a role shows the keys its kind uses; keys left unset, such as `accounts`, are
    omitted); ranges as written; mappings and lists of plain values in flow style. Loads back
    to an equal scenario (ranges included)."""
    data = scenario.model_dump(mode="python")
    for name, role in scenario.roles.items():
        used = KINDS[role.kind].keys | {"kind"}
        data["roles"][name] = {k: v for k, v in data["roles"][name].items() if k in used}
    data = _plain(data)
    for r in scenario.ranges:  # as written, on one line
        ranges.set_at(data, r.path, safe_yaml.FlowMap(_plain(r.written())))
    return yaml.dump(data, Dumper=safe_yaml.Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the resolved scenario as canonical JSON (sorted keys, no spaces),
    with its ranges as written under `ranges` (only when it has any)."""
    data = scenario.model_dump(mode="json")
    if scenario.ranges:
        data["ranges"] = {r.key: r.written() for r in scenario.ranges}
    payload = json.dumps(data, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
