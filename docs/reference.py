"""Write the generated reference blocks of the docs from the code that defines them.

    python docs/reference.py           # rewrite the blocks and files in place
    python docs/reference.py --check   # exit 1 if a block or file differs from the code

Each block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in its file; each of
`FILES` is generated whole. A test runs the check, so the docs cannot drift from the registry
and the schema they describe.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import roles  # noqa: E402
from sim.metric_registry import docs_table  # noqa: E402
from sim.scenario.loader import LABELS, describe  # noqa: E402
from sim.scenario.schema import json_schema, model_schema, schema_json  # noqa: E402


def _default(value: object) -> str:
    """A key's default in words."""
    if value is None or value == "":
        return "not set" if value is None else "empty"
    if value in ({}, []):
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return _default(value["mean"]) if "mean" in value else "all defaults"
    return f"`{value}`" if isinstance(value, list) else str(value)


def _type(node: dict, defs: dict, label: str | None) -> str:
    """The type and range of a key, as an error message says it, with what that leaves out
    (a cost is 0 or at least 1, a count is not 0, the range of a distribution's mean)."""
    if label:
        return label
    if node.get("not", {}).get("exclusiveMaximum") == 1:
        return "0, or " + describe({**node, "minimum": 1})
    if node.get("not") == {"const": 0}:
        return describe(node) + ", not 0"
    forms = [defs.get(m.get("$ref", "").rsplit("/", 1)[-1], m) for m in node.get("anyOf", [])]
    means = [m["properties"]["mean"] for m in forms if "mean" in m.get("properties", {})]
    mean = f"; mean{describe(means[0]).removeprefix('a number')}" if means else ""
    return describe(node) + mean


def _kinds(key: str) -> str:
    """The kinds of role that use `key`."""
    used = [k.name for k in roles.KINDS.values() if key in k.keys or key == "kind"]
    if len(used) == len(roles.KINDS):
        return "all"
    if used == [k for k in roles.KINDS if k != "manager"]:
        return "all but manager"
    return ", ".join(used)


def key_table(model: str, kinds: bool = False) -> str:
    """The key reference of one section of a scenario file, from its JSON Schema: key, type
    and range, default, (the kinds of role that use it,) meaning. A key holding a small
    mapping (`targets`) is listed key by key."""
    schema = model_schema()
    defs = schema["$defs"]
    section = schema if model == "Scenario" else defs[model]
    if model == "Scenario":
        section["properties"]["extends"] = json_schema()["properties"]["extends"]
    rows = []
    for key, node in section["properties"].items():
        required = key in section.get("required", ())
        inner = defs.get(node.get("anyOf", [{}])[0].get("$ref", "").rsplit("/", 1)[-1], {})
        if model != "Scenario" and 0 < len(inner.get("properties", {})) <= 3 \
                and "mean" not in inner["properties"]:
            rows += [(f"{key}.{k}", n, k in inner.get("required", ()) and required,
                      LABELS.get((inner["title"], k))) for k, n in inner["properties"].items()]
        else:
            rows.append((key, node, required, LABELS.get((section.get("title"), key))))
    head = "| key | type, range | default |" + (" kinds |" if kinds else "") + " meaning |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for key, node, required, label in rows:
        needs = [k.name for k in roles.KINDS.values() if key in k.required] if kinds else []
        default = ("required" if required else f"required for {', '.join(needs)}" if needs
                   else _default(node.get("default")))
        lines.append(f"| `{key}` | {_type(node, defs, label)} | {default} |"
                     + (f" {_kinds(key.split('.')[0])} |" if kinds else "")
                     + f" {node.get('description')} |")
    return "\n".join(lines) + "\n"


BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "metrics": ("docs/metrics.md", docs_table),
    "kinds": ("docs/model.md", roles.docs_table),
    "keys-top": ("docs/scenarios.md", lambda: key_table("Scenario")),
    "keys-segments": ("docs/scenarios.md", lambda: key_table("Segment")),
    "keys-roles": ("docs/scenarios.md", lambda: key_table("Role", kinds=True)),
    "keys-customers": ("docs/scenarios.md", lambda: key_table("Customers")),
    "keys-hiring": ("docs/scenarios.md", lambda: key_table("Hire")),
    "keys-programs": ("docs/scenarios.md", lambda: key_table("Program")),
}
# Files generated whole.
FILES: dict[str, Callable[[], str]] = {
    "docs/scenario.schema.json": schema_json,
}


def render(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"docs/reference.py: no <!-- {name}:start --> block")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def stale() -> list[str]:
    """The files whose generated blocks differ from the code."""
    out = []
    for name, (path, make) in BLOCKS.items():
        text = (ROOT / path).read_text(encoding="utf-8")
        if render(text, name, make()) != text:
            out.append(f"{path} ({name})")
    for path, make in FILES.items():
        file = ROOT / path
        if not file.exists() or file.read_text(encoding="utf-8") != make():
            out.append(path)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        differ = stale()
        for item in differ:
            print(f"out of date: {item}; run python docs/reference.py")
        return 1 if differ else 0
    for name, (path, make) in BLOCKS.items():
        file = ROOT / path
        file.write_text(render(file.read_text(encoding="utf-8"), name, make()), encoding="utf-8")
    for path, make in FILES.items():
        (ROOT / path).write_text(make(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
