"""Which core runs: the hot modules compiled by Cython, or the same source interpreted.

setup.py compiles the modules in `HOT_MODULES` (plain Python in Cython's pure-Python mode)
into extension modules beside their `.py` files when a C compiler is present. Python
imports an extension module before a `.py` of the same name, so a compiled install runs the
compiled core. ``SIMREV_CORE=interpreted`` in the environment of a process, set before
`sim` is first imported, makes it import the `.py` sources instead (the test of identical
numbers and the benchmark use this); any other value, or none, takes what is installed.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

HOT_MODULES = ("sim.arrivals", "sim.days", "sim.pipeline", "sim.people", "sim.streams",
               "sim.model", "sim.steady", "sim.customers")
ENV = "SIMREV_CORE"


def _is_extension(module: ModuleType) -> bool:
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def compiled() -> bool:
    """True when every hot module runs compiled (imports them)."""
    import importlib

    return all(_is_extension(importlib.import_module(name)) for name in HOT_MODULES)


def describe() -> str:
    """'compiled core' or 'interpreted core', for ``simrev --version``."""
    return "compiled core" if compiled() else "interpreted core"


class _SourceFirst:
    """A meta-path finder that imports the hot modules from their `.py` sources."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):  # noqa: ANN001, ANN205
        if name not in HOT_MODULES or not path:
            return None
        filename = os.path.join(path[0], name.rpartition(".")[2] + ".py")
        if not os.path.exists(filename):
            return None
        return importlib.util.spec_from_file_location(name, filename)


def prefer_sources() -> None:
    """Import the hot modules from their `.py` sources from now on (before their import)."""
    if not any(isinstance(finder, _SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())


if os.environ.get(ENV, "") == "interpreted":
    prefer_sources()
