"""The scenario schema: every key a scenario file may hold, with its type and range.

Models are frozen and forbid unknown keys. Cross-checks between sections (a seller's
segment exists, a hire names a role, dates fall in the horizon) live in `checks.py`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from sim.roles import KINDS

Lever = Literal[
    "pipeline",
    "selling_time",
    "capacity",
    "win_rate",
    "deal_size",
    "cycle_time",
    "ramp_speed",
    "attrition",
    "time_to_hire",
    "churn",
    "expansion",
]
LEVERS: tuple[str, ...] = get_args(Lever)  # in this order: the engine indexes them
RoleKind = Literal["seller", "sdr", "csm", "support", "manager"]
Who = Literal["all", "bottom_quartile", "new_hires"]

NAME_PATTERN = r"^[a-z0-9_-]+$"
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")

# Finite numbers only: NaN and infinity are rejected everywhere. Numbers are strict: an int
# is accepted where a float is expected, but not a bool (`cost: yes`) nor a string
# (`win_rate: "22%"`), which a lax float would silently turn into 1.0 or parse.
Num = Annotated[float, Field(allow_inf_nan=False, strict=True)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
Rate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=0, strict=True)]
# Multipliers beyond x100 are typos (a seasonality of 1e10 would never finish simulating).
Multiplier = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False, strict=True)]
Effects = dict[Lever, Multiplier]


def _bounded(low: float, high: float, strict_low: bool = False) -> object:
    """A finite number in [low, high] ((low, high] with `strict_low`)."""
    if strict_low:
        return Annotated[float, Field(gt=low, le=high, allow_inf_nan=False, strict=True)]
    return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False, strict=True)]


# Bounds of what a business can mean (docs/scenarios.md, "Bounds"): beyond them a value is
# a typo, and the arithmetic (sums over years of deals, exp of lognormal draws) would
# overflow. Money is in one currency unit.
MAX_DEAL = 10**12  # mean size of one deal
MAX_ARR = 10**13  # a whole book of business, or one CSM's
MAX_HEAD_COST = 10**9  # a head per year, a hire, a seat per month
MAX_PROGRAM_COST = 10**12
MAX_DAYS = 3650  # a sales cycle or a time to hire
MAX_MONTHS = 1200  # a tenure, a program's length or phase-in
MAX_OPPS = 10**6  # opportunities per month, a seller's open opportunities
Months = _bounded(0, MAX_MONTHS)


def _zero_or_at_least_one(value: float) -> float:
    if 0 < value < 1:
        raise ValueError("expected 0 or a number >= 1 (a cost below one currency unit is a "
                         "typo)")
    return value


# A cost: 0, or from 1 (a cost of 1e-320 would make every ratio to it overflow) to `high`.
def _cost(high: float) -> object:
    return Annotated[float, Field(ge=0, le=high, allow_inf_nan=False, strict=True),
                     AfterValidator(_zero_or_at_least_one)]


HeadCost = _cost(MAX_HEAD_COST)
ProgramCost = _cost(MAX_PROGRAM_COST)
Season = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]


class KeyValueError(ValueError):
    """A model-level check that is about one key of the model (`key`).

    Raised by "after" validators so that the loader can point the error at that key
    (``roles.ae.span``) rather than at the model (``roles.ae``).
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_month(value: object) -> tuple[int, int]:
    """`YYYY-MM` -> (year, month); raises ValueError otherwise."""
    match = MONTH_PATTERN.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError("expected a month as YYYY-MM, e.g. 2027-01")
    return int(match.group(1)), int(match.group(2))


def _month_str(value: object) -> str:
    parse_month(value)
    return str(value)


class Dist(Strict):
    """A lognormal by mean and coefficient of variation; cv 0 means exactly the mean."""

    mean: Positive
    cv: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False, strict=True)] = 0.0

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - 0.5 * self.sigma**2 if self.mean > 0 else -math.inf


class DealSize(Dist):
    mean: _bounded(0, MAX_DEAL, strict_low=True)  # type: ignore[valid-type]


class CycleDays(Dist):
    mean: _bounded(0, MAX_DAYS, strict_low=True)  # type: ignore[valid-type]


class Delay(Dist):
    """Like `Dist`, but zero is allowed (an instant delay)."""

    mean: _bounded(0, MAX_DAYS)  # type: ignore[valid-type]


def _dist(value: object) -> object:
    """A plain number is an exact value: `60` means {mean: 60, cv: 0}."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"mean": value, "cv": 0.0}
    return value


class Segment(Strict):
    win_rate: Rate
    deal_size: DealSize
    cycle_days: CycleDays
    accounts: Annotated[int, Field(ge=1, le=1_000_000_000, strict=True)] | None = None
    inbound_opps_per_month: _bounded(0, MAX_OPPS) = 0.0  # type: ignore[valid-type]
    seasonality: list[Season] | None = None

    _dists = field_validator("deal_size", "cycle_days", mode="before")(_dist)

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and len(value) != 12:
            raise ValueError(f"expected 12 values, one per calendar month, got {len(value)}")
        return value


# Which keys each kind of role uses (any other key set on that role is an error) and needs.
KIND_KEYS: dict[str, frozenset[str]] = {name: kind.keys for name, kind in KINDS.items()}
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {name: kind.required for name, kind in KINDS.items()}


class Role(Strict):
    kind: RoleKind
    segment: str | None = None
    headcount: Annotated[int, Field(ge=0, le=100_000, strict=True)] = 0
    # None: today's heads start in the role's stationary state (sim.steady)
    tenure_months: Months | list[Months] | None = None  # type: ignore[valid-type]
    cost: HeadCost = 0.0  # type: ignore[valid-type]
    commission: Rate = 0.0
    hire_cost: HeadCost = 0.0  # type: ignore[valid-type]
    ramp: Annotated[list[Rate], Field(min_length=1)] = [1.0]
    attrition: Rate = 0.0
    backfill: StrictBool = True
    time_to_hire_days: Delay = Delay(mean=0.0, cv=0.0)
    opps_per_month: _bounded(0, 10_000) = 0.0  # type: ignore[valid-type]
    max_open_opps: Annotated[int, Field(ge=1, le=MAX_OPPS, strict=True)] | None = None
    skill_sigma: Annotated[float, Field(ge=0, le=2, allow_inf_nan=False, strict=True)] = 0.0
    territory_decay: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False, strict=True)] = 0.0
    book_per_head: _bounded(0, MAX_ARR, strict_low=True) | None = None  # type: ignore[valid-type]
    covers: _bounded(0, 100_000, strict_low=True) | None = None  # type: ignore[valid-type]
    effects: Effects = {}
    span: Annotated[int, Field(ge=1, strict=True)] | None = None

    _dists = field_validator("time_to_hire_days", mode="before")(_dist)

    @model_validator(mode="after")
    def _kind_keys(self) -> Role:
        allowed = KIND_KEYS[self.kind] | {"kind"}
        for key in sorted(self.model_fields_set - allowed):
            raise KeyValueError(key, f"key '{key}' is not used by a role of kind '{self.kind}'")
        for key in REQUIRED_KEYS[self.kind]:
            if getattr(self, key) is None:
                raise KeyValueError(key, f"a role of kind '{self.kind}' needs '{key}'")
        if isinstance(self.tenure_months, list) and len(self.tenure_months) != self.headcount:
            raise KeyValueError(
                "tenure_months",
                f"tenure_months lists {len(self.tenure_months)} values; expected one per head "
                f"(headcount {self.headcount})"
            )
        return self

    def tenures(self) -> list[float] | None:
        """Tenure in months of each of today's heads; None when not set (stationary start)."""
        if self.tenure_months is None:
            return None
        if isinstance(self.tenure_months, list):
            return list(self.tenure_months)
        return [float(self.tenure_months)] * self.headcount


class Customers(Strict):
    count: Annotated[int, Field(ge=0, le=50_000_000, strict=True)] = 0
    arr: _bounded(0, MAX_ARR) = 0.0  # type: ignore[valid-type]
    churn: Rate = 0.0
    expansion: Rate = 0.0
    overload_churn: _bounded(0, 100) = 0.0  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _arr_needs_customers(self) -> Customers:
        if self.arr > 0 and self.count == 0:
            raise KeyValueError(
                "count", "arr is set but count is 0; expected at least one customer to hold it"
            )
        return self


class Hire(Strict):
    role: str
    count: Annotated[int, Field(ge=-100_000, le=100_000, strict=True)]
    month: str

    _month = field_validator("month", mode="before")(_month_str)

    @field_validator("count")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("expected a non-zero count (negative = planned exits)")
        return value


class Targets(Strict):
    role: str
    who: Who = "all"


class Program(Strict):
    start: str
    months: Annotated[int, Field(ge=1, le=MAX_MONTHS, strict=True)] | None = None
    cost: ProgramCost = 0.0  # type: ignore[valid-type]
    monthly_cost: ProgramCost = 0.0  # type: ignore[valid-type]
    seat_cost_per_month: HeadCost = 0.0  # type: ignore[valid-type]
    targets: Targets | None = None
    effects: Effects = {}
    phase_in_months: Annotated[int, Field(ge=0, le=MAX_MONTHS, strict=True)] = 0

    _month = field_validator("start", mode="before")(_month_str)


class Scenario(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
    description: str = ""
    start: str
    quarters: Annotated[int, Field(ge=1, le=40, strict=True)] = 8
    replications: Annotated[int, Field(ge=1, le=1_000_000, strict=True)] = 1000
    seed: Annotated[int, Field(ge=0, le=2**63 - 1, strict=True)] = 0
    segments: Annotated[dict[str, Segment], Field(min_length=1)]
    roles: dict[str, Role] = {}
    customers: Customers = Customers()
    hiring: list[Hire] = []
    programs: dict[str, Program] = {}

    _month = field_validator("start", mode="before")(_month_str)

    @property
    def months(self) -> int:
        return 3 * self.quarters

    def month_index(self, month: str) -> int:
        """Horizon month index of a `YYYY-MM` date (0 = `start`); may be out of range."""
        y0, m0 = parse_month(self.start)
        y, m = parse_month(month)
        return (y - y0) * 12 + (m - m0)
