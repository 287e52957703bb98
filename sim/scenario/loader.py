"""Read a scenario: YAML with line numbers, `extends`, `--set`, validation, cross-checks.

Every problem ends in one `ScenarioError`: the file (and line where known), the key path
(``roles.ae.ramp[2]``), the bad value and what was expected; nothing else escapes. Bounds and
types in messages are read from the JSON Schema (`schema.model_schema`). A file that does not
parse as a YAML mapping may be any file on the machine (`extends: /etc/shadow`), so its error
names the path, the line and what was expected, never its contents (`NOT_SHOWN`); once a file
is a YAML mapping, an error quotes the bad value.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim import ranges
from sim.roles import KINDS
from sim.scenario.checks import bad_text, did_you_mean, problems
from sim.scenario.errors import MISSING, NOT_SHOWN, ScenarioError, Unquoted, format_path
from sim.scenario.schema import MONTH_PATTERN, NAME_PATTERN, KeyValueError, Scenario, model_schema

PathT = tuple[Any, ...]
MAP_TAG, SEQ_TAG, MERGE_TAG, INT_TAG, FLOAT_TAG = (
    f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "merge", "int", "float"))
# YAML 1.1 (PyYAML) reads `1e5` and `1.5e5` as strings; read them as numbers, as YAML 1.2 does.
EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
MAX_NODES = 1_000_000  # guards against alias bombs
# A real scenario is a few KB (the shipped ones are under 4 KB); 1 MiB is hundreds of times
# that, and refusing more keeps `/dev/zero` or a 50 MB file from eating memory and minutes.
MAX_FILE_BYTES = 1 << 20
# Files in one `extends` chain (the scenario and its ancestors); real chains are 2-3 deep.
MAX_EXTENDS = 20
# YAML 1.1 reads `010` as octal 8 and `1:30` as base-60 90: a planner never means either.
OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
# What a path that is not a regular file is, by its file type.
FILE_TYPES = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFIFO: "a named pipe (FIFO)",
              stat.S_IFSOCK: "a socket"}
TOP_EXPECTED = "expected a mapping of scenario keys (name, start, segments, roles, ...)"
TOP_KEYS = frozenset(Scenario.model_fields) | {"extends"}
# An unknown top-level key is named only if it looks like a key someone typed; a file that
# is a mapping by accident (`root:*:19000:0:::` in /etc/shadow) is not quoted.
NAME_LIKE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NOT_A_KEY = f"a key that is not a scenario key (not shown); {TOP_EXPECTED}"
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
# What YAML made of a plain scalar, by its type, in words.
READ_AS = {bool: "the boolean", int: "the number", float: "the number",
           datetime.datetime: "the timestamp", datetime.date: "the date"}


class Origin(NamedTuple):
    """Where the value at a key path came from: a file and line, or an option."""

    file: str | None
    line: int | None = None
    via: str | None = None  # e.g. "--set roles.ae.headcount=25"


Origins = dict[PathT, Origin]


# YAML with duplicate-key detection and line numbers -----------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading `1e5`-style numbers as floats."""


_Loader.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))


class _Builder:
    """Builds Python data from a composed YAML node tree, recording each key path's line.

    PyYAML's own constructor silently keeps the last of duplicate keys and forgets where
    values came from; this walks the nodes with their paths, and leaves the values (tags,
    anchors, merge keys) to PyYAML.
    """

    def __init__(self, loader: _Loader, file: str, document: bool = False) -> None:
        self.loader, self.file, self.document = loader, file, document
        self.origins: Origins = {}
        self.active: set[int] = set()
        self.budget = MAX_NODES

    def fail(self, path: PathT, value: object, expected: str, node: Node) -> NoReturn:
        shown = format_path(path)
        if self.document and path and path[0] not in TOP_KEYS:
            # not (yet) known to be a scenario: name the key, not what the file holds
            shown, value = format_path(path[:1]) + ("..." if len(path) > 1 else ""), NOT_SHOWN
            expected = _without_content(expected)
        raise ScenarioError(self.file, shown, value, expected, node.start_mark.line + 1)

    def build(self, node: Node, path: PathT) -> Any:
        self.budget -= 1
        if self.budget < 0:
            self.fail(path, "(too many values)", "expected a scenario of reasonable size", node)
        if id(node) in self.active:
            self.fail(path, "(alias)", "a YAML alias refers to itself; expected data", node)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode) and node.tag == MAP_TAG:
                return self._mapping(node, path)
            if isinstance(node, SequenceNode) and node.tag == SEQ_TAG:
                return [self._at((*path, i), item, item) for i, item in enumerate(node.value)]
            return self._construct(node, path)
        finally:
            self.active.discard(id(node))

    def _at(self, path: PathT, line_node: Node, node: Node) -> Any:
        """The value of `node` at `path`, which is recorded as set on `line_node`'s line."""
        self.origins[path] = Origin(self.file, line_node.start_mark.line + 1)
        return self.build(node, path)

    def _construct(self, node: Node, path: PathT) -> Any:
        if isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            self._refuse_yaml11_number(node, path)
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            value = node.value if isinstance(node, ScalarNode) else f"({node.tag})"
            self.fail(
                path, value, f"cannot read this value ({reason}); expected plain YAML data", node
            )

    def _refuse_yaml11_number(self, node: ScalarNode, path: PathT) -> None:
        """Refuse YAML 1.1's octal (`010` = 8) and base-60 (`1:30` = 90) numbers."""
        text = node.value.replace("_", "")
        if OCTAL.match(node.value) and text.lstrip("+-") != "0":
            self.fail(path, node.value, "YAML 1.1 reads a number with a leading zero as octal "
                      f"({int(text, 8)}); expected {text.lstrip('+-').lstrip('0') or '0'} "
                      "without the leading zero, or quotes for text", node)
        if SEXAGESIMAL.match(node.value):
            self.fail(path, node.value, "YAML 1.1 reads a:b as a base-60 number "
                      f"({self.loader.construct_object(node)}); expected a plain number, or "
                      "quotes for text", node)

    def _key(self, key_node: Node, path: PathT) -> str:
        if not isinstance(key_node, ScalarNode):
            self.fail(path, "(complex key)", "expected a plain key (a name)", key_node)
        key = self._construct(key_node, path)
        if not isinstance(key, str):
            text = key_node.value
            self.fail((*path, text), text, f"this key reads as {_read_as(key)} in YAML; "
                      f"expected a name (text): write it in quotes, '{text}'", key_node)
        if self.document and not path and key not in TOP_KEYS and not NAME_LIKE.match(key):
            self.fail((), NOT_SHOWN, NOT_A_KEY, key_node)
        return key

    def _mapping(self, node: MappingNode, path: PathT) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self._key(key_node, path)
            if key in seen:
                self.fail(
                    (*path, key), self.build(value_node, (*path, key)),
                    f"duplicate key '{key}' (first set on line {seen[key]}); expected each "
                    "key once (YAML would silently keep the last)",
                    key_node,
                )
            seen[key] = key_node.start_mark.line + 1
        try:  # YAML merge keys (`<<: *defaults`) first; the mapping's own keys override them
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            self.fail(path, f"({exc.problem})", "a YAML merge key (<<) needs a mapping", node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key in result:  # an own key overrides a merged-in value
                _drop_under(self.origins, (*path, key))
            result[key] = self._at((*path, key), key_node, value_node)
        return result


def _read_as(value: object) -> str:
    """What YAML made of a plain scalar, in words: `the boolean true`, `the date ...`."""
    if value is None:
        return "null (nothing)"
    if type(value) not in READ_AS:
        return f"a value of type {type(value).__name__}"
    text = value.isoformat() if isinstance(value, datetime.date) else str(value).lower()
    return f"{READ_AS[type(value)]} {text}"


def _without_content(problem: str) -> str:
    """A YAML parser message with anything quoted from the file (an alias, a tag, a
    directive) left out; single characters and token names (`'<scalar>'`) are kept."""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if len(inner) <= 2 or inner.startswith("<") else "'...'"

    return re.sub(r"'[^']*'|\"[^\"]*\"", keep, problem)


def _parse_yaml(text: str, file: str, document: bool = False) -> tuple[Any, Origins]:
    """Parse one YAML document; (None, {}) when it holds nothing.

    `document`: `text` is a whole file, which must hold a mapping; an error about a file
    that does not parse as one never shows its contents.
    """
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if document and not isinstance(node, MappingNode):
            what = "a list" if isinstance(node, SequenceNode) else "a single value"
            raise ScenarioError(file, "", NOT_SHOWN, f"the top level is {what}; {TOP_EXPECTED}",
                                node.start_mark.line + 1)
        builder = _Builder(loader, file, document)
        data = builder._at((), node, node)
        return data, builder.origins
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem:
            started = exc.context_mark
            far = started is not None and mark is not None and started.line != mark.line
            problem += f" ({exc.context}{f' started on line {started.line + 1}' if far else ''})"
        raise ScenarioError(
            file, "", NOT_SHOWN if document else "",
            f"invalid YAML: {_without_content(problem)}; expected a scenario file in YAML",
            mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError(
            file, "", f"U+{char:04X}", "invalid YAML: a control character YAML does not allow",
            text.count("\n", 0, exc.position) + 1,
        ) from None
    except yaml.YAMLError:
        raise ScenarioError(file, "", NOT_SHOWN, "invalid YAML") from None
    except RecursionError:
        raise ScenarioError(file, "", "(deep nesting)", "invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


# Files and `extends` ------------------------------------------------------------------------------

Blame = Callable[[str], ScenarioError]  # the error for a file that cannot be read, by why


def _real(path: Path) -> Path:
    """The path with symlinks resolved (to recognise a file seen before), where possible."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return path


def _read(path: Path, file: str, blame: Blame, reached: str) -> tuple[dict[Any, Any], Origins]:
    """A regular file of at most `MAX_FILE_BYTES`, UTF-8, that holds a YAML mapping; devices,
    pipes and directories are refused before reading (or opening), and no more than the cap
    is read. What cannot be read is blamed on `blame` (the file, or the `extends` that
    `reached` it: `" (extended by child.yaml:1)"`), what does not parse on the file."""
    where = os.path.abspath(path)
    limit = f"at most {MAX_FILE_BYTES // (1 << 20)} MiB (a scenario is a few KB)"
    data = b""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode):
            # O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
            with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
                info = os.fstat(f.fileno())
                mode = info.st_mode
                if stat.S_ISREG(mode) and info.st_size > MAX_FILE_BYTES:
                    raise blame(f"{where} holds {info.st_size:,} bytes; expected a scenario "
                                f"file of {limit}")
                data = f.read(MAX_FILE_BYTES + 1) if stat.S_ISREG(mode) else b""
    except FileNotFoundError:
        raise blame(f"no such file ({where}); expected a scenario YAML file") from None
    except IsADirectoryError:
        mode = stat.S_IFDIR
    except PermissionError:
        raise blame(f"cannot read {where} (permission denied); expected a readable scenario "
                    "file") from None
    except OSError as exc:
        raise blame(f"cannot read {where} ({exc.strerror or exc}); expected a scenario YAML "
                    "file") from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise blame(f"not a usable path ({exc}); expected a scenario YAML file") from None
    if not stat.S_ISREG(mode):
        what = FILE_TYPES.get(stat.S_IFMT(mode), "a special file")
        raise blame(f"{where} is {what}{'' if stat.S_ISDIR(mode) else ', not a regular file'}; "
                    "expected a scenario YAML file")
    if len(data) > MAX_FILE_BYTES:
        raise blame(f"{where} holds more than {MAX_FILE_BYTES:,} bytes; expected a scenario "
                    f"file of {limit}")
    try:
        parsed, origins = _parse_yaml(data.decode("utf-8-sig"), file, document=True)
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, "", NOT_SHOWN, "the file is not UTF-8 text; expected a UTF-8 "
                            f"YAML file{reached}", exc.object[: exc.start].count(b"\n") + 1
                            ) from None
    except ScenarioError as exc:
        if exc.key_path or not reached:
            raise
        raise ScenarioError(exc.file, exc.key_path, exc.value, exc.expected + reached,
                            exc.line) from None
    if parsed is None:
        raise ScenarioError(file, "", Unquoted("empty"),
                            f"the file holds no YAML data; {TOP_EXPECTED}{reached}")
    return parsed, origins


def _load_chain(path: Path, file: str, chain: list[tuple[Path, str]], blame: Blame,
                reached: str = "") -> tuple[dict[Any, Any], Origins]:
    """The file merged over the files it `extends`, with the origin of each key path."""
    data, origins = _read(path, file, blame, reached)
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
    key = _real(parent_path)
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
            if not (isinstance(path[0], str) and NAME_LIKE.match(path[0])):
                path, message = (), NOT_A_KEY
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
    """Apply one `KEY.PATH=VALUE`; errors name `option` (`--set`, or `--vary` in a sweep)."""
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

    def fail(at: PathT, why: str, value: object = value_text) -> NoReturn:
        raise ScenarioError(top, format_path(at), value, f"{option}: {why}")

    try:
        value, _ = _parse_yaml(value_text, f"{option} {override}")
    except ScenarioError as exc:
        fail(path, f"the value is not valid YAML ({exc.expected}); quote it")
    node: dict[str, Any] | None = SCHEMA
    container: Any = raw
    created: PathT | None = None  # the first key this override creates
    for i, part in enumerate(path):
        here, at = format_path(path[:i]), path[: i + 1]
        form = _form(node, container)
        if form.get("type") == "object":
            if not isinstance(container, dict):
                fail(path[:i], f"{here or 'the scenario'} is not a mapping", container)
            if isinstance(part, int):
                fail(at, f"{here} is a mapping, not a list")
            problem = _unknown_key(form, container, part, False)
            if problem:
                fail(at, problem)
        elif form.get("type") == "array":
            if not isinstance(part, int):
                fail(at, f"{here} is a list; expected an index like {path[i - 1]}[0]")
            if container is None:  # a list the scenario does not set: no items to override
                fail(at, f"{here} is not in the scenario; set the whole list, e.g. "
                         f"--set {here}=[...]")
            if not isinstance(container, list):
                fail(path[:i], f"{here} is not a list here", container)
            if not -len(container) <= part < len(container):
                fail(at, f"index {part} is out of range; {here} has {len(container)} values")
        else:
            fail(at, f"{here} holds a single value; it has no key '{part}'")
        node = _child(form, part)
        if i == len(path) - 1:
            container[part] = value
            break
        nxt = _lookup(container, (part,))
        if nxt is MISSING or nxt is None:
            kind = _form(node, [] if isinstance(path[i + 1], int) else {}).get("type")
            nxt = {} if kind == "object" else None
            if kind == "object":
                container[part] = nxt
                created = created or at
        elif isinstance(nxt, (int, float)) and "mean" in _form(node, {}).get("properties", {}):
            nxt = container[part] = {"mean": nxt}  # `deal_size: 40000` is {mean: 40000}
        container = nxt
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
    raw, origins = _load_chain(top, file, [(_real(top), file)], blame)
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
    return validate_raw(raw, origins, top)


def validate_raw(raw: dict[Any, Any], origins: Origins | None = None, file: str = "") -> Scenario:
    """Validate a resolved scenario dict: plain text, the schema, the cross-checks."""
    origins = origins if origins is not None else {}
    top = file or None
    if not isinstance(raw, dict):
        raise ScenarioError(top, "", raw, TOP_EXPECTED)
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


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Quote strings such as "1e5" that `_Loader` would read back as numbers.
_Dumper.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))


class _FlowMap(dict):
    """A mapping written on one line (`{between: [1.05, 1.2], likely: 1.12}`)."""


_Dumper.add_representer(_FlowMap, lambda dumper, data: dumper.represent_mapping(
    MAP_TAG, data, flow_style=True))


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
        ranges.set_at(data, r.path, _FlowMap(_plain(r.written())))
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
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
