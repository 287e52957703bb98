"""What each kind of role does: one table, read by the schema, checks, model, people and runner.

A role's `kind` decides its behaviour; nothing else in simrev tests a kind by name. Adding a
kind means adding a row here (and its keys' meaning in the docs).
"""

from __future__ import annotations

from dataclasses import dataclass

# Arrival kinds of opportunities (the pipeline's `kind` of an arrival).
SELF, SDR = 0, 1

# Every lever, in the order the engine indexes them (sim.levers); the schema's `Lever`
# lists the same names (checked there). Here so that simulating needs no schema import.
LEVERS: tuple[str, ...] = ("pipeline", "selling_time", "capacity", "win_rate", "deal_size",
                           "cycle_time", "ramp_speed", "attrition", "time_to_hire", "churn",
                           "expansion")

# Levers that act on the book of customers, whoever a program targets.
BOOK_LEVERS = frozenset({"churn", "expansion"})
# Levers that act on the heads of every simulated kind.
PERSON_LEVERS = frozenset({"ramp_speed", "attrition", "time_to_hire"})
# Levers that act on a seller's own opportunities (pipeline, capacity, outcomes).
SELLING_LEVERS = frozenset({"pipeline", "selling_time", "capacity", "win_rate", "deal_size",
                            "cycle_time"})


@dataclass(frozen=True)
class Kind:
    """The behaviour of one kind of role."""

    name: str
    keys: frozenset[str]  # scenario keys the kind uses (others are errors)
    required: tuple[str, ...]  # keys it must set
    sources: int | None  # arrival kind of the opportunities its heads create, if any
    sells: bool  # owns and closes opportunities: routed to, capacity, counted as sellers
    simulated: bool  # heads are people with tenure, ramp and attrition (else they follow span)
    hireable: bool  # planned hires and exits apply to it
    covers_book: bool  # its heads cover ARR (CSM load)
    supports: bool  # its `effects` reach the sellers it covers
    head_levers: frozenset[str]  # levers a program targeting the role acts on, per head


_PEOPLE = frozenset({"headcount", "tenure_months", "cost", "hire_cost", "ramp", "attrition",
                     "backfill", "time_to_hire_days"})

KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("seller", _PEOPLE | {"segment", "commission", "opps_per_month", "max_open_opps",
                              "skill_sigma", "territory_decay", "opps_spread"},
         required=("segment",), sources=SELF, sells=True, simulated=True, hireable=True,
         covers_book=False, supports=False, head_levers=PERSON_LEVERS | SELLING_LEVERS),
    Kind("sdr", _PEOPLE | {"segment", "opps_per_month", "opps_spread", "follows"},
         required=("segment",), sources=SDR, sells=False, simulated=True, hireable=True,
         covers_book=False, supports=False,
         head_levers=PERSON_LEVERS | {"pipeline", "selling_time"}),
    Kind("csm", _PEOPLE | {"book_per_head", "follows"},
         required=("book_per_head",), sources=None, sells=False, simulated=True,
         hireable=True, covers_book=True, supports=False, head_levers=PERSON_LEVERS),
    Kind("support", _PEOPLE | {"segment", "covers", "effects", "follows"},
         required=("covers",), sources=None, sells=False, simulated=True, hireable=True,
         covers_book=False, supports=True, head_levers=PERSON_LEVERS),
    Kind("manager", frozenset({"span", "cost"}),
         required=("span",), sources=None, sells=False, simulated=False, hireable=False,
         covers_book=False, supports=False, head_levers=frozenset()),
)}

def docs_table() -> str:
    """The Markdown table of what each kind does, as `docs/model.md` holds it."""
    def yes(flag: bool) -> str:
        return "yes" if flag else ""

    rows = ["| kind | sources opportunities | routed to, closes deals | headcount | hired | "
            "covers ARR | effects reach sellers | levers a program acts on per head |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k in KINDS.values():
        source = {SELF: "its own", SDR: "hands them to sellers", None: ""}[k.sources]
        if not k.simulated:
            heads = "ceil(sellers / span), at once"
        elif "follows" in k.keys:
            heads = "fixed, or following a driver (`follows`); attrition and backfill"
        else:
            heads = "fixed, with attrition and backfill"
        levers = ", ".join(sorted(k.head_levers)) or "none"
        rows.append(f"| `{k.name}` | {source} | {yes(k.sells)} | {heads} | {yes(k.hireable)} | "
                    f"{yes(k.covers_book)} | {yes(k.supports)} | {levers} |")
    return "\n".join(rows) + "\n"


# What a support role's `effects` may state: levers that act on the sellers it covers (its
# effect on a seller is the coverage share of the full effect) and on the book.
SUPPORT_LEVERS = (SELLING_LEVERS | {"ramp_speed", "attrition"}) | BOOK_LEVERS
