"""The scenario schema: every key a scenario file may hold, with its type, range and meaning.

Models are frozen and forbid unknown keys. Each key's `description` is its meaning: the key
reference in docs/scenarios.md and the JSON Schema (`json_schema`, `simrev schema`) are
generated from this file. Cross-checks between sections (a seller's segment exists, a hire
names a role, dates fall in the horizon) live in `checks.py`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, ClassVar, Literal, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StrictBool,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema

from sim.roles import KINDS
from sim.roles import LEVERS as ENGINE_LEVERS

Lever = Literal["pipeline", "selling_time", "capacity", "win_rate", "deal_size", "cycle_time",
                "ramp_speed", "attrition", "time_to_hire", "churn", "expansion"]
LEVERS: tuple[str, ...] = get_args(Lever)  # in this order: the engine indexes them
if LEVERS != ENGINE_LEVERS:  # sim.roles.LEVERS is the engine's copy
    raise RuntimeError("sim.scenario.schema.Lever and sim.roles.LEVERS differ")
RoleKind = Literal["seller", "sdr", "csm", "support", "manager"]
Who = Literal["all", "bottom_quartile", "new_hires"]

NAME_PATTERN = r"^[a-z0-9_-]+$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _num(**bounds: Any) -> Any:
    """A finite number within `bounds` (ge, gt, le, lt). Numbers are strict: an int is
    accepted where a float is expected, but not a bool (`cost: yes`) nor a string
    (`win_rate: "22%"`), which a lax float would silently turn into 1.0 or parse."""
    return Field(**bounds, allow_inf_nan=False, strict=True)


def _int(**bounds: Any) -> Any:
    """A whole number within `bounds` (ge, le); strict, like `_num`."""
    return Field(**bounds, strict=True)


Rate = Annotated[float, _num(ge=0, le=1)]
# An effect multiplies a lever: 1.25 means +25%. Above the lever's bound a value is a
# percentage typed as a multiplier (`win_rate: 25` for +25%) or another typo
# (docs/scenarios.md, "Levers").
LEVER_MAX: dict[str, float] = {
    "pipeline": 5, "selling_time": 5, "capacity": 5, "win_rate": 5, "deal_size": 5,
    "ramp_speed": 10, "cycle_time": 10, "time_to_hire": 10, "attrition": 10, "churn": 10,
    "expansion": 10,
}
MULTIPLIER_HINT = "a multiplier: 1.25 means +25%"


def _lever_bounds(effects: dict[str, float]) -> dict[str, float]:
    """Each effect within its lever's bound (`LEVER_MAX`)."""
    for lever, value in effects.items():
        if value > LEVER_MAX[lever]:
            raise KeyValueError(lever, f"expected a number in (0, {LEVER_MAX[lever]:g}] for "
                                       f"{lever} ({MULTIPLIER_HINT})")
    return effects


Effects = Annotated[dict[Lever, Annotated[float, _num(gt=0)]], AfterValidator(_lever_bounds)]
Month = Annotated[str, Field(pattern=MONTH_PATTERN, strict=True)]

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
MAX_HEADCOUNT = 100_000  # one role's team today (also what a follower may need at the start)
Months = Annotated[float, _num(ge=0, le=MAX_MONTHS)]


def _zero_or_at_least_one(value: float) -> float:
    if 0 < value < 1:
        raise ValueError("expected 0 or a number >= 1 (a cost below one currency unit is a "
                         "typo)")
    return value


# A cost: 0, or from 1 (a cost of 1e-320 would make every ratio to it overflow) to its bound.
_BELOW_ONE = {"not": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}}
HeadCost = Annotated[float, _num(ge=0, le=MAX_HEAD_COST, json_schema_extra=_BELOW_ONE),
                     AfterValidator(_zero_or_at_least_one)]
ProgramCost = Annotated[float, _num(ge=0, le=MAX_PROGRAM_COST, json_schema_extra=_BELOW_ONE),
                        AfterValidator(_zero_or_at_least_one)]
# Today's tenure: one number for every head, or a list with one per head. The tags are the
# JSON types, so an error's location says which form was read (`tenure_months.array[1]`).
Tenure = Annotated[
    Union[Annotated[Months, Tag("number")], Annotated[list[Months], Tag("array")]],  # noqa: UP007
    Discriminator(lambda value: "array" if isinstance(value, list) else "number"),
]


class KeyValueError(ValueError):
    """A model-level check about one key (`key`) of the model, so that the loader points the
    error at that key (``roles.ae.span``) rather than at the model (``roles.ae``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_month(value: object) -> tuple[int, int]:
    """`YYYY-MM` -> (year, month); raises ValueError otherwise."""
    if not isinstance(value, str) or not re.match(MONTH_PATTERN, value):
        raise ValueError("expected a month as YYYY-MM, e.g. 2027-01")
    return int(value[:4]), int(value[5:])


def month_label(start: str, offset: int) -> str:
    """`YYYY-MM` of the month `offset` months after `start`."""
    year, month = parse_month(start)
    index = year * 12 + month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


MEAN = "the mean"


class Dist(Strict):
    """A lognormal by mean and coefficient of variation; cv 0 means exactly the mean."""

    mean: Annotated[float, _num(gt=0)] = Field(description=MEAN)
    cv: Annotated[float, _num(ge=0, le=10)] = Field(
        0.0, description="coefficient of variation (standard deviation / mean)")

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - 0.5 * self.sigma**2 if self.mean > 0 else -math.inf


DealMean = Annotated[float, _num(gt=0, le=MAX_DEAL)]
CycleMean = Annotated[float, _num(gt=0, le=MAX_DAYS)]
DelayMean = Annotated[float, _num(ge=0, le=MAX_DAYS)]
SHARES_TOLERANCE = 1e-6  # how far a mix's shares may sum from 1 (rounding in a fitted file)


class _Drops(Strict):
    """A model whose keys in `DROPPED` are left out of its dump while at their default, so
    scenarios that do not use them dump (and hash, `scenario_hash`) as before they existed."""

    DROPPED: ClassVar[tuple[str, ...]] = ()
    OTHER_FORM: ClassVar[str | None] = None  # set: `cv` is left out too (it belongs to `mean`)

    @model_serializer(mode="wrap")
    def _without_unset_keys(self, handler: SerializerFunctionWrapHandler) -> dict:
        data = handler(self)
        for key in self.DROPPED:
            if key in data and data[key] == type(self).model_fields[key].default:
                del data[key]
        if self.OTHER_FORM is not None and getattr(self, self.OTHER_FORM) is not None:
            data.pop("cv", None)
        return data

    def _other_form(self, missing: str, forms: str) -> bool:
        """Whether the law is given in `OTHER_FORM` rather than by mean and cv: exactly one
        of the two (`missing` and `forms` say what was expected). Needs a `mean` field."""
        other, mean = self.OTHER_FORM, self.mean  # type: ignore[attr-defined]
        if getattr(self, other) is None:
            if mean is None:
                raise KeyValueError("mean", f"required key is missing; expected {missing}")
            return False
        if mean is not None or "cv" in self.model_fields_set:
            key = "mean" if mean is not None else "cv"
            raise KeyValueError(key, f"'{key}' and '{other}' are both set; expected either "
                                f"{forms}")
        return True


class DealPart(Strict):
    """One component of a deal-size mix (a product, a kind of deal): a lognormal."""

    share: Annotated[float, _num(gt=0, le=1)] = Field(
        description="share of won deals of this component (the shares sum to 1)")
    mean: DealMean = Field(description=MEAN)
    cv: Annotated[float, _num(ge=0, le=10)] = Field(
        0.0, description="coefficient of variation (standard deviation / mean)")
    sigma = Dist.sigma
    mu = Dist.mu
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)] | None = Field(
        None, description="a label (the product), for reading only")


class DealSize(Dist, _Drops):
    """A lognormal by mean and cv, or a mix of lognormals (`mix`)."""

    model_config = ConfigDict(json_schema_extra={"not": {"anyOf": [
        {"required": ["mean", "mix"]}, {"required": ["cv", "mix"]}]}})
    DROPPED: ClassVar[tuple[str, ...]] = ("mean", "mix")
    OTHER_FORM: ClassVar[str | None] = "mix"
    mean: DealMean | None = Field(None, description=MEAN)
    mix: Annotated[list[DealPart], Field(min_length=1, max_length=100)] | None = Field(
        None, description="instead of mean and cv: a mix of lognormals, e.g. by product, "
        "[{share, mean, cv, name}, ...]; a won deal is of component k with probability "
        "share_k (the shares sum to 1)")

    @model_validator(mode="after")
    def _one_form(self) -> DealSize:
        if not self._other_form("a mean (a number in (0, 1_000_000_000_000]) or a mix",
                                "mean and cv (one lognormal) or mix (its components' own)"):
            return self
        total = sum(part.share for part in self.mix)
        if abs(total - 1.0) > SHARES_TOLERANCE:
            raise KeyValueError("mix", f"the shares sum to {total:g}; expected shares that "
                                "sum to 1")
        return self


QUANTILES_MAX = 1000  # knots of an empirical cycle


class CycleDays(Dist, _Drops):
    """A lognormal by mean and cv, or an empirical law by its quantiles (`quantiles`)."""

    model_config = ConfigDict(json_schema_extra={"not": {"anyOf": [
        {"required": ["mean", "quantiles"]}, {"required": ["cv", "quantiles"]}]}})
    DROPPED: ClassVar[tuple[str, ...]] = ("mean", "quantiles")
    OTHER_FORM: ClassVar[str | None] = "quantiles"
    mean: CycleMean | None = Field(None, description=MEAN)
    quantiles: Annotated[
        list[Annotated[list[Annotated[float, _num(ge=0, le=MAX_DAYS)]],
                       Field(min_length=2, max_length=2)]],
        Field(min_length=1, max_length=QUANTILES_MAX),
    ] | None = Field(
        None, description="instead of mean and cv: an empirical law by its quantiles, "
        "[[p, days], ...] with p increasing in (0, 1] up to 1 and days not decreasing (a "
        "table not starting at p = 0 starts at [0, 0]); the quantile function is linear "
        "between them")

    @model_validator(mode="after")
    def _one_form(self) -> CycleDays:
        if not self._other_form(f"a mean (a number in (0, {MAX_DAYS}]) or quantiles",
                                "mean and cv (a lognormal) or quantiles (an empirical law)"):
            return self
        previous_p, previous_days = 0.0, 0.0
        for i, (p, days) in enumerate(self.quantiles):
            if not (previous_p < p <= 1 or (i == 0 and p == 0)):
                raise KeyValueError("quantiles", f"pair {i + 1} has p = {p:g}; expected p "
                                    "increasing from pair to pair, within [0, 1]")
            if days < previous_days:
                raise KeyValueError("quantiles", f"pair {i + 1} has {days:g} days, fewer "
                                    f"than the {previous_days:g} before it; expected days "
                                    "that do not decrease")
            previous_p, previous_days = p, days
        if previous_p != 1:
            raise KeyValueError("quantiles", f"the last pair has p = {previous_p:g}; expected "
                                "a table that ends at p = 1 (the longest cycle)")
        if previous_days <= 0:
            raise KeyValueError("quantiles", "every quantile is 0 days; expected a cycle "
                                "with some length")
        return self


class Delay(Dist):
    """Like `Dist`, but zero is allowed (an instant delay)."""

    mean: DelayMean = Field(description=MEAN)


def _dist(value: object) -> object:
    """A plain number is an exact value: `60` means {mean: 60, cv: 0}."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"mean": value, "cv": 0.0}
    return value


# A distribution, also written as a plain number (its exact mean); the JSON Schema shows both.
DealSizeIn = Annotated[DealSize, BeforeValidator(_dist, json_schema_input_type=DealMean | DealSize)]
CycleDaysIn = Annotated[CycleDays,
                        BeforeValidator(_dist, json_schema_input_type=CycleMean | CycleDays)]
DelayIn = Annotated[Delay, BeforeValidator(_dist, json_schema_input_type=DelayMean | Delay)]


class NoDecision(Strict):
    """Opportunities that never decide: they hold a seller until they drop, and book nothing."""

    share: Annotated[float, _num(ge=0, lt=1)] = Field(
        description="share of opportunities that never decide (neither won nor lost)")
    after_days: Annotated[float, _num(gt=0, le=MAX_DAYS)] = Field(
        description="age in days at which an undecided opportunity drops out of the "
        "pipeline (not scaled by the cycle_time lever)")


class Segment(_Drops):
    """A market the team sells into."""

    DROPPED: ClassVar[tuple[str, ...]] = ("no_decision",)

    win_rate: Rate = Field(description="chance a decided opportunity is won when it "
                           "closes (× seller skill × levers); see no_decision")
    deal_size: DealSizeIn = Field(description="first-year ACV of a won deal (new ARR): "
                                  "lognormal, or a mix of lognormals (`mix`)")
    cycle_days: CycleDaysIn = Field(description="days from creation to close of a decided "
                                    "opportunity: lognormal, or empirical (`quantiles`)")
    accounts: Annotated[int, _int(ge=1, le=1_000_000_000)] | None = Field(
        None, description="addressable accounts; creation scales by (accounts − customers) "
        "/ accounts; unset: unlimited")
    inbound_opps_per_month: Annotated[float, _num(ge=0, le=MAX_OPPS)] = Field(
        0.0, description="marketing-sourced opportunities a month, routed to sellers")
    seasonality: list[Annotated[float, _num(ge=0, le=100)]] | None = Field(
        None, json_schema_extra={"minItems": 12, "maxItems": 12},
        description="multiplier on opportunity creation by calendar month, January first; "
        "unset: all 1")
    no_decision: NoDecision | None = Field(
        None, description="opportunities that close neither won nor lost; unset: every "
        "opportunity is decided")

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and len(value) != 12:
            raise ValueError(f"expected 12 values, one per calendar month, got {len(value)}")
        return value


class Follows(Strict):
    """What a role's headcount follows: one head per `arr` of ARR or per `sellers` sellers."""

    arr: Annotated[float, _num(gt=0, le=MAX_ARR)] | None = Field(
        None, description="one head per this much ARR (CSMs: about 2_000_000)")
    sellers: Annotated[float, _num(gt=0, le=100_000)] | None = Field(
        None, description="one head per this many sellers (coordinators, SDR ratios)")
    shrink: StrictBool = Field(False, description="when the driver falls, open requisitions "
                               "are cancelled and the longest-tenured heads leave; false: "
                               "nobody is let go")

    @model_validator(mode="after")
    def _one_driver(self) -> Follows:
        if (self.arr is None) == (self.sellers is None):
            key = "sellers" if self.arr is not None else "arr"
            raise KeyValueError(key, "expected exactly one driver: arr (one head per this "
                                     "much ARR) or sellers (one head per this many sellers)")
        return self


class Role(_Drops):
    """A headcount pool; its `kind` decides which keys it uses."""

    DROPPED: ClassVar[tuple[str, ...]] = ("opps_spread",)

    kind: RoleKind = Field(description="what the role does")
    segment: str | None = Field(None, description="the segment they work in (support "
                                "without one covers every segment)")
    headcount: Annotated[int, _int(ge=0, le=MAX_HEADCOUNT)] = Field(
        0, description="today's team")
    tenure_months: Tenure | None = Field(
        None, description="today's team's actual tenures in months (every seat filled): one "
        "number, or a list of one per head; unset: the stationary mix of tenures and "
        "vacancies the role's attrition and time to hire produce")
    cost: HeadCost = Field(0.0, description="fully loaded annual cost per head, excluding "
                           "commission")
    commission: Rate = Field(0.0, description="share of the bookings a seller wins")
    hire_cost: HeadCost = Field(0.0, description="one-off cost per hire (planned or "
                                "backfill)")
    ramp: Annotated[list[Rate], Field(min_length=1)] = Field(
        [1.0], description="productivity by month of tenure; the last value holds")
    attrition: Rate = Field(0.0, description="departures per head per year (a hazard)")
    backfill: StrictBool = Field(True, description="a leaver's requisition reopens at once")
    time_to_hire_days: DelayIn = Field(
        Delay(mean=0.0, cv=0.0), description="days from requisition open to start; 0: at once")
    opps_per_month: Annotated[float, _num(ge=0, le=10_000)] = Field(
        0.0, description="opportunities a month at full ramp: self-sourced (seller) or handed "
        "to sellers (sdr)")
    max_open_opps: Annotated[int, _int(ge=1, le=MAX_OPPS)] | None = Field(
        None, description="capacity: a full seller sources nothing and gets no routed "
        "opportunities; unset: unlimited")
    skill_sigma: Annotated[float, _num(ge=0, le=2)] = Field(
        0.0, description="spread of skill (lognormal, mean 1); multiplies win rate")
    territory_decay: Annotated[float, _num(ge=0, lt=1)] = Field(
        0.0, description="the k-th seat beyond today's team gets (1 − d)^k of the pipeline")
    opps_spread: Annotated[float, _num(ge=0, le=10)] = Field(
        0.0, description="spread of pipeline between heads: the cv of a lognormal multiplier "
        "(mean 1, one per head) on the opportunities a head sources; 0: every head alike")
    book_per_head: Annotated[float, _num(gt=0, le=MAX_ARR)] | None = Field(
        None, description="ARR one CSM covers before churn rises")
    covers: Annotated[float, _num(gt=0, le=100_000)] | None = Field(
        None, description="sellers supported per head")
    effects: Effects = Field({}, description="effects on the sellers covered: lever → "
                             "multiplier, each at most its lever's bound (Levers)")
    span: Annotated[int, _int(ge=1)] | None = Field(
        None, description="heads follow sellers: ceil(sellers / span) at every moment (the "
        "shorthand for follows: {sellers: span, shrink: true}, staffed at once)")
    follows: Follows | None = Field(
        None, description="headcount follows a driver, at least `headcount`: requisitions "
        "open at month starts when the driver needs another head")

    @model_validator(mode="after")
    def _kind_keys(self) -> Role:
        kind = KINDS[self.kind]
        for key in sorted(self.model_fields_set - kind.keys - {"kind"}):
            raise KeyValueError(key, f"key '{key}' is not used by a role of kind '{self.kind}'")
        for key in kind.required:
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
        if isinstance(self.tenure_months, list):
            return list(self.tenure_months)
        return None if self.tenure_months is None else [float(self.tenure_months)] * self.headcount


class Customers(Strict):
    """Today's book of business."""

    count: Annotated[int, _int(ge=0, le=50_000_000)] = Field(0, description="customers today")
    arr: Annotated[float, _num(ge=0, le=MAX_ARR)] = Field(
        0.0, description="their ARR, shared equally (needs count ≥ 1)")
    churn: Rate = Field(0.0, description="annual share of customers lost")
    expansion: Rate = Field(0.0, description="annual growth of retained customers' ARR")
    overload_churn: Annotated[float, _num(ge=0, le=100)] = Field(
        0.0, description="churn multiplier slope when CSMs are over book_per_head")

    @model_validator(mode="after")
    def _arr_needs_customers(self) -> Customers:
        if self.arr > 0 and self.count == 0:
            raise KeyValueError(
                "count", "arr is set but count is 0; expected at least one customer to hold it"
            )
        return self


class Hire(Strict):
    """Requisitions opened (or planned exits) for one role in one month."""

    role: str = Field(description="who is hired: a role that is not a manager")
    count: Annotated[int, _int(ge=-100_000, le=100_000)] = Field(
        json_schema_extra={"not": {"const": 0}},
        description="requisitions opened; negative: planned exits, longest tenure first")
    month: Month = Field(description="when the requisitions open (or the exits happen), "
                         "within the horizon")

    @field_validator("count")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("expected a non-zero count (negative = planned exits)")
        return value


class Targets(Strict):
    """Whom a program acts on."""

    role: str = Field(description="the role it acts on (without targets: every head)")
    who: Who = Field("all", description="which of its heads")
    reselect_months: Annotated[int, _int(ge=0, le=MAX_MONTHS)] = Field(
        3, description="bottom_quartile: the quartile is chosen again every this many "
        "months of the program (0: once, at its start)")


class Program(Strict):
    """Enablement, tools, anything with a cost and effects."""

    start: Month = Field(description="first month, within the horizon")
    months: Annotated[int, _int(ge=1, le=MAX_MONTHS)] | None = Field(
        None, description="how many months it runs; unset: to the end")
    cost: ProgramCost = Field(0.0, description="one-off, in the start month")
    monthly_cost: ProgramCost = Field(0.0, description="every month it runs")
    seat_cost_per_month: HeadCost = Field(
        0.0, description="per targeted head per month (AI tools)")
    targets: Targets | None = Field(None, description="whom it acts on")
    effects: Effects = Field({}, description="what it changes: lever → multiplier, each at most "
                                                   "its lever's bound (Levers)")
    phase_in_months: Annotated[int, _int(ge=0, le=MAX_MONTHS)] = Field(
        0, description="the effect grows linearly to full over this many months")


class Company(Strict):
    """The company around the go-to-market team (only for company-wide ratios)."""

    other_heads: Annotated[int, _int(ge=0, le=10_000_000)] = Field(
        0, description="Employees outside the go-to-market roles (engineering, G&A, ...); "
                       "revenue_per_employee divides revenue by GTM heads plus these.")


class Scenario(Strict):
    """A go-to-market team and its plan."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)] = Field(
        description="names the output folder")
    description: str = Field("", description="shown in reports")
    start: Month = Field(description="first simulated month")
    quarters: Annotated[int, _int(ge=1, le=40)] = Field(8, description="the horizon")
    replications: Annotated[int, _int(ge=1, le=1_000_000)] = Field(
        1000, description="Monte Carlo runs")
    seed: Annotated[int, _int(ge=0, le=2**63 - 1)] = Field(0, description="random seed")
    segments: Annotated[dict[str, Segment], Field(min_length=1)] = Field(
        description="markets sold into")
    roles: dict[str, Role] = Field({}, description="headcount pools")
    customers: Customers = Field(Customers(), description="today's book of business")
    hiring: list[Hire] = Field([], description="planned hires and exits")
    programs: dict[str, Program] = Field({}, description="enablement, tools, anything with a "
                                         "cost and effects")
    company: Company | None = Field(
        None, description="the rest of the company, for revenue_per_employee")
    start_state: Annotated[str, Field(min_length=1, max_length=4096)] | None = Field(
        None, description="a start-state file (CSV or parquet, docs/state.md), relative to "
        "the file that sets it: today's roster and open pipeline replace the stationary "
        "start, and there is no warm-up; unset: the stationary start")

    # Ranged assumptions (sim.ranges.Range, in file order): the fields hold each at its
    # nominal value; set by the loader, kept by `model_copy`, not part of the key schema.
    _ranges: tuple[Any, ...] = PrivateAttr(())

    @property
    def ranges(self) -> tuple[Any, ...]:
        """The ranged assumptions (`sim.ranges.Range`), in file order; () when none."""
        return self._ranges

    @model_serializer(mode="wrap")
    def _without_absent_company(self, handler: SerializerFunctionWrapHandler) -> dict:
        """Leave `company` and `start_state` out while unset, so older scenarios dump (and
        hash) as before."""
        data = handler(self)
        if self.company is None:
            data.pop("company", None)
        if self.start_state is None:
            data.pop("start_state", None)
        return data

    @property
    def months(self) -> int:
        return 3 * self.quarters

    def month_index(self, month: str) -> int:
        """Horizon month index of a `YYYY-MM` date (0 = `start`); may be out of range."""
        y0, m0 = parse_month(self.start)
        y, m = parse_month(month)
        return (y - y0) * 12 + (m - m0)


EXTENDS = "the scenario this one starts from: a path relative to this file"


class _NoFieldTitles(GenerateJsonSchema):
    """Leave out the title of each key: it only repeats the key."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def model_schema() -> dict[str, Any]:
    """`Scenario`'s JSON Schema as pydantic writes it (without key titles)."""
    return Scenario.model_json_schema(schema_generator=_NoFieldTitles)


RANGE_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Range",
    "description": "an assumption drawn once per replication: uniform between the ends, or "
                   "triangular with mode `likely` (docs/scenarios.md, Ranges)",
    "properties": {"between": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                               "maxItems": 2, "description": "[low, high]"},
                   "likely": {"type": "number", "description": "the most likely value"}},
    "required": ["between"], "additionalProperties": False,
}
RANGE_REF = {"$ref": "#/$defs/Range"}
UNIONS = ("anyOf", "oneOf")
LABEL_WORDS = ("description", "default", "title")


def _ranged(node: Any, in_union: bool = False) -> Any:
    """The schema with a range allowed wherever a (not only whole) number is: added to a
    union that has a number form, or as `if: object, then: Range, else: number` (editor
    schema only; the loader checks ranges itself, sim.ranges)."""
    if isinstance(node, list):
        return [_ranged(item, in_union) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _ranged(value, key in UNIONS) for key, value in node.items()}
    for union in UNIONS:
        if any(isinstance(m, dict) and m.get("type") == "number" for m in out.get(union, [])):
            out[union] = [*out[union], RANGE_REF]
    if out.get("type") == "number" and not in_union:
        # if/else rather than anyOf, so that a bad number is still told its own bound
        labels = {k: out.pop(k) for k in LABEL_WORDS if k in out}
        return {"if": {"type": "object"}, "then": RANGE_REF, "else": out, **labels}
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, for editors: the model's schema
    plus `extends` and the keys each kind of role uses. A file that extends another may set
    any part of a section, so only the top-level keys of a file without `extends` are
    required; a range may stand wherever a number may. Cross-checks (a role's segment
    exists, dates in the horizon) are not in it: `simrev validate` runs them."""
    schema = model_schema()
    for model in schema["$defs"].values():
        model.pop("required", None)
    required = schema.pop("required")
    schema["properties"]["extends"] = {"anyOf": [{"type": "string"}, {"type": "null"}],
                                       "description": EXTENDS}
    schema["$defs"]["Role"]["allOf"] = [
        {"if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
         "then": {"propertyNames": {"enum": ["kind", *sorted(kind.keys)]}}}
        for kind in KINDS.values()
    ]
    schema = _ranged(schema)
    schema["$defs"]["Range"] = RANGE_SCHEMA
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema,
            "title": "simrev scenario",
            "if": {"required": ["extends"]}, "else": {"required": required}}


def schema_json() -> str:
    """`json_schema()` as the text of docs/scenario.schema.json (2-space indent, newline)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
