"""Seller rows as numpy columns, and reps.csv's rows rendered where they are simulated.

A worker process turns its chunk's seller blocks (`sim.model.Model.seller_block`) into one
structured array (`SELLER_DTYPE`), adds the columns reps.csv derives from them (months
employed, annual bookings, the months hired and left) and renders the chunk's reps.csv
rows as text, so that the parent only concatenates arrays and bytes. Only numpy is needed
here: workers never load pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.plan import MONTH_DAYS

SELLER_DTYPE = np.dtype([
    ("replication", np.int64), ("role", np.int64), ("seat", np.int64),
    ("occupant", np.int64), ("hired_day", np.float64), ("left_day", np.float64),
    ("skill", np.float64), ("opps", np.int64), ("wins", np.int64), ("bookings", np.float64),
    # derived (`derive`)
    ("months_employed", np.float64), ("annual_bookings", np.float64),
    ("hired_month", np.int64), ("left_month", np.int64),
])
RAW_FIELDS = SELLER_DTYPE.names[:10]  # a SellerRow with its replication first
NOT_LEFT = np.iinfo(np.int64).min  # left_month of a seller still employed at the end
REPS_COLUMNS = ("replication", "role", "seat", "occupant", "hired", "left", "cohort", "skill",
                "months_employed", "opportunities", "wins", "bookings", "annual_bookings")
FLOAT_FORMAT = "%.10g"  # as sim.outputs.FLOAT_FORMAT: the same bytes as the frame's writer


SELLER_COLUMNS = RAW_FIELDS[1:]  # a seller's block row (`sim.model.Model.seller_block`)


def seller_table(blocks: Sequence[np.ndarray], replications: Sequence[int], months: int
                 ) -> np.ndarray:
    """Replications' sellers, one block each (`Model.seller_block`: rows of
    `SELLER_COLUMNS` as float64s), as a structured array with derived columns."""
    counts = [len(block) for block in blocks]
    out = np.zeros(sum(counts), SELLER_DTYPE)
    if not len(out):
        return out
    values = np.concatenate(blocks)
    out["replication"] = np.repeat(np.asarray(replications, dtype=np.int64), counts)
    for k, name in enumerate(SELLER_COLUMNS):
        out[name] = values[:, k]  # integers are exact in float64: cast back as they were
    derive(out, months)
    return out


def month_index(days: np.ndarray) -> np.ndarray:
    """`sim.plan.month_of` of each day (finite days), exact at the boundaries alike."""
    month = np.floor_divide(days, MONTH_DAYS)
    month = np.where((month + 1) * MONTH_DAYS <= days, month + 1, month)
    month = np.where(month * MONTH_DAYS > days, month - 1, month)
    return month.astype(np.int64)


def derive(out: np.ndarray, months: int) -> None:
    """Fill the derived columns: as `sim.aggregate.seller_frame` computed them."""
    horizon = months * MONTH_DAYS
    hired, left = out["hired_day"], out["left_day"]
    gone = ~np.isnan(left)
    employed_days = np.clip(np.where(gone, left, horizon), 0, horizon) - np.clip(
        hired, 0, horizon)
    employed = np.maximum(0.0, employed_days) / MONTH_DAYS
    out["months_employed"] = employed
    with np.errstate(divide="ignore", invalid="ignore"):
        out["annual_bookings"] = np.where(employed > 0, out["bookings"] * 12.0 / employed,
                                          np.nan)
    out["hired_month"] = month_index(hired)
    out["left_month"] = np.where(gone, month_index(np.where(gone, left, 0.0)), NOT_LEFT)


def month_labels(start: str, first: int, last: int) -> list[str]:
    """`YYYY-MM` of months `first` .. `last` after `start` (`YYYY-MM`)."""
    base = int(start[:4]) * 12 + int(start[5:7]) - 1
    return [f"{(base + k) // 12:04d}-{(base + k) % 12 + 1:02d}" for k in range(first, last + 1)]


def label_codes(sellers: np.ndarray, start: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """reps.csv's `hired`, `left` and `cohort` texts as (codes, table): a seller's text is
    `table[code]` (`table` an object array of the distinct texts, `left` empty last)."""
    hired, left = sellers["hired_month"], sellers["left_month"]
    gone = left != NOT_LEFT
    if len(sellers) == 0:
        empty = np.empty(0, dtype=object)
        none = np.zeros(0, dtype=np.intp)
        return {"hired": (none, empty), "left": (none, empty), "cohort": (none, empty)}
    low = int(min(hired.min(), left[gone].min() if gone.any() else hired.min()))
    high = int(max(hired.max(), left[gone].max() if gone.any() else hired.max()))
    months = month_labels(start, low, high)
    quarters = [f"Q{q + 1}" for q in range(max(0, high) // 3 + 1)]
    left_codes = np.full(len(sellers), len(months), dtype=np.intp)  # "" unless gone
    left_codes[gone] = left[gone] - low
    cohort_codes = np.where(sellers["hired_day"] < 0, len(quarters),
                            np.maximum(hired, 0) // 3)
    return {"hired": (hired - low, np.array(months, dtype=object)),
            "left": (left_codes, np.array([*months, ""], dtype=object)),
            "cohort": (cohort_codes, np.array([*quarters, "today"], dtype=object))}


def labels(sellers: np.ndarray, start: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """reps.csv's `hired`, `left` and `cohort` texts (object arrays), by table look-up."""
    codes = label_codes(sellers, start)
    return tuple(table[code] for code, table in (codes[k] for k in ("hired", "left", "cohort")))


def _floats(values: np.ndarray) -> list[str]:
    text = list(map(FLOAT_FORMAT.__mod__, values.tolist()))
    for i in np.flatnonzero(np.isnan(values)).tolist():
        text[i] = ""  # a missing value is an empty field, as pandas writes NaN
    return text


RENDER_ROWS = 4_096  # rows rendered at a time: their columns of texts are the memory held


def render_rows(sellers: np.ndarray, roles: Sequence[str], start: str) -> bytes:
    """reps.csv's rows of these sellers (no header), byte for byte as pandas writes them
    from the frame (`FLOAT_FORMAT`, NaN empty, `\\n` line ends), column by column,
    `RENDER_ROWS` rows at a time (a chunk of a large team has hundreds of thousands: their
    texts all at once took about 1 kB a row)."""
    if len(sellers) > RENDER_ROWS:
        return b"".join(render_rows(sellers[i : i + RENDER_ROWS], roles, start)
                        for i in range(0, len(sellers), RENDER_ROWS))
    if len(sellers) == 0:
        return b""
    hired, left, cohort = labels(sellers, start)
    role_names = np.array(list(roles), dtype=object)[sellers["role"]]
    columns = [
        list(map(str, sellers["replication"].tolist())), role_names.tolist(),
        list(map(str, sellers["seat"].tolist())), list(map(str, sellers["occupant"].tolist())),
        hired.tolist(), left.tolist(), cohort.tolist(), _floats(sellers["skill"]),
        _floats(sellers["months_employed"]), list(map(str, sellers["opps"].tolist())),
        list(map(str, sellers["wins"].tolist())), _floats(sellers["bookings"]),
        _floats(sellers["annual_bookings"]),
    ]
    return ("\n".join(map(",".join, zip(*columns, strict=True))) + "\n").encode()


def csv_header() -> bytes:
    return (",".join(REPS_COLUMNS) + "\n").encode()
