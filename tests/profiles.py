"""Hypothesis profiles: the suite is deterministic unless a longer random search is asked for.

- ``ci`` (the default, and what CI runs): derandomized, no example database, so the same
  examples run every time and a red build reproduces on any machine.
- ``dev``: random examples and the local example database, the usual counts.
- ``long``: random examples, ten times as many (a search before a release).

Choose with ``HYPOTHESIS_PROFILE=dev`` or ``long``. Tests state their example counts with
`examples`, which scales them by the loaded profile.
"""

from __future__ import annotations

import os

from hypothesis import settings

BASE_EXAMPLES = 100  # hypothesis' own default, the count of the ci and dev profiles

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", max_examples=BASE_EXAMPLES)
settings.register_profile("long", max_examples=10 * BASE_EXAMPLES)


def load() -> str:
    """Load the profile named by HYPOTHESIS_PROFILE (default ``ci``); return its name."""
    name = os.environ.get("HYPOTHESIS_PROFILE") or "ci"
    settings.load_profile(name)
    return name


def examples(count: int) -> int:
    """`count` examples under the ci and dev profiles, scaled up under ``long``."""
    return max(1, count * settings.default.max_examples // BASE_EXAMPLES)
