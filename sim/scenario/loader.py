"""Read a scenario: YAML with line numbers, `extends`, `--set`, validation, cross-checks.

Every problem ends in one `ScenarioError` naming the file (and line where known), the key
path (``roles.ae.ramp[2]``), the bad value and what was expected; nothing else escapes.

Steps of `load_scenario`:

1. read the file (a regular file of at most `MAX_FILE_BYTES`, UTF-8) and parse it with a
   YAML loader that rejects duplicate keys, keys that YAML reads as anything but text and
   YAML 1.1's octal and base-60 numbers, and records the line of every key path;
2. follow `extends` (relative to the extending file, chains of at most `MAX_EXTENDS` files,
   cycles rejected) and deep-merge: mappings merge key by key, lists and scalars replace;
   `extends` is dropped;
3. apply `--set KEY.PATH=VALUE` overrides (value parsed as YAML; the path must exist in the
   schema), then `replications` / `seed`;
4. reject text that is not plain Unicode text and unknown keys (with a "did you mean"
   hint), validate with the pydantic schema, and run the cross-checks of `checks.py`.

What an error may show: a file that does not parse as a YAML mapping (not UTF-8, invalid
YAML, empty, a single value or a list at the top) may be any file on the machine
(`extends: /etc/shadow`), so its error names the path, the line and what was expected,
never its contents (`NOT_SHOWN`). Once a file is a YAML mapping it is read as a scenario,
and an error quotes the value at the bad key path, as the spec asks.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import json
import os
import re
import stat
import types
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.scenario.checks import bad_text, did_you_mean, first_problem
from sim.scenario.errors import MISSING, NOT_SHOWN, ScenarioError, Unquoted, format_path
from sim.scenario.schema import (
    KIND_KEYS,
    Dist,
    Hire,
    KeyValueError,
    Program,
    Role,
    Scenario,
    Targets,
)

PathT = tuple[Any, ...]

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"
FLOAT_TAG = "tag:yaml.org,2002:float"
INT_TAG = "tag:yaml.org,2002:int"
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
TOP_EXPECTED = "expected a mapping of scenario keys (name, start, segments, roles, ...)"
TOP_KEYS = frozenset(Scenario.model_fields) | {"extends"}
# An unknown top-level key is named only if it looks like a key someone typed; a file that
# is a mapping by accident (`root:*:19000:0:::` in /etc/shadow) is not quoted.
NAME_LIKE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
VALUE_NOT_SHOWN = Unquoted("value not shown")
NAME_EXPECTED = (
    "expected a name of lowercase letters, digits, '_' and '-' (it names the output folder)"
)
SET_EXAMPLE = "expected --set KEY.PATH=VALUE, e.g. --set roles.ae.headcount=25"
VARY_EXAMPLE = "expected --vary KEY.PATH=V1,V2,..., e.g. --vary roles.ae.headcount=20,22,25"


@dataclass(frozen=True)
class Origin:
    """Where the value at a key path came from: a file and line, or an option."""

    file: str | None
    line: int | None = None
    via: str | None = None  # e.g. "--set roles.ae.headcount=25"


Origins = dict[PathT, Origin]


# --------------------------------------------------------------------------------------
# YAML with duplicate-key detection and line numbers


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading `1e5`-style numbers as floats."""


_Loader.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))


class _Builder:
    """Builds Python data from a composed YAML node tree, recording each key path's line.

    PyYAML's own constructor silently keeps the last of duplicate keys and forgets where
    values came from; this walks the nodes with their paths instead.
    """

    def __init__(self, loader: _Loader, file: str, document: bool = False) -> None:
        self.loader = loader
        self.file = file
        self.document = document  # a whole file: values under unknown top keys not shown
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
                items = []
                for i, item in enumerate(node.value):
                    self.origins[(*path, i)] = Origin(self.file, item.start_mark.line + 1)
                    items.append(self.build(item, (*path, i)))
                return items
            return self._construct(node, path)
        finally:
            self.active.discard(id(node))

    def _construct(self, node: Node, path: PathT) -> Any:
        if isinstance(node, ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            _check_yaml11_number(node, path, self)
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            value = node.value if isinstance(node, ScalarNode) else f"({node.tag})"
            self.fail(
                path, value, f"cannot read this value ({reason}); expected plain YAML data", node
            )

    def _mapping(self, node: MappingNode, path: PathT) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        # YAML merge keys (`<<: *defaults`) first; the mapping's own keys override them.
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                merged = self.build(source, path)
                if not isinstance(merged, dict):
                    self.fail(path, merged, "a YAML merge key (<<) needs a mapping", source)
                for key, value in merged.items():
                    result.setdefault(key, value)
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.fail(path, "(complex key)", "expected a plain key (a name)", key_node)
            key = self._construct(key_node, path)
            if not isinstance(key, str):
                text = key_node.value
                self.fail(
                    (*path, text), text,
                    f"this key reads as {_read_as(key)} in YAML; expected a name (text): "
                    f"write it in quotes, '{text}'",
                    key_node,
                )
            if self.document and not path and key not in TOP_KEYS and not NAME_LIKE.match(key):
                self.fail(
                    (), NOT_SHOWN, f"a key that is not a scenario key (not shown); {TOP_EXPECTED}",
                    key_node,
                )
            child = (*path, key)
            if key in seen:
                self.fail(
                    child, self.build(value_node, child),
                    f"duplicate key '{key}' (first set on line {seen[key]}); expected each "
                    "key once (YAML would silently keep the last)",
                    key_node,
                )
            seen[key] = line
            if key in result:  # overrides a merged-in value: forget where that came from
                _drop_under(self.origins, child)
            self.origins[child] = Origin(self.file, line)
            result[key] = self.build(value_node, child)
        return result


def _read_as(value: object) -> str:
    """What YAML made of a plain scalar, in words: `the boolean true`, `the date ...`."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, datetime.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return f"a value of type {type(value).__name__}"


def _check_yaml11_number(node: ScalarNode, path: PathT, builder: _Builder) -> None:
    """Refuse YAML 1.1's octal (`010` = 8) and base-60 (`1:30` = 90) numbers."""
    text = node.value.replace("_", "")
    if OCTAL.match(node.value) and text.lstrip("+-") != "0":
        value = int(text, 8) if text.lstrip("+-0") else 0
        plain = text.lstrip("+-").lstrip("0") or "0"
        builder.fail(
            path, node.value,
            f"YAML 1.1 reads a number with a leading zero as octal ({value}); expected "
            f"{plain} without the leading zero, or quotes for text",
            node,
        )
    if SEXAGESIMAL.match(node.value):
        value = builder.loader.construct_object(node)
        builder.fail(
            path, node.value,
            f"YAML 1.1 reads a:b as a base-60 number ({value}); expected a plain number, or "
            "quotes for text",
            node,
        )


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _without_content(problem: str) -> str:
    """A YAML parser message with anything quoted from the file (an alias, a tag, a
    directive) left out; single characters and token names (`'<scalar>'`) are kept."""

    def keep(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        return match.group(0) if len(inner) <= 2 or inner.startswith("<") else "'...'"

    return _QUOTED.sub(keep, problem)


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
            raise ScenarioError(
                file, "", NOT_SHOWN, f"the top level is {what}; {TOP_EXPECTED}",
                node.start_mark.line + 1,
            )
        builder = _Builder(loader, file, document)
        data = builder.build(node, ())
        builder.origins[()] = Origin(file, node.start_mark.line + 1)
        return data, builder.origins
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem:
            context = exc.context
            started = exc.context_mark
            if started is not None and mark is not None and started.line != mark.line:
                context = f"{context} started on line {started.line + 1}"
            problem = f"{problem} ({context})"
        raise ScenarioError(
            file, "", NOT_SHOWN if document else "",
            f"invalid YAML: {_without_content(problem)}; expected a scenario file in YAML",
            line,
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ScenarioError(
            file, "", f"U+{char:04X}", "invalid YAML: a control character YAML does not allow",
            line,
        ) from None
    except yaml.YAMLError:
        raise ScenarioError(file, "", NOT_SHOWN, "invalid YAML") from None
    except RecursionError:
        raise ScenarioError(
            file, "", "(deep nesting)", "invalid YAML: nested too deeply"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


# --------------------------------------------------------------------------------------
# Files and `extends`


@dataclass(frozen=True)
class _Blame:
    """Whom to blame when a file cannot be read: the file itself or an `extends` key."""

    file: str
    key: str
    value: object
    line: int | None


def _real(path: Path) -> Path:
    """The path with symlinks resolved (to recognise a file seen before), where possible."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return path


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (`a directory`, ...), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _FILE_KINDS if test(mode)), "not a regular file")


def _read_bytes(path: Path, blame: _Blame) -> bytes:
    """The bytes of a regular file of at most `MAX_FILE_BYTES`; devices, pipes and
    directories are refused before reading, and no more than the cap is ever read."""

    def fail(why: str) -> NoReturn:
        raise ScenarioError(blame.file, blame.key, blame.value, why, blame.line) from None

    where = os.path.abspath(path)
    chunks: list[bytes] = []
    size = 0
    limit = f"at most {MAX_FILE_BYTES // (1 << 20)} MiB (a scenario is a few KB)"
    try:
        what = _not_regular(os.stat(path).st_mode)
        if what is None:
            # O_NONBLOCK: a FIFO swapped in after the stat must not block the open.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            try:
                info = os.fstat(fd)
                what = _not_regular(info.st_mode)
                if what is None and info.st_size > MAX_FILE_BYTES:
                    fail(f"{where} holds {info.st_size:,} bytes; expected a scenario file "
                         f"of {limit}")
                while what is None and size <= MAX_FILE_BYTES:
                    chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
            finally:
                os.close(fd)
        if what == "a directory":
            fail(f"{where} is a directory; expected a scenario YAML file")
        if what is not None:
            fail(f"{where} is {what}, not a regular file; expected a scenario YAML file")
    except FileNotFoundError:
        fail(f"no such file ({where}); expected a scenario YAML file")
    except IsADirectoryError:
        fail(f"{where} is a directory; expected a scenario YAML file")
    except PermissionError:
        fail(f"cannot read {where} (permission denied); expected a readable scenario file")
    except OSError as exc:
        fail(f"cannot read {where} ({exc.strerror or exc}); expected a scenario YAML file")
    except ValueError as exc:  # e.g. a NUL byte in the path
        fail(f"not a usable path ({exc}); expected a scenario YAML file")
    if size > MAX_FILE_BYTES:
        fail(f"{where} holds more than {MAX_FILE_BYTES:,} bytes; expected a scenario file "
             f"of {limit}")
    return b"".join(chunks)


def _read_text(path: Path, file: str, blame: _Blame) -> str:
    data = _read_bytes(path, blame)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(
            file, "", NOT_SHOWN,
            "the file is not UTF-8 text; expected a UTF-8 YAML file" + _reached(blame),
            line,
        ) from None


def _reached(blame: _Blame) -> str:
    """` (extended by child.yaml:1)` for a file reached through `extends`, else ''."""
    if blame.key != "extends":
        return ""
    where = blame.file if blame.line is None else f"{blame.file}:{blame.line}"
    return f" (extended by {where})"


def _read_mapping(path: Path, file: str, blame: _Blame) -> tuple[dict[Any, Any], Origins]:
    text = _read_text(path, file, blame)
    try:
        data, origins = _parse_yaml(text, file, document=True)
    except ScenarioError as exc:
        if exc.key_path or not _reached(blame):
            raise
        raise ScenarioError(
            exc.file, exc.key_path, exc.value, exc.expected + _reached(blame), exc.line
        ) from None
    if data is None:
        raise ScenarioError(
            file, "", Unquoted("empty"),
            f"the file holds no YAML data; {TOP_EXPECTED}" + _reached(blame),
        )
    return data, origins


def _load_chain(
    path: Path, file: str, chain: list[tuple[Path, str]], blame: _Blame
) -> tuple[dict[Any, Any], Origins]:
    data, origins = _read_mapping(path, file, blame)
    if "extends" not in data:
        return data, origins
    parent_ref = data.pop("extends")
    line = origins.pop(("extends",), Origin(file)).line
    _drop_under(origins, ("extends",))
    if parent_ref is None:
        return data, origins
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(
            file, "extends", parent_ref,
            "expected the path of another scenario file, relative to this one", line,
        )
    parent_path = path.parent / parent_ref
    parent_file = os.path.normpath(os.path.join(os.path.dirname(file), parent_ref))
    key = _real(parent_path)
    seen = [p for p, _ in chain]
    if len(chain) >= MAX_EXTENDS and key not in seen:
        raise ScenarioError(
            file, "extends", parent_ref,
            f"the extends chain that starts at {chain[0][1]} goes on past {MAX_EXTENDS} "
            f"files; expected at most {MAX_EXTENDS} files in a chain",
            line,
        )
    if key in seen:
        names = [f for _, f in chain] + [parent_file]
        raise ScenarioError(
            file, "extends", parent_ref,
            f"extends cycle: {' -> '.join(names)}; expected a chain of files that ends in "
            "one without extends",
            line,
        )
    parent, parent_origins = _load_chain(
        parent_path, parent_file, [*chain, (key, parent_file)],
        _Blame(file, "extends", parent_ref, line),
    )
    return _merge(parent, parent_origins, data, origins)


def _merge(
    base: dict[Any, Any], base_origins: Origins, over: dict[Any, Any], over_origins: Origins
) -> tuple[dict[Any, Any], Origins]:
    """Deep-merge `over` into `base`: mappings merge key by key, anything else replaces."""
    origins = dict(base_origins)

    def merge(left: dict[Any, Any], right: dict[Any, Any], path: PathT) -> dict[Any, Any]:
        out = dict(left)
        for key, value in right.items():
            child = (*path, key)
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value, child)
                if child in over_origins:
                    origins[child] = over_origins[child]
            else:
                _drop_under(origins, child)
                origins.update(_under(over_origins, child))
                out[key] = value
        return out

    merged = merge(base, over, ())
    if () in over_origins:
        origins[()] = over_origins[()]
    return merged, origins


def _under(origins: Origins, prefix: PathT) -> Origins:
    n = len(prefix)
    return {p: o for p, o in origins.items() if p[:n] == prefix}


def _drop_under(origins: Origins, prefix: PathT) -> None:
    for p in list(_under(origins, prefix)):
        del origins[p]


# --------------------------------------------------------------------------------------
# The schema as a tree of type nodes: navigation, descriptions, unknown keys


@dataclass(frozen=True)
class _T:
    """A type in the schema with its constraints (ge, le, min_length, ...)."""

    tp: Any
    meta: tuple[Any, ...] = ()
    label: str | None = None  # how to describe this key, where the type says too little

    @property
    def kind(self) -> str:
        tp, origin = self.tp, get_origin(self.tp)
        if origin in (Union, types.UnionType):
            return "union"
        if origin is Literal:
            return "literal"
        if origin is list:
            return "list"
        if origin is dict:
            return "dict"
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return "model"
        return "scalar"

    def limits(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in self.meta:
            for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
                if getattr(item, attr, None) is not None:
                    out[attr] = getattr(item, attr)
        return out


def _t(tp: Any, meta: Sequence[Any] = ()) -> _T:
    """A type node, with `Annotated` constraints unwrapped and `X | None` reduced to X."""
    extra = list(meta)
    while True:
        if get_origin(tp) is Annotated:
            tp, *items = get_args(tp)
            for item in items:
                extra.extend(item.metadata if isinstance(item, FieldInfo) else [item])
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return _T(tp, tuple(extra))


ROOT = _t(Scenario)


MONTH = "a month as YYYY-MM, e.g. 2027-01"
FIELD_LABELS: dict[tuple[type[BaseModel], str], str] = {
    (Scenario, "name"): "a name of lowercase letters, digits, '_' and '-'",
    (Scenario, "start"): MONTH,
    (Hire, "month"): MONTH,
    (Program, "start"): MONTH,
    (Role, "segment"): "the name of a segment",
    (Hire, "role"): "the name of a role",
    (Targets, "role"): "the name of a role",
}


def _field(model: type[BaseModel], name: str) -> _T:
    info = model.model_fields[name]
    node = _t(info.annotation, info.metadata)
    label = FIELD_LABELS.get((model, name))
    return replace(node, label=label) if label else node


def _members(node: _T) -> list[_T]:
    return [_t(a) for a in get_args(node.tp) if a is not type(None)]


def _member_for(node: _T, data: Any) -> _T:
    """The member of a union that fits `data`'s shape (a list, a mapping, or a scalar)."""
    members = _members(node)
    for member in members:
        if isinstance(data, list) and member.kind == "list":
            return member
        if isinstance(data, dict) and member.kind in ("dict", "model"):
            return member
    scalars = [m for m in members if m.kind not in ("list", "dict", "model")]
    return (scalars or members)[0]


def _member_for_tag(node: _T, tag: object) -> _T:
    """The member of a union that pydantic's loc tag (`list[constrained-float]`) names."""
    text = str(tag)
    members = _members(node)
    for member in members:
        if text.startswith(member.kind):
            return member
        if member.kind == "model" and text == member.tp.__name__:
            return member
    scalars = [m for m in members if m.kind not in ("list", "dict", "model")]
    return (scalars or members)[0]


def _child(node: _T, key: Any) -> _T | None:
    """The type node at `key` inside `node`; None if the schema has no such key."""
    if node.kind == "model":
        return _field(node.tp, key) if key in node.tp.model_fields else None
    if node.kind == "dict":
        return _t(get_args(node.tp)[1])
    if node.kind == "list" and isinstance(key, int):
        return _t(get_args(node.tp)[0])
    return None


def _fmt_num(x: float) -> str:
    return f"{x:_}" if float(x).is_integer() and abs(x) >= 1e6 else f"{x:g}"


def describe(node: _T, plural: bool = False) -> str:
    """What a value of this type looks like, in a planner's words."""
    if node.label:
        return node.label
    kind = node.kind
    if kind == "union":
        return " or ".join(describe(m, plural) for m in _members(node))
    if kind == "literal":
        return "one of " + ", ".join(str(v) for v in get_args(node.tp))
    if kind == "list":
        item = describe(_t(get_args(node.tp)[0]), plural=True)
        if node.limits().get("min_length"):
            return f"a non-empty list of {item}"
        return f"a list of {item}"
    if kind == "dict":
        key_t, value_t = (_t(a) for a in get_args(node.tp))
        keys = (
            "levers (" + ", ".join(get_args(key_t.tp)) + ")" if key_t.kind == "literal" else "names"
        )
        mapping = "a non-empty mapping" if node.limits().get("min_length") else "a mapping"
        return f"{mapping} of {keys} to {describe(value_t, plural=True)}"
    if kind == "model":
        model = node.tp
        if issubclass(model, Dist):
            return "numbers or {mean, cv} mappings" if plural else "a number or {mean, cv}"
        fields = list(model.model_fields)
        if len(fields) <= 3:
            keys = ", ".join(fields)
            return f"mappings with keys {keys}" if plural else f"a mapping with keys {keys}"
        label = model.__name__.lower()
        return f"{label} settings" if plural else f"a mapping of {label} settings"
    if node.tp is bool:
        return "true or false"
    if node.tp is str:
        return "texts" if plural else "text"
    if node.tp in (int, float):
        noun = "whole number" if node.tp is int else "number"
        noun = f"{noun}s" if plural else f"a {noun}"
        return noun + _range(node.limits())
    return "a value"


def _range(lim: dict[str, Any]) -> str:
    low = ("[", lim["ge"]) if "ge" in lim else ("(", lim["gt"]) if "gt" in lim else None
    high = ("]", lim["le"]) if "le" in lim else (")", lim["lt"]) if "lt" in lim else None
    if low and high:
        return f" in {low[0]}{_fmt_num(low[1])}, {_fmt_num(high[1])}{high[0]}"
    if low:
        return f" {'>=' if low[0] == '[' else '>'} {_fmt_num(low[1])}"
    if high:
        return f" {'<=' if high[0] == ']' else '<'} {_fmt_num(high[1])}"
    return ""


def _type_name(value: object, article: bool = False) -> str:
    if isinstance(value, dict):
        name = "a mapping" if article else "mapping"
    elif isinstance(value, list):
        name = "a list" if article else "list"
    elif isinstance(value, str):
        name = "text"
    elif value is None:
        name = "null"
    elif isinstance(value, bool):
        name = "true/false"
    elif isinstance(value, (int, float)):
        name = "a number" if article else "number"
    else:
        name = type(value).__name__
    return name


def _model_keys(node: _T, data: Any) -> list[str]:
    """The keys a mapping of this model may hold (a role: those its kind uses)."""
    keys = list(node.tp.model_fields)
    kind = data.get("kind") if isinstance(data, dict) else None
    if node.tp is Role and isinstance(kind, str) and kind in KIND_KEYS:
        used = KIND_KEYS[kind] | {"kind"}
        keys = [k for k in keys if k in used]
    return keys


def _unknown_key_message(key: Any, allowed: list[str], hint_from: list[str]) -> str:
    hint = did_you_mean(key, hint_from)
    if hint:
        return f"unknown key '{key}'{hint}"
    return f"unknown key '{key}'; expected one of: {', '.join(allowed)}"


def _find_unknown_key(data: Any, node: _T, path: PathT) -> tuple[PathT, Any, str] | None:
    """The first key (in file order) that the schema does not know, with a hint."""
    if node.kind == "union":
        node = _member_for(node, data)
    if node.kind == "model" and isinstance(data, dict):
        fields = node.tp.model_fields
        for key, value in data.items():
            if key not in fields:
                allowed = _model_keys(node, data)
                hint_from = [*allowed, *(k for k in fields if k not in allowed)]
                if not path:
                    hint_from.append("extends")
                return (*path, key), value, _unknown_key_message(key, allowed, hint_from)
            found = _find_unknown_key(value, _field(node.tp, key), (*path, key))
            if found:
                return found
    elif node.kind == "dict" and isinstance(data, dict):
        key_t, value_t = (_t(a) for a in get_args(node.tp))
        for key, value in data.items():
            if key_t.kind == "literal" and key not in get_args(key_t.tp):
                allowed = list(get_args(key_t.tp))
                return (*path, key), value, _unknown_key_message(key, allowed, allowed)
            found = _find_unknown_key(value, value_t, (*path, key))
            if found:
                return found
    elif node.kind == "list" and isinstance(data, list):
        item_t = _t(get_args(node.tp)[0])
        for i, value in enumerate(data):
            found = _find_unknown_key(value, item_t, (*path, i))
            if found:
                return found
    return None


# --------------------------------------------------------------------------------------
# Errors located in the files


def _lookup(data: Any, path: PathT) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and -len(data) <= part < len(data):
            data = data[part]
        else:
            return MISSING
    return data


def _error_at(
    path: PathT, value: object, expected: str, origins: Origins, top: str | None
) -> ScenarioError:
    """A `ScenarioError` at `path`, naming the file and line its value came from."""
    origin = Origin(top)
    for n in range(len(path), -1, -1):
        if path[:n] in origins:
            origin = origins[path[:n]]
            break
    if origin.via:
        expected = f"{expected} (from {origin.via})"
    return ScenarioError(origin.file, format_path(path), value, expected, origin.line)


@dataclass
class _Loc:
    path: PathT
    node: _T | None
    union_at: int | None  # length of the path at which a union member was chosen
    key_error: bool  # the error is about a mapping's key, not its value


def _walk_loc(loc: Sequence[Any]) -> _Loc:
    """A pydantic `loc` as a key path, with union member tags and `[key]` taken out."""
    node: _T | None = ROOT
    path: list[Any] = []
    union_at = None
    for part in loc:
        if node is not None and node.kind == "union":
            union_at = len(path)
            node = _member_for_tag(node, part)
            continue
        if part == "[key]":
            return _Loc(tuple(path), node, union_at, True)
        path.append(part)
        node = _child(node, part) if node is not None else None
    return _Loc(tuple(path), node, union_at, False)


def _literal_hint(node: _T | None, value: object) -> str:
    if node is not None and node.kind == "literal":
        return did_you_mean(value, [str(v) for v in get_args(node.tp)])
    return ""


def _from_validation(
    exc: ValidationError, raw: dict[Any, Any], origins: Origins, top: str | None
) -> ScenarioError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = _walk_loc(first["loc"])
    if where.union_at is not None:
        # pydantic reports one error per member of a union (`tenure_months`: a number or
        # a list): keep the one that got deepest into the value, or describe the union.
        prefix = where.path[: where.union_at]
        group = [_walk_loc(e["loc"]) for e in errors]
        group_errors = [
            (w, e) for w, e in zip(group, errors, strict=True)
            if w.union_at == where.union_at and w.path[: where.union_at] == prefix
        ]
        deepest, err = max(group_errors, key=lambda we: len(we[0].path))
        if len(deepest.path) == where.union_at:
            union = ROOT
            for part in prefix:
                union = _child(union, part) if union is not None else None
            expected = "expected " + (describe(union) if union else "another value")
            return _error_at(prefix, _lookup(raw, prefix), expected, origins, top)
        where, first = deepest, err
    path, node, kind = where.path, where.node, first["type"]
    value = _lookup(raw, path)
    if where.key_error:
        key = path[-1] if path else None
        parent = _walk_loc(first["loc"][: list(first["loc"]).index("[key]") - 1]).node
        if parent is not None and parent.kind == "dict":
            key_t = _t(get_args(parent.tp)[0])
            if key_t.kind == "literal":
                allowed = list(get_args(key_t.tp))
                message = _unknown_key_message(key, allowed, allowed)
                return _error_at(path, value, message, origins, top)
        return _error_at(
            path, key, f"expected a name (text) as key; got {_type_name(key)}", origins, top
        )
    if kind in ("value_error", "assertion_error"):
        error = (first.get("ctx") or {}).get("error")
        message = str(error) if error is not None else first["msg"]
        if isinstance(error, KeyValueError):
            path = (*path, error.key)
            value = _lookup(raw, path)
        return _error_at(path, value, message, origins, top)
    if kind == "missing":
        what = describe(node) if node is not None else "a value"
        return _error_at(path, MISSING, f"required key is missing; expected {what}", origins, top)
    if kind == "extra_forbidden":
        return _error_at(path, value, f"unknown key '{path[-1]}'", origins, top)
    if kind == "string_pattern_mismatch" and path == ("name",):
        return _error_at(path, value, NAME_EXPECTED, origins, top)
    if kind == "string_too_long":
        limit = (first.get("ctx") or {}).get("max_length")
        return _error_at(path, value, f"expected at most {limit} characters", origins, top)
    if value is MISSING:
        value = first.get("input")
    what = describe(node) if node is not None else first["msg"]
    expected = f"expected {what}" + _literal_hint(node, value)
    return _error_at(path, value, expected, origins, top)


# --------------------------------------------------------------------------------------
# --set overrides


class _Unset(list):  # type: ignore[type-arg]
    """Stands for a list that the scenario does not set (it has no items to override)."""


_PART = re.compile(r"^([^\[\]]+)((?:\[-?\d+\])*)$")


def _parse_key_path(text: str) -> PathT | None:
    path: list[Any] = []
    for part in text.split("."):
        match = _PART.match(part.strip())
        if not match:
            return None
        path.append(match.group(1).strip())
        path.extend(int(i) for i in re.findall(r"\[(-?\d+)\]", match.group(2)))
    return tuple(path)


def _apply_set(
    raw: dict[Any, Any], origins: Origins, override: str, top: str, option: str = "--set"
) -> None:
    """Apply one `KEY.PATH=VALUE`; errors name `option` (`--set`, or `--vary` in a sweep)."""
    via = f"{option} {override}"
    example = SET_EXAMPLE if option == "--set" else VARY_EXAMPLE
    if not isinstance(override, str):
        raise ScenarioError(top, "", override, f"{option}: not text; {example}")
    if "=" not in override:
        raise ScenarioError(top, "", override, f"a {option} without '='; {example}")
    key_text, value_text = override.split("=", 1)
    key_text = key_text.strip()
    path = _parse_key_path(key_text)
    if not path:
        raise ScenarioError(
            top, key_text, override,
            f"{option}: not a key path; {example} or {option} roles.ae.ramp[2]=0.5",
        )

    def fail(at: PathT, value: object, why: str) -> NoReturn:
        raise ScenarioError(top, format_path(at), value, f"{option}: {why}")

    try:
        value, _ = _parse_yaml(value_text, via)
    except ScenarioError as exc:
        fail(path, value_text, f"the value is not valid YAML ({exc.expected}); quote it")

    node: _T | None = ROOT
    container: Any = raw
    created: PathT | None = None  # the first key this override creates
    for i, part in enumerate(path):
        here = path[:i]
        if node.kind == "union":
            node = _member_for(node, container)
        if node.kind == "model":
            if not isinstance(container, dict):
                fail(here, container, f"{format_path(here) or 'the scenario'} is not a mapping")
            if part not in node.tp.model_fields:
                allowed = _model_keys(node, container)
                hint_from = [*allowed, *(k for k in node.tp.model_fields if k not in allowed)]
                fail(path[: i + 1], value_text, _unknown_key_message(part, allowed, hint_from))
            child = _field(node.tp, part)
        elif node.kind == "dict":
            if not isinstance(container, dict):
                fail(here, container, f"{format_path(here)} is not a mapping")
            if isinstance(part, int):
                fail(path[: i + 1], value_text, f"{format_path(here)} is a mapping, not a list")
            key_t = _t(get_args(node.tp)[0])
            if key_t.kind == "literal" and part not in get_args(key_t.tp):
                allowed = list(get_args(key_t.tp))
                fail(path[: i + 1], value_text, _unknown_key_message(part, allowed, allowed))
            child = _t(get_args(node.tp)[1])
        elif node.kind == "list":
            if not isinstance(part, int):
                fail(path[: i + 1], value_text,
                     f"{format_path(here)} is a list; expected an index like {here[-1]}[0]")
            if isinstance(container, _Unset):
                fail(path[: i + 1], value_text,
                     f"{format_path(here)} is not in the scenario; set the whole list, e.g. "
                     f"--set {format_path(here)}=[...]")
            if not isinstance(container, list):
                fail(here, container, f"{format_path(here)} is not a list here")
            if not -len(container) <= part < len(container):
                fail(path[: i + 1], value_text,
                     f"index {part} is out of range; {format_path(here)} has "
                     f"{len(container)} values")
            child = _t(get_args(node.tp)[0])
        else:
            fail(path[: i + 1], value_text,
                 f"{format_path(here)} holds a single value; it has no key '{part}'")
        if i == len(path) - 1:
            container[part] = value
            break
        nxt = _lookup(container, (part,))
        if nxt is MISSING or nxt is None:
            if child.kind == "union":
                child = _member_for(child, [] if isinstance(path[i + 1], int) else {})
            if child.kind in ("model", "dict"):
                nxt = {}
                container[part] = nxt
                created = created or path[: i + 1]
            else:  # an unset list has no items to set; the next step says so
                nxt = _Unset() if child.kind == "list" else None
        elif child.kind == "model" and issubclass(child.tp, Dist) and not isinstance(nxt, dict):
            nxt = {"mean": nxt}  # `deal_size: 40000` is {mean: 40000}
            container[part] = nxt
        container, node = nxt, child
    target = created or path
    _drop_under(origins, target)
    origins[target] = Origin(top, None, via)


def _resolve(
    path: str | Path, overrides: Sequence[str], vary: str | None = None
) -> tuple[dict[Any, Any], Origins, str]:
    if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
        raise ScenarioError(
            None, "path", path, "expected the path of a scenario YAML file (str or Path)"
        )
    file = os.fspath(path)
    if overrides is not None and not isinstance(overrides, Sequence):
        raise ScenarioError(
            file, "overrides", overrides,
            'expected a list of "KEY.PATH=VALUE" texts, e.g. ["roles.ae.headcount=25"]',
        )
    top = Path(file)
    raw, origins = _load_chain(
        top, file, [(_real(top), file)], _Blame(file, "", os.path.abspath(file), None)
    )
    origins.setdefault((), Origin(file))
    if overrides is None:
        overrides = ()
    elif isinstance(overrides, str):
        overrides = [overrides]
    for override in overrides:
        _apply_set(raw, origins, override, file)
    if vary is not None:
        _apply_set(raw, origins, vary, file, "--vary")
    return raw, origins, file


# --------------------------------------------------------------------------------------
# Public API


def resolve_raw(path: str | Path, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The scenario as a plain dict after `extends` and `--set`, before validation."""
    raw, _, _ = _resolve(path, overrides)
    return raw


def load_scenario(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """Read, merge (`extends`, `--set`), validate and cross-check a scenario file.

    Raises `ScenarioError` (one line: file, line, key path, value, expectation) for any
    problem with the file or the overrides.
    """
    return _load(path, overrides, replications, seed)


def load_variant(
    path: str | Path,
    vary: str,
    overrides: Sequence[str] = (),
    *,
    replications: int | None = None,
    seed: int | None = None,
) -> Scenario:
    """`load_scenario` with one more `KEY.PATH=VALUE` applied after `overrides`: one value
    of a `--vary` sweep, whose errors name `--vary`."""
    return _load(path, overrides, replications, seed, vary)


def _load(
    path: str | Path,
    overrides: Sequence[str],
    replications: int | None,
    seed: int | None,
    vary: str | None = None,
) -> Scenario:
    raw, origins, top = _resolve(path, overrides, vary)
    for key, value, option in (
        ("replications", replications, "--replications"),
        ("seed", seed, "--seed"),
    ):
        if value is not None:
            raw[key] = value
            _drop_under(origins, (key,))
            origins[(key,)] = Origin(top, None, option)
    return validate_raw(raw, origins, top)


def validate_raw(raw: dict[Any, Any], origins: Origins | None = None, file: str = "") -> Scenario:
    """Validate a resolved scenario dict: unknown keys, the schema, the cross-checks."""
    origins = origins if origins is not None else {}
    top = file or None
    if not isinstance(raw, dict):
        raise ScenarioError(top, "", raw, TOP_EXPECTED)
    problem = bad_text(raw)
    if problem is not None:
        raise _error_at(problem.path, problem.value, problem.expected, origins, top)
    unknown = _find_unknown_key(raw, ROOT, ())
    if unknown:
        path, value, expected = unknown
        if len(path) == 1:
            # An unknown top-level key may mean the file is not a scenario at all (`extends:
            # ~/.config/gh/hosts.yml`): name the key, never its value.
            value = VALUE_NOT_SHOWN
            if not (isinstance(path[0], str) and NAME_LIKE.match(path[0])):
                path, expected = (), f"a key that is not a scenario key (not shown); {TOP_EXPECTED}"
        raise _error_at(path, value, expected, origins, top)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _from_validation(exc, raw, origins, top) from None
    problem = first_problem(scenario)
    if problem is not None:
        written = _lookup(raw, problem.path)
        value = problem.value if written is MISSING or problem.key else written
        raise _error_at(problem.path, value, problem.expected, origins, top)
    return scenario


# --------------------------------------------------------------------------------------
# Writing


class _FlowList(list):  # type: ignore[type-arg]
    pass


class _FlowDict(dict):  # type: ignore[type-arg]
    pass


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Quote strings such as "1e5" that `_Loader` would read back as numbers.
_Dumper.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))
_Dumper.add_representer(
    _FlowList, lambda d, data: d.represent_sequence(SEQ_TAG, data, flow_style=True)
)
_Dumper.add_representer(
    _FlowDict, lambda d, data: d.represent_mapping(MAP_TAG, data.items(), flow_style=True)
)


FLOW_KEYS = frozenset({"deal_size", "cycle_days", "time_to_hire_days", "targets", "effects"})


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _plain(value: Any, path: PathT = ()) -> Any:
    """Plain YAML data: no None, integral floats as ints; lists of numbers, distributions,
    targets, effects and hires in flow style (`{mean: 60, cv: 0.4}`)."""
    if isinstance(value, dict):
        out = {k: _plain(v, (*path, k)) for k, v in value.items() if v is not None}
        flow = (path and path[-1] in FLOW_KEYS) or (len(path) == 2 and path[0] == "hiring")
        if flow and all(_scalar(v) for v in out.values()):
            return _FlowDict(out)
        return out
    if isinstance(value, list):
        items = [_plain(v, (*path, i)) for i, v in enumerate(value)]
        return _FlowList(items) if all(_scalar(v) for v in items) else items
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _resolved_dict(scenario: Scenario) -> dict[str, Any]:
    data = scenario.model_dump(mode="python")
    for name, role in scenario.roles.items():
        used = KIND_KEYS[role.kind] | {"kind"}
        data["roles"][name] = {k: v for k, v in data["roles"][name].items() if k in used}
    return data


def scenario_to_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML: every key with its value or default, in schema
    order (a role shows the keys its kind uses; keys left unset, such as `accounts`, are
    omitted). Loads back to an equal scenario."""
    return yaml.dump(
        _plain(_resolved_dict(scenario)),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the resolved scenario as canonical JSON (sorted keys, no spaces)."""
    payload = json.dumps(
        scenario.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


__all__ = [
    "Origin",
    "describe",
    "load_scenario",
    "load_variant",
    "resolve_raw",
    "scenario_hash",
    "scenario_to_yaml",
    "validate_raw",
]
