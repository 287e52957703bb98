"""Write the generated reference blocks of the docs from the code that defines them.

    python docs/reference.py           # rewrite the blocks in place
    python docs/reference.py --check   # exit 1 if a block differs from the code

Each block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in its file; a test
runs the check, so the docs cannot drift from the registry they describe.
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

BLOCKS: dict[str, tuple[str, Callable[[], str]]] = {
    "metrics": ("docs/metrics.md", docs_table),
    "kinds": ("docs/model.md", roles.docs_table),
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
