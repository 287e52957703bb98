"""Synthetic CRM exports: the opportunities one replication simulated, as a CRM shows them.

`opportunity_log` runs one replication with the engine's opportunity log on and returns one
row per opportunity open on or after the horizon's start and one row per seller ever
employed. `crm_export` cuts the log at a date the way a CRM export taken that day would
show it: only opportunities created from the horizon's start to the cut are in it (the
CRM's history starts with the horizon; those created before it and still open then would be
a biased sample, likelier stalled); a decision after the cut is still open; and an
opportunity that never decided stays open for ever (a CRM keeps stalled deals open;
`simrev fit` reads old open deals as no decision). Open ones sit in a stage by their age.
`roster` lists the sellers employed by the cut. docs/synth.md describes the files;
`simrev synth` writes them.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model import Model
from sim.outputs import FLOAT_FORMAT, rename_noreplace
from sim.plan import MONTH_DAYS, Plan, compile_plan, normal_cdf
from sim.roles import SDR, SELF
from sim.scenario import Scenario, ScenarioError

SOURCES = {SELF: "Self-sourced", SDR: "SDR", 2: "Inbound"}
# Open stages by age at the cut (days): the first whose bound the age is below.
OPEN_STAGES = ((14, "Prospecting"), (45, "Qualification"), (90, "Proposal"),
               (math.inf, "Negotiation"))
WON, LOST = "Closed Won", "Closed Lost"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
COLUMNS = ("Opportunity ID", "Opportunity Owner", "Created Date", "Close Date", "Stage",
           "Amount", "Product", "Lead Source")
ROSTER_COLUMNS = ("seller", "start", "leave", "role")


def seller_name(role: str, seat: int, occupant: int) -> str:
    """A stable readable name: `ae-3` for seat 3's first occupant, `ae-3b`, `ae-3c`, ... for
    its backfills (`ae-3.27` past z)."""
    base = f"{role}-{seat + 1}"
    if occupant == 0:
        return base
    return base + (chr(ord("a") + occupant) if occupant < 26 else f".{occupant + 1}")


def _product(plan: Plan, scenario: Scenario, segment: int, z_size: float) -> str:
    """The name of the deal-size mix component `z_size` picks ("" without a mix)."""
    mix = plan.segments[segment].deal
    parts = getattr(mix, "upper", None)
    if parts is None:
        return ""
    k = min(bisect.bisect_right(parts, normal_cdf(z_size)), len(parts) - 1)
    seg_name = plan.segments[segment].name
    name = scenario.segments[seg_name].deal_size.mix[k].name
    return name if name else f"product-{k + 1}"


def opportunity_log(scenario: Scenario, replication: int = 0
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One replication's opportunities and sellers, in days from the horizon's start.

    Opportunities: `key`, `kind` (source label), `created_day`, `close_day` (NaN: open at
    the horizon's end), `outcome` (won, lost, undecided, open), `amount` (won: the booked
    size; otherwise the drawn size, as quoted), `product`, `holders` (``[(day, seller name
    or None)]``: the creator, then each hand-over's heir). Sellers: `seller`, `role`,
    `hired_day`, `left_day` (NaN: still there)."""
    plan = compile_plan(scenario)
    model = Model(plan, replication, log_opportunities=True)
    model.run()
    log = model.pipeline.log
    assert log is not None
    names: dict[object, str] = {}

    def name(head: object) -> str | None:
        if head is None:
            return None
        if head not in names:
            names[head] = seller_name(head.role.name, head.seat, head.occupant)
        return names[head]

    rows = []
    for key, (kind, created, z_size, holders, close) in log.items():
        last = holders[-1][1] if holders[-1][1] is not None else holders[-2][1]
        if close is None:  # open at the end: its size as its holder would book it now
            close_day, outcome, size = math.nan, "open", model.pipeline._size(last, z_size, key)
        else:
            close_day, outcome, size = close
        rows.append((key, SOURCES.get(kind, ""), created, close_day, outcome, size,
                     _product(plan, scenario, last.segment_index, z_size),
                     [(day, name(head)) for day, head in holders]))
    opps = pd.DataFrame(rows, columns=["key", "source", "created_day", "close_day", "outcome",
                                       "amount", "product", "holders"])
    opps = opps.sort_values(["created_day", "key"], kind="stable").reset_index(drop=True)
    sellers = pd.DataFrame(
        [(name(h), h.role.name, h.hired_at, h.left_at if not h.active else math.nan)
         for h in model.all_sellers],
        columns=["seller", "role", "hired_day", "left_day"])
    return opps, sellers


def horizon_dates(scenario: Scenario) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The horizon's first day and its end, start + floor(months x 365/12) days, as dates
    (the last a cut may be: nothing is simulated on it)."""
    start = pd.Timestamp(f"{scenario.start}-01")
    return start, start + pd.Timedelta(days=math.floor(scenario.months * MONTH_DAYS))


def check_as_of(scenario: Scenario, as_of: object, file: str | None = None) -> pd.Timestamp:
    """`as_of` as a date inside the scenario's horizon; a ScenarioError otherwise."""
    start, end = horizon_dates(scenario)
    span = f"a date from {start:%Y-%m-%d} to {end:%Y-%m-%d} (the scenario's horizon)"
    text = str(as_of)
    try:
        cut = pd.Timestamp(date.fromisoformat(text)) if ISO_DATE.match(text) else None
    except ValueError:
        cut = None
    if cut is None:
        raise ScenarioError(file, "--as-of", text, f"expected YYYY-MM-DD, {span}")
    if not start <= cut <= end:
        raise ScenarioError(file, "--as-of", text, f"outside the horizon; expected {span}")
    return cut


def _open_stage(age: np.ndarray) -> np.ndarray:
    bounds = [b for b, _ in OPEN_STAGES[:-1]]
    return np.array([s for _, s in OPEN_STAGES])[np.searchsorted(bounds, age, side="right")]


def crm_export(opps: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """The log as a CRM export taken on `as_of` shows it (see the module's docstring)."""
    cut = (as_of - start).days  # days d with floor(d) <= cut are known on as_of
    created = np.floor(opps["created_day"].to_numpy())
    known = (created >= 0) & (created <= cut)  # the CRM's history starts with the horizon
    opps = opps[known].reset_index(drop=True)
    created = created[known]
    close = np.floor(opps["close_day"].to_numpy())
    decided = opps["outcome"].isin(["won", "lost"]).to_numpy()
    closed = decided & (close <= cut)
    won = closed & (opps["outcome"] == "won").to_numpy()
    stage = np.where(closed, np.where(won, WON, LOST), _open_stage(cut - created))
    owners = []
    for holders, is_closed in zip(opps["holders"], closed, strict=True):
        held = [who for day, who in holders if who is not None
                and (is_closed or math.floor(day) <= cut)]
        owners.append(held[-1])
    created_at = start + pd.to_timedelta(created, unit="D")
    closed_at = start + pd.to_timedelta(np.where(closed, close, np.nan), unit="D")
    frame = pd.DataFrame({
        "Opportunity ID": [f"OPP-{k:06d}" for k in opps["id_number"]],
        "Opportunity Owner": owners,
        "Created Date": created_at.strftime("%Y-%m-%d"),
        "Close Date": pd.Series(closed_at).dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
        "Stage": stage,
        "Amount": np.round(opps["amount"].to_numpy(), 2),
        "Product": opps["product"].to_numpy(),
        "Lead Source": opps["source"].to_numpy(),
    })
    return frame


def number(opps: pd.DataFrame) -> pd.DataFrame:
    """The log with `id_number`: 1, 2, ... in order of creation (stable across cuts)."""
    return opps.assign(id_number=np.arange(1, len(opps) + 1))


def roster(sellers: pd.DataFrame, start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """The sellers employed on or before `as_of`: start, leave (blank while there), role."""
    cut = (as_of - start).days
    hired = np.floor(sellers["hired_day"].to_numpy())
    left = np.floor(sellers["left_day"].to_numpy())
    keep = hired <= cut
    left = np.where(left <= cut, left, np.nan)[keep]
    frame = pd.DataFrame({
        "seller": sellers["seller"].to_numpy()[keep],
        "start": (start + pd.to_timedelta(hired[keep], unit="D")).strftime("%Y-%m-%d"),
        "leave": pd.Series(start + pd.to_timedelta(left, unit="D")).dt.strftime("%Y-%m-%d")
        .fillna("").to_numpy(),
        "role": sellers["role"].to_numpy()[keep],
    })
    return frame.sort_values(["start", "seller"], kind="stable").reset_index(drop=True)


def check_target(path: str | os.PathLike[str], option: str) -> Path:
    """A file path simrev may create: not there yet (simrev never replaces a file), in an
    existing writable folder."""
    target = Path(path)
    if str(path).strip() == "":
        raise ScenarioError(None, option, str(path), "expected a file path, not empty text")
    if os.path.lexists(target):
        raise ScenarioError(None, option, str(path), "already exists; expected a new file "
                            "(simrev synth never replaces a file: remove it or pick another name)")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(None, option, str(path), f"expected a file in an existing folder, "
                            f"but {folder} is not one")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ScenarioError(None, option, str(path), f"expected a writable folder, {folder}")
    return target


def write_new(frame: pd.DataFrame, target: Path, option: str) -> None:
    """Write `frame` as CSV to `target` whole or not at all, never over an existing file."""
    folder = target.parent if str(target.parent) else Path(".")
    handle, temp = tempfile.mkstemp(prefix=".simrev-tmp-synth-", suffix=".csv", dir=folder)
    os.close(handle)
    try:
        frame.to_csv(temp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        try:
            rename_noreplace(Path(temp), target)
        except FileExistsError:
            raise ScenarioError(None, option, str(target), "appeared during the write; "
                                "expected a new file (nothing written)") from None
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


def synth(scenario: Scenario, as_of: object, replication: int = 0
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export and roster a CRM would give on `as_of` for one replication."""
    cut = check_as_of(scenario, as_of)
    start, _ = horizon_dates(scenario)
    opps, sellers = opportunity_log(scenario, replication)
    return crm_export(number(opps), start, cut), roster(sellers, start, cut)


__all__ = ["COLUMNS", "OPEN_STAGES", "check_as_of", "check_target", "crm_export",
           "opportunity_log", "roster", "seller_name", "synth", "write_new"]
