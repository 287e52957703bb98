"""Cross-checks that need two sections of a scenario that passed the schema at once (a
role's `segment` names a segment, a hire names a role that is hired, dates fall in the
horizon, routed pipeline has sellers to work it), and two rules that hold however a scenario
was built: text is plain Unicode text (`bad_text`), and a role's name does not make its
head-count metric collide with another metric. Each check yields a `Problem`; the loader
turns the first into a `ScenarioError` naming the file and line the value came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sim.roles import BOOK_LEVERS, KINDS, SDR, SUPPORT_LEVERS
from sim.scenario.schema import MAX_HEADCOUNT, Scenario, month_label


class Problem(NamedTuple):
    path: tuple[str | int, ...]
    value: object
    expected: str
    key: bool = False  # the problem is the last key of `path` itself (`value` is that key)


# Text may hold any Unicode character but lone surrogates (they cannot be written as UTF-8,
# so a report could never be written) and control characters other than tab and newline
# (C0, DEL, C1: they garble terminals, CSV files and reports).
BAD_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _bad_char(text: str) -> str | None:
    match = BAD_CHAR.search(text)
    if match is None:
        return None
    code = ord(match.group())
    what = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    return (
        f"holds {what} (U+{code:04X}) at character {match.start() + 1}; expected plain "
        "text (no control characters but tab and newline, no lone surrogates)"
    )


def bad_text(data: Any, path: tuple[str | int, ...] = ()) -> Problem | None:
    """The first key or text value in `data` (dicts, lists, scalars) that is not plain text."""
    if isinstance(data, str):
        why = _bad_char(data)
        return Problem(path, data, why) if why else None
    if isinstance(data, dict):
        for key, value in data.items():
            why = _bad_char(key) if isinstance(key, str) else None
            if why:
                return Problem((*path, key), key, f"this key {why}", key=True)
            found = bad_text(value, (*path, key))
            if found:
                return found
    if isinstance(data, list):
        for i, value in enumerate(data):
            found = bad_text(value, (*path, i))
            if found:
                return found
    return None


def did_you_mean(value: object, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` when a candidate is close to `value`, else ``''``."""
    close = difflib.get_close_matches(str(value), list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def one_of(what: str, names: Iterable[str], value: object = None) -> str:
    """`expected one of the roles: a, b`, with a did-you-mean hint for `value` if given."""
    names = list(names)
    if not names:
        return f"expected one of the {what}, but there are none"
    hint = did_you_mean(value, names) if value is not None else ""
    return f"expected one of the {what}: {', '.join(names)}{hint}"


def _horizon(scenario: Scenario) -> str:
    last = month_label(scenario.start, scenario.months - 1)
    return (f"expected a month within the horizon, {scenario.start} to {last} "
            f"({scenario.quarters} quarters from start)")


def problems(scenario: Scenario) -> Iterator[Problem]:
    """Every cross-section problem of `scenario`, roughly in file order."""
    roles = scenario.roles

    # A role's head count is the metric heads_<role>; it must not be another metric's name
    # (`total`: `heads_total` counts all roles).
    from sim.metrics import FLOWS, STOCKS, output_metrics

    reserved = {m[len("heads_"):] for m in (*FLOWS, *STOCKS, *output_metrics(()))
                if m.startswith("heads_")}
    for name in roles:
        if name in reserved:
            yield Problem(
                ("roles", name), name,
                f"role name '{name}' is reserved: simrev already writes a metric "
                f"heads_{name}, which this role's head count would collide with; expected "
                f"another name, e.g. '{name}_role'",
                key=True,
            )

    # A role that works a segment must name an existing one.
    for name, role in roles.items():
        if role.segment is not None and role.segment not in scenario.segments:
            yield Problem(("roles", name, "segment"), role.segment,
                          one_of("segments", scenario.segments, role.segment))

    # A follower's team today (what its driver needs at the start) is bounded like headcount.
    for name, role in roles.items():
        if role.follows is None:
            continue
        driver = "arr" if role.follows.arr is not None else "sellers"
        per = role.follows.arr if role.follows.arr is not None else role.follows.sellers
        value = (scenario.customers.arr if driver == "arr" else
                 sum(r.headcount for r in roles.values() if KINDS[r.kind].sells))
        if value / per > MAX_HEADCOUNT:
            what = (f"today's ARR of {value:,.0f}" if driver == "arr"
                    else f"today's {value:,} sellers")
            yield Problem(
                ("roles", name, "follows", driver), per,
                f"{what} would need {value / per:,.0f} heads; expected a ratio that needs "
                f"at most {MAX_HEADCOUNT:,} at the start (headcount's bound)",
            )

    # Routed pipeline (inbound, SDR-sourced) needs sellers in the segment to route to.
    for seg_name, seg in scenario.segments.items():
        if any(KINDS[r.kind].sells and r.segment == seg_name for r in roles.values()):
            continue
        need = f"expected a role of kind seller with segment: {seg_name}"
        if seg.inbound_opps_per_month > 0:
            yield Problem(("segments", seg_name, "inbound_opps_per_month"),
                          seg.inbound_opps_per_month, f"segment '{seg_name}' gets inbound "
                          f"opportunities but has no seller to route them to; {need}")
        for name, role in roles.items():
            if KINDS[role.kind].sources == SDR and role.segment == seg_name:
                yield Problem(("roles", name, "segment"), role.segment,
                              f"SDR role '{name}' hands opportunities to segment "
                              f"'{seg_name}', which has no seller; {need}")

    # Hires name a role that is hired (managers follow span), within the horizon.
    hireable = [n for n, r in roles.items() if KINDS[r.kind].hireable]
    for i, hire in enumerate(scenario.hiring):
        role = roles.get(hire.role)
        if role is None:
            yield Problem(("hiring", i, "role"), hire.role, one_of("roles", hireable, hire.role))
        elif not KINDS[role.kind].hireable:
            yield Problem(("hiring", i, "role"), hire.role,
                          f"role '{hire.role}' is a {role.kind}, whose heads follow its span "
                          "(ceil(sellers / span)) and are not hired; "
                          + one_of("roles that are hired", hireable))
        if not 0 <= scenario.month_index(hire.month) < scenario.months:
            yield Problem(("hiring", i, "month"), hire.month, _horizon(scenario))

    # Programs start within the horizon and target an existing role.
    for name, program in scenario.programs.items():
        if not 0 <= scenario.month_index(program.start) < scenario.months:
            yield Problem(("programs", name, "start"), program.start, _horizon(scenario))
        if program.targets is not None and program.targets.role not in roles:
            yield Problem(("programs", name, "targets", "role"), program.targets.role,
                          one_of("roles", roles, program.targets.role))
        else:
            yield from _idle_program_effects(scenario, name)

    # A support role's effects reach the sellers it covers: only levers that act on them.
    for name, role in roles.items():
        for lever in role.effects:
            if lever not in SUPPORT_LEVERS:
                yield Problem(
                    ("roles", name, "effects", lever), lever,
                    f"a support role's effects act on the sellers it covers and on the book; "
                    f"'{lever}' acts on neither; expected one of "
                    + ", ".join(sorted(SUPPORT_LEVERS)), key=True,
                )


def _idle_program_effects(scenario: Scenario, name: str) -> Iterator[Problem]:
    """A program's effect on a lever that no head it targets uses would silently do nothing."""
    program = scenario.programs[name]
    targeted = ([scenario.roles[program.targets.role]] if program.targets is not None
                else list(scenario.roles.values()))
    acting = set(BOOK_LEVERS).union(*(KINDS[r.kind].head_levers for r in targeted))
    for lever in program.effects:
        if lever not in acting:
            whom = (f"role '{program.targets.role}' (a {targeted[0].kind})"
                    if program.targets is not None else "any role of this scenario")
            yield Problem(
                ("programs", name, "effects", lever), lever,
                f"'{lever}' does not act on {whom}, so the effect would do nothing; "
                "expected one of " + ", ".join(sorted(acting)), key=True,
            )
