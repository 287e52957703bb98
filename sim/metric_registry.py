"""Every metric once: its name, label, unit, kind, direction and formula.

Aggregation, compare, verdict lines, terminal tables, the report, the workbook and
`docs/metrics.md` all read from `REGISTRY`; adding a metric means adding one entry here
(and its formula in `sim.metrics.derive`).

- ``unit``: how a value reads — ``money`` ($1.2M), ``count`` (34.5), ``days`` (61.2),
  ``ratio`` (0.32) or ``share`` (22.1%).
- ``kind``: ``flow`` (summed over a period), ``stock`` (the value at the period's end) or
  ``ratio`` (computed per replication from the period's flows and stocks).
- ``higher_is_better``: the direction a planner wants (None where neither is better).
- ``headline``: its place in `summary.json`'s headline and the report's headline table.
- ``compared``: its place in `simrev compare`'s paired table and verdict lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Unit = Literal["money", "count", "days", "ratio", "share"]
Kind = Literal["flow", "stock", "ratio"]


@dataclass(frozen=True)
class Metric:
    """One metric's definition."""

    name: str
    label: str
    unit: Unit
    kind: Kind
    formula: str
    higher_is_better: bool | None = None
    headline: int = 0  # place in the headline (1 first); 0 = not a headline metric
    compared: int = 0  # place in compare's paired table; 0 = not compared


def _m(name: str, label: str, unit: Unit, kind: Kind, formula: str,
       higher: bool | None = None, headline: int = 0, compared: int = 0) -> Metric:
    return Metric(name, label, unit, kind, formula, higher, headline, compared)


# In output order; `heads_<role>` rows (one per role) come first and are made by `metric`.
REGISTRY: dict[str, Metric] = {m.name: m for m in (
    _m("heads_total", "Heads at end", "count", "stock", "heads of every role employed",
       headline=6),
    _m("sellers", "Sellers at end", "count", "stock", "heads of seller roles", headline=7),
    _m("ramped_sellers", "Ramped sellers (sum of ramp)", "count", "ratio",
       "time-average over the period of the sum of sellers' ramp factors", higher=True),
    _m("hires", "Hires", "count", "flow", "heads who started"),
    _m("departures", "Departures", "count", "flow", "heads who left (attrition and exits)",
       higher=False),
    _m("requisitions_follow", "Requisitions opened by a driver", "count", "flow",
       "requisitions a role opened because its driver (`follows`: ARR or sellers) needed "
       "another head, at month starts; backfills and planned hires not included"),
    _m("opps_created", "Opportunities created", "count", "flow",
       "self-sourced + SDR + inbound (routed ones include the unworked)", higher=True),
    _m("opps_created_self", "Opportunities created by sellers", "count", "flow",
       "self-sourced by sellers", higher=True),
    _m("opps_created_sdr", "Opportunities created by SDRs", "count", "flow",
       "handed to sellers by SDRs", higher=True),
    _m("opps_created_inbound", "Inbound opportunities", "count", "flow",
       "marketing-sourced, routed to sellers", higher=True),
    _m("opps_unworked", "Unworked opportunities", "count", "flow",
       "routed opportunities no seller had room for", higher=False, headline=12),
    _m("opps_lost_to_capacity", "Opportunities lost to capacity", "count", "flow",
       "self-sourced opportunities a seller would have created but could not, being at "
       "max_open_opps (counted at the rate they would have arrived; not in opps_created)",
       higher=False, headline=13),
    _m("opps_won", "Opportunities won", "count", "flow", "closed won", higher=True),
    _m("opps_lost", "Opportunities lost", "count", "flow", "closed lost", higher=False),
    _m("open_opps", "Open opportunities at end", "count", "stock",
       "opportunities open at the period's end"),
    _m("win_rate", "Win rate", "share", "ratio", "won / (won + lost) closed in the period",
       higher=True, headline=11),
    _m("cycle_days_won", "Sales cycle of won deals", "days", "ratio",
       "mean days from creation to close of the deals won", higher=False),
    _m("avg_deal_size", "Average deal size", "money", "ratio", "bookings / deals won",
       higher=True),
    _m("bookings", "Bookings", "money", "flow", "new-logo ARR won (first-year ACV)",
       higher=True, headline=1, compared=2),
    _m("expansion_arr", "Expansion ARR", "money", "flow", "growth of retained customers' ARR",
       higher=True),
    _m("churned_arr", "Churned ARR", "money", "flow", "ARR of customers lost", higher=False),
    _m("net_new_arr", "Net new ARR", "money", "flow", "bookings + expansion - churned ARR",
       higher=True, headline=4),
    _m("grr", "Gross revenue retention (TTM)", "share", "ratio",
       "trailing twelve months at the period's end: for the customers on the book twelve "
       "months before (their ARR then, A₀), (A₀ − the ARR then of those churned since − "
       "contraction) / A₀, at most 100% (retained customers only expand here, so contraction "
       "is 0); missing for a period ending in the horizon's first eleven months (the warm-up "
       "does not simulate churn and expansion); the whole horizon's figure is the TTM at its "
       "end", higher=True, headline=21),
    _m("nrr", "Net revenue retention (TTM)", "share", "ratio",
       "trailing twelve months at the period's end: the ARR now of the customers on the book "
       "twelve months before (churned ones at 0, expansion included) / their ARR then, A₀; "
       "missing and whole-horizon as for grr", higher=True, headline=22),
    _m("arr", "ARR at end", "money", "stock", "annual recurring revenue at the period's end",
       higher=True, headline=3, compared=3),
    _m("revenue", "Revenue (recognized)", "money", "flow", "ARR recognized daily",
       higher=True, headline=2),
    _m("customers", "Customers at end", "count", "stock", "customers at the period's end",
       higher=True, headline=16),
    _m("customers_won", "Customers won", "count", "flow", "new customers (won deals)",
       higher=True),
    _m("customers_churned", "Customers churned", "count", "flow", "customers lost",
       higher=False),
    _m("cost_people", "Cost: people", "money", "flow",
       "loaded cost of every head employed, accrued daily", higher=False),
    _m("cost_commission", "Cost: commission", "money", "flow", "commission on bookings",
       higher=False),
    _m("cost_hiring", "Cost: hiring", "money", "flow", "hire cost per hire", higher=False),
    _m("cost_programs", "Cost: programs", "money", "flow",
       "programs' one-off, monthly and seat costs", higher=False),
    _m("cost_total", "Total cost", "money", "flow", "people + commission + hiring + programs",
       higher=False, headline=5, compared=4),
    _m("revenue_per_head", "GTM revenue per head", "money", "ratio",
       "revenue, annualized, / time-average go-to-market heads (every role of the scenario; "
       "company-wide revenue per employee is `revenue_per_employee`)", higher=True,
       headline=8, compared=1),
    _m("revenue_per_employee", "Revenue per employee", "money", "ratio",
       "revenue, annualized, / (time-average go-to-market heads + `company.other_heads`); "
       "missing unless the scenario sets `company.other_heads`", higher=True),
    _m("arr_per_head", "ARR per head", "money", "ratio", "ARR / heads at the period's end",
       higher=True, headline=9),
    _m("bookings_per_seller", "Bookings per seller", "money", "ratio",
       "bookings, annualized, / time-average sellers", higher=True, headline=10,
       compared=5),
    _m("arr_per_csm", "ARR per CSM", "money", "ratio", "ARR / CSM heads at the period's end",
       headline=20),
    _m("sales_expense_ratio", "Sales expense ratio", "ratio", "ratio", "cost_total / revenue",
       higher=False, headline=14, compared=6),
    _m("magic_number", "Magic number", "ratio", "ratio",
       "net new ARR / the previous period's cost_total (none for the first period; for the "
       "whole horizon, quarters 2…n over the cost of quarters 1…n−1)",
       higher=True, headline=15, compared=7),
    _m("arr_per_customer", "ARR per customer", "money", "ratio",
       "ARR / customers at the period's end", higher=True, headline=17),
    _m("new_logo_share", "New-logo share of bookings", "share", "ratio",
       "bookings / (bookings + expansion ARR)", headline=18),
    _m("clv", "Customer lifetime value", "money", "ratio",
       "ARR per customer / annual customer churn, where annual churn = customers churned in "
       "the period, annualized, / time-average customers over the period (the mean over its "
       "months of (customers at the month's start + at its end) / 2); the whole horizon's "
       "figure uses the horizon's average churn rate", higher=True, headline=19),
)}


def metric(name: str) -> Metric:
    """The definition of `name`; `heads_<role>` is made on demand for any role."""
    if name in REGISTRY:
        return REGISTRY[name]
    if name.startswith("heads_"):
        role = name[len("heads_"):]
        return Metric(name, f"Heads: {role} at end", "count", "stock",
                      f"heads of role `{role}` employed")
    raise KeyError(f"unknown metric {name!r}")


def label(name: str) -> str:
    """A metric's name for reading, e.g. `cost_total` -> `Total cost`."""
    return metric(name).label


def unit(name: str) -> Unit:
    return metric(name).unit


def output_metrics(role_heads: tuple[str, ...]) -> tuple[str, ...]:
    """The metrics written to outputs, in order."""
    return (*role_heads, *REGISTRY)


HEADLINE: tuple[str, ...] = tuple(
    m.name for m in sorted(REGISTRY.values(), key=lambda m: m.headline) if m.headline
)
COMPARED: dict[str, bool] = {
    m.name: bool(m.higher_is_better)
    for m in sorted(REGISTRY.values(), key=lambda m: m.compared) if m.compared
}


def fmt(value: float | None, unit: str = "money", digits: int | None = None) -> str:
    """A value for reading: $1.23M / $456k, 34.5, 0.32, 22.1%; missing is an en dash.

    `digits` sets the decimals: of millions for money (default 2), of the percentage for a
    share (1), of a ratio (2); counts and days show one decimal below 100, none above.
    """
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    if unit == "money":
        return money(value, 2 if digits is None else digits)
    if unit == "share":
        return f"{100 * value:.{1 if digits is None else digits}f}%"
    if unit == "ratio":
        return f"{value:.{2 if digits is None else digits}f}"
    if digits is None:
        digits = 1 if abs(value) < 100 else 0
    return f"{value:,.{digits}f}"


def money(value: float | None, millions_digits: int = 2) -> str:
    """$1.23M, $456k, -$52k, $12; a missing value is an en dash."""
    if value is None or not math.isfinite(value):
        return "–"
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value >= 1e6:
        return f"{sign}${value / 1e6:.{millions_digits}f}M"
    if value >= 1e3:
        return f"{sign}${value / 1e3:.0f}k"
    return f"{sign}${value:.0f}"


def docs_table() -> str:
    """The Markdown table of every metric, as `docs/metrics.md` holds it."""
    rows = ["| metric | label | unit | kind | better | headline | definition |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            "| `heads_<role>` | Heads: <role> at end | count | stock | | | heads of that role "
            "employed (one metric per role) |"]
    for m in REGISTRY.values():
        better = {True: "higher", False: "lower", None: ""}[m.higher_is_better]
        rows.append(f"| `{m.name}` | {m.label} | {m.unit} | {m.kind} | {better} | "
                    f"{'yes' if m.headline else ''} | {m.formula} |")
    return "\n".join(rows) + "\n"
