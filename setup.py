"""Build: the hot modules compiled by Cython (pure-Python mode), or a pure-Python install.

The modules in `sim.core.HOT_MODULES` are plain Python that also compile: where Cython and
a C compiler work, each gets an extension module beside its `.py` (`pip install .` and
`pip install -e .` alike); where they do not, or with ``SIMREV_PURE=1`` in the build's
environment, the install is pure Python and runs the same source interpreted. Either way
the numbers are the same (tests/test_compiled.py). See docs/compiled.md.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The list lives here and in sim/core.py (HOT_MODULES); tests/test_compiled.py keeps them equal.
HOT_MODULES = ["sim.pipeline", "sim.people", "sim.streams", "sim.model", "sim.steady",
               "sim.customers"]


def _pure() -> bool:
    return os.environ.get("SIMREV_PURE", "") not in ("", "0")


def _say(message: str) -> None:
    print(f"simrev build: {message}", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """build_ext that falls back to the pure-Python modules when a compile fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, no headers: install interpreted
            _say(f"compiled core not built ({error}); installing the interpreted core")

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            _say(f"{ext.name} not compiled ({error}); it runs interpreted")


def extensions() -> list:
    if _pure():
        _say("SIMREV_PURE is set: installing the interpreted core")
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as error:
        _say(f"Cython unavailable ({error}); installing the interpreted core")
        return []
    modules = [
        Extension(name, [name.replace(".", "/") + ".py"],
                  # no fused multiply-add: the compiled core must round as CPython does
                  extra_compile_args=["-O2", "-ffp-contract=off"])
        for name in HOT_MODULES
    ]
    try:
        return cythonize(modules, language_level=3, quiet=True,
                         compiler_directives={"binding": True,
                                              # types come from the .pxd files only
                                              "annotation_typing": False})
    except Exception as error:
        _say(f"Cython failed ({error}); installing the interpreted core")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
