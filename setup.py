"""Build: the hot modules compiled by Cython (pure-Python mode), or a pure-Python install.

The modules in `sim.core.HOT_MODULES` are plain Python that also compile: where Cython and
a C compiler work, each gets an extension module beside its `.py` (`pip install .` and
`pip install -e .` alike); where they do not, or with ``SIMREV_PURE=1`` in the build's
environment, the install is pure Python and runs the same source interpreted. Either way
the numbers are the same (tests/test_compiled.py). See README.md, "The compiled core".
"""

from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The list lives here and in sim/core.py (HOT_MODULES); tests/test_compiled.py keeps them equal.
HOT_MODULES = ["sim.arrivals", "sim.days", "sim.pipeline", "sim.people", "sim.streams",
               "sim.model", "sim.steady", "sim.customers"]


def _pure() -> bool:
    return os.environ.get("SIMREV_PURE", "") not in ("", "0")


def _say(message: str) -> None:
    print(f"simrev build: {message}", file=sys.stderr)


def _drop_stale(names: list[str]) -> None:
    """Remove extension modules an earlier in-place build left beside these modules' .py
    (Python would import them before the .py): a build that falls back runs interpreted."""
    from importlib.machinery import EXTENSION_SUFFIXES

    for name in names:
        for suffix in EXTENSION_SUFFIXES:
            path = name.replace(".", "/") + suffix
            if os.path.exists(path):
                os.remove(path)
                _say(f"removed {path} of an earlier build")


class OptionalBuildExt(build_ext):
    """build_ext that falls back to the pure-Python modules when a compile fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, no headers: install interpreted
            _say(f"compiled core not built ({error}); installing the interpreted core")
            if self.inplace:
                _drop_stale([ext.name for ext in self.extensions])

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            _say(f"{ext.name} not compiled ({error}); it runs interpreted")
            if self.inplace:
                _drop_stale([ext.name])


def _in_place() -> bool:
    """An editable install or ``build_ext --inplace``: the build writes into the sources."""
    return any(arg in ("editable_wheel", "develop", "--inplace", "-i") for arg in sys.argv)


def extensions() -> list:
    built = _extensions()
    if not built and _in_place():
        _drop_stale(HOT_MODULES)
    return built


def _numpy_random() -> dict | None:
    """Where numpy's random C API is (headers, libnpyrandom), or None without numpy."""
    try:
        import numpy
    except ImportError as error:
        _say(f"numpy unavailable at build time ({error}); installing the interpreted core")
        return None
    lib = os.path.join(os.path.dirname(numpy.__file__), "random", "lib")
    return {"include_dirs": [numpy.get_include()], "library_dirs": [lib],
            "libraries": ["npyrandom", "m"]}


def _extensions() -> list:
    if _pure():
        _say("SIMREV_PURE is set: installing the interpreted core")
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as error:
        _say(f"Cython unavailable ({error}); installing the interpreted core")
        return []
    random_api = _numpy_random()
    if random_api is None:
        return []
    modules = [
        Extension(name, [name.replace(".", "/") + ".py"],
                  # no fused multiply-add: the compiled core must round as CPython does;
                  # no debug symbols (they would triple the install)
                  extra_compile_args=["-O2", "-g0", "-ffp-contract=off"],
                  # numpy's random C API (sim/npyrandom.pxd): its headers reach every
                  # module that cimports sim.streams; the static library links only the
                  # functions a module calls
                  **random_api)
        for name in HOT_MODULES
    ]
    directives = {"binding": True, "annotation_typing": False}  # types: the .pxd files only
    if os.environ.get("SIMREV_PROFILE", "") not in ("", "0"):  # cProfile sees compiled code
        directives["profile"] = True
    # cythonize regenerates C only for changed sources: also when the directives changed
    stamp = os.path.join("build", "cython-directives")
    said = repr(sorted(directives.items()))
    force = not os.path.exists(stamp) or open(stamp).read() != said
    try:
        built = cythonize(modules, language_level=3, quiet=True, force=force,
                          compiler_directives=directives)
        os.makedirs("build", exist_ok=True)
        with open(stamp, "w") as file:
            file.write(said)
        return built
    except Exception as error:
        _say(f"Cython failed ({error}); installing the interpreted core")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
