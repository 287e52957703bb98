"""simrev: Monte Carlo simulation of a go-to-market team for revenue-capacity planning."""

from sim import core as _core  # noqa: F401  (reads SIMREV_CORE before any hot module loads)

__version__ = "0.1.0"
