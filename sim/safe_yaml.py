"""Reading a scenario file safely: a regular file of at most 1 MiB, UTF-8, holding one YAML
mapping, with the line of each key path, and nothing a planner did not mean.

Refused, each with one `ScenarioError` naming the file and line: devices, pipes, directories
and larger files (before reading them); duplicate keys; keys that YAML reads as anything but
text (`yes`, `1`, `2027-01-01`); YAML 1.1's octal (`010`) and base-60 (`1:30`) numbers; alias
bombs and aliases that refer to themselves; tags PyYAML's safe loader does not know. `1e5` is
read as a number (as YAML 1.2 does). A file that does not parse as a mapping of scenario keys
may be any file on the machine (`extends: /etc/shadow`), so an error about it names the path
and line, never its contents (`NOT_SHOWN`). `sim.scenario.loader`
builds `extends`, `--set` and validation on it.
"""

from __future__ import annotations

import datetime
import os
import re
import stat
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.datafile import FILE_TYPES
from sim.scenario.errors import NOT_SHOWN, ScenarioError, Unquoted, format_path

PathT = tuple[Any, ...]
Lines = dict[PathT, int]  # the line each key path was set on
MAP_TAG, SEQ_TAG, MERGE_TAG, INT_TAG, FLOAT_TAG = (
    f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "merge", "int", "float"))
# YAML 1.1 (PyYAML) reads `1e5` and `1.5e5` as strings; read them as numbers, as YAML 1.2 does.
EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
MAX_NODES = 1_000_000  # guards against alias bombs
# A real scenario is a few KB (the shipped ones are under 4 KB); 1 MiB is hundreds of times
# that, and refusing more keeps `/dev/zero` or a 50 MB file from eating memory and minutes.
MAX_FILE_BYTES = 1 << 20
# YAML 1.1 reads `010` as octal 8 and `1:30` as base-60 90: a planner never means either.
OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
# What a path that is not a regular file is, by its file type.
TOP_EXPECTED = "expected a mapping of scenario keys (name, start, segments, roles, ...)"
# An unknown top-level key is named only if it looks like a key someone typed; a file that
# is a mapping by accident (`root:*:19000:0:::` in /etc/shadow) is not quoted.
NAME_LIKE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NOT_A_KEY = f"a key that is not a scenario key (not shown); {TOP_EXPECTED}"
# What YAML made of a plain scalar, by its type, in words.
READ_AS = {bool: "the boolean", int: "the number", float: "the number",
           datetime.datetime: "the timestamp", datetime.date: "the date"}


class Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading `1e5`-style numbers as floats."""


Loader.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))


class _Builder:
    """Builds Python data from a composed YAML node tree, recording each key path's line.

    PyYAML's own constructor silently keeps the last of duplicate keys and forgets where
    values came from; this walks the nodes with their paths, and leaves the values (tags,
    anchors, merge keys) to PyYAML.
    """

    def __init__(self, loader: Loader, file: str, keys: Collection[str] | None) -> None:
        self.loader, self.file, self.keys = loader, file, keys
        self.lines: Lines = {}
        self.active: set[int] = set()
        self.budget = MAX_NODES

    def fail(self, path: PathT, value: object, expected: str, node: Node) -> NoReturn:
        shown = format_path(path)
        if self.keys is not None and path and path[0] not in self.keys:
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
        self.lines[path] = line_node.start_mark.line + 1
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
        if self.keys is not None and not path and key not in self.keys \
                and not NAME_LIKE.match(key):
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
                for p in [p for p in self.lines if p[: len(path) + 1] == (*path, key)]:
                    del self.lines[p]
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


def parse(text: str, file: str, keys: Collection[str] | None = None) -> tuple[Any, Lines]:
    """One YAML document and the line of each key path; (None, {}) when it holds nothing.

    `keys`: `text` is a whole file, which must hold a mapping with these top-level keys; an
    error about a file that does not parse as one never shows its contents.
    """
    document = keys is not None
    loader = None
    try:
        loader = Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if document and not isinstance(node, MappingNode):
            what = "a list" if isinstance(node, SequenceNode) else "a single value"
            raise ScenarioError(file, "", NOT_SHOWN, f"the top level is {what}; {TOP_EXPECTED}",
                                node.start_mark.line + 1)
        builder = _Builder(loader, file, keys)
        data = builder._at((), node, node)
        return data, builder.lines
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


Blame = Callable[[str], ScenarioError]  # the error for a file that cannot be read, by why


def real_path(path: Path) -> Path:
    """The path with symlinks resolved (to recognise a file seen before), where possible."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return path


def read_mapping(path: Path, file: str, keys: Collection[str], blame: Blame,
                 reached: str = "") -> tuple[dict[Any, Any], Lines]:
    """A regular file of at most `MAX_FILE_BYTES`, UTF-8, that holds a YAML mapping; devices,
    pipes and directories are refused before reading (or opening), and no more than the cap
    is read; `keys` are the top-level keys it may hold. What cannot be read is blamed on
    `blame` (the file, or the `extends` that `reached` it: `" (extended by child.yaml:1)"`),
    what does not parse on the file."""
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
        parsed, lines = parse(data.decode("utf-8-sig"), file, keys)
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
    return parsed, lines


class Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, writing no aliases and quoting strings such as "1e5" that
    `Loader` would read back as numbers."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


Dumper.add_implicit_resolver(FLOAT_TAG, EXPONENT_FLOAT, list("-+0123456789"))


class FlowMap(dict):
    """A mapping `Dumper` writes on one line (`{between: [1.05, 1.2], likely: 1.12}`)."""


Dumper.add_representer(FlowMap, lambda dumper, data: dumper.represent_mapping(
    MAP_TAG, data, flow_style=True))
