"""Test configuration: the hypothesis profile (see tests/profiles.py)."""

from __future__ import annotations

from tests.profiles import load

PROFILE = load()


def pytest_report_header() -> str:
    return f"hypothesis profile: {PROFILE}"
