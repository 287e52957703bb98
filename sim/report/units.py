"""How each metric reads: a label and a kind of value (money, count, ratio, share)."""

from __future__ import annotations

METRICS: dict[str, tuple[str, str]] = {
    "bookings": ("Bookings", "money"),
    "revenue": ("Revenue (recognized)", "money"),
    "arr": ("ARR at end", "money"),
    "net_new_arr": ("Net new ARR", "money"),
    "cost_total": ("Total cost", "money"),
    "heads_total": ("Heads at end", "count"),
    "sellers": ("Sellers at end", "count"),
    "revenue_per_head": ("Revenue per head", "money"),
    "arr_per_head": ("ARR per head", "money"),
    "bookings_per_seller": ("Bookings per seller", "money"),
    "win_rate": ("Win rate", "share"),
    "opps_unworked": ("Unworked opportunities", "count"),
    "sales_expense_ratio": ("Sales expense ratio", "ratio"),
    "magic_number": ("Magic number", "ratio"),
    "customers": ("Customers at end", "count"),
    "arr_per_customer": ("ARR per customer", "money"),
    "new_logo_share": ("New-logo share of bookings", "share"),
    "clv": ("Customer lifetime value", "money"),
    "arr_per_csm": ("ARR per CSM", "money"),
    "ramped_sellers": ("Ramped sellers (sum of ramp)", "count"),
    "hires": ("Hires", "count"),
    "departures": ("Departures", "count"),
    "opps_created": ("Opportunities created", "count"),
    "opps_created_self": ("Opportunities created by sellers", "count"),
    "opps_created_sdr": ("Opportunities created by SDRs", "count"),
    "opps_created_inbound": ("Inbound opportunities", "count"),
    "opps_won": ("Opportunities won", "count"),
    "opps_lost": ("Opportunities lost", "count"),
    "open_opps": ("Open opportunities at end", "count"),
    "cycle_days_won": ("Sales cycle of won deals (days)", "count"),
    "avg_deal_size": ("Average deal size", "money"),
    "expansion_arr": ("Expansion ARR", "money"),
    "churned_arr": ("Churned ARR", "money"),
    "customers_won": ("Customers won", "count"),
    "customers_churned": ("Customers churned", "count"),
    "cost_people": ("Cost: people", "money"),
    "cost_commission": ("Cost: commission", "money"),
    "cost_hiring": ("Cost: hiring", "money"),
    "cost_programs": ("Cost: programs", "money"),
}


def label(metric: str) -> str:
    """A metric's name for reading, e.g. `heads_ae` -> `Heads: ae at end`."""
    if metric in METRICS:
        return METRICS[metric][0]
    if metric.startswith("heads_"):
        return f"Heads: {metric[6:]} at end"
    return metric.replace("_", " ").capitalize()



def kind(metric: str) -> str:
    """The kind of a metric's values: money, count, ratio or share."""
    if metric in METRICS:
        return METRICS[metric][1]
    if metric.endswith(("_rate", "_share")):
        return "share"
    if metric.startswith(("heads", "sellers", "customers", "opps", "open_opps", "ramped",
                          "hires", "departures", "cycle_days")) or metric.endswith("_days"):
        return "count"
    if metric in ("sales_expense_ratio", "magic_number"):
        return "ratio"
    return "money"
