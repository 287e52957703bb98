"""The one error a planner sees for a bad scenario or option."""

from __future__ import annotations


class Unquoted:
    """A value shown as ``(text)``, never quoted: a key that is not set, or the contents of a
    file that is not a scenario."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return f"({self.text})"

    __repr__ = __str__


MISSING = Unquoted("not set")  # the value of a required key left out
# The contents of a file that did not parse as a YAML mapping are never shown: it may be any
# file on the machine (`extends: /etc/shadow`), so only its path and line are named.
NOT_SHOWN = Unquoted("contents not shown")


def format_path(path: tuple[object, ...] | list[object]) -> str:
    """`('roles', 'ae', 'ramp', 2)` -> `roles.ae.ramp[2]` (ints are list indices)."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def format_value(value: object, limit: int = 160) -> str:
    """A short, one-line rendering of a bad value."""
    text = " ".join((repr(value) if isinstance(value, str) else str(value)).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScenarioError(Exception):
    """Bad input: names the file, the key path, the value and what was expected.

    `str(error)` is the single line the CLI prints, e.g.
    ``scenarios/base.yaml:14: roles.ae.ramp[2]: 1.5: expected a number in [0, 1]``.
    """

    def __init__(self, file: str | None, key_path: str, value: object, expected: str,
                 line: int | None = None) -> None:
        self.file, self.key_path, self.value = file, key_path, value
        self.expected, self.line = expected, line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = (self.file or "simrev") + ("" if self.line is None else f":{self.line}")
        key = f"{self.key_path}: " if self.key_path else ""
        return f"{where}: {key}{format_value(self.value)}: {self.expected}"


def short(text: object, limit: int = 40) -> str:
    """One line of at most `limit` characters: how a data file's value is ever shown."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


class DataFileError(ScenarioError):
    """Bad input in a data file (a CRM export, a roster, a start state):
    ``file: where: value: expected`` in one line, a text value shortened (`short`)."""

    def __init__(self, file: str | None, where: str, value: object, expected: str) -> None:
        super().__init__(file, where, value, expected)

    def __str__(self) -> str:
        parts = [self.file or "simrev"] + ([self.key_path] if self.key_path else [])
        if self.value is not None:
            parts.append(repr(short(self.value)) if isinstance(self.value, str)
                         else str(self.value))
        return ": ".join([*parts, self.expected])
