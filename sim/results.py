"""What a run hands to writers, the terminal and notebooks: tidy pandas frames.

Frames (all tidy, one row per observation):

- ``monthly`` / ``quarterly``: columns ``period`` (``M1``.. / ``Q1``..), ``period_start``
  (``YYYY-MM``), (quarterly only) ``quarter_label`` (the calendar quarter, ``2027Q1``, or
  ``2027-02..04`` for a quarter that is not a calendar one), ``metric``, ``mean``, ``sd``,
  ``p10``, ``p50``, ``p90``.
- ``replications``: ``replication``, ``period`` (``Q1``..), ``period_start``,
  ``quarter_label``, ``metric``, ``value``: one row per replication x quarter x metric.
- ``reps``: one row per seller per replication: ``replication``, ``role``, ``seat``,
  ``occupant``, ``hired`` (``YYYY-MM`` or ``before``), ``left`` (``YYYY-MM`` or empty),
  ``cohort``, ``skill``, ``months_employed``, ``opportunities``, ``wins``, ``bookings``.
- ``totals``: one row per replication, one column per metric, for the whole horizon
  (flows summed, stocks at the end, ratios from those): the basis of paired comparisons.
- ``summary``: a JSON-ready dict (see ``sim.aggregate.build_result``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.scenario.schema import Scenario


@dataclass
class RunResult:
    """Everything one scenario's Monte Carlo run produced."""

    scenario: Scenario
    scenario_hash: str
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    replications: pd.DataFrame
    reps: pd.DataFrame
    summary: dict = field(default_factory=dict)
    totals: pd.DataFrame | None = None
    # one row per replication (column "replication"), one column per ranged assumption named
    # by its key path, e.g. "programs.ai_assist.effects.selling_time": the value drawn
    draws: pd.DataFrame | None = None
    # reps.csv whole (header and rows, rendered by the workers from what `reps` was built
    # from); the writer uses it as is, so set it to None after changing `reps`
    reps_csv: bytes | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.scenario.name
