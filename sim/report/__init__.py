"""HTML reports: figures (plain SVG) and pages, apart from the engine."""

from sim.report.page import render_compare, render_run

__all__ = ["render_compare", "render_run"]
