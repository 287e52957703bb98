"""A roster's heads copy their role's and segment's figures from the head made before
(`Head._copy_figures`) instead of reading the plan again: the same figures either way."""

from __future__ import annotations

import math

import pytest

from sim.people import FIGURES, Head, Roster
from sim.plan import compile_plan
from sim.scenario.schema import Scenario
from tests.factories import SELLER, scenario_dict, stress_plan


# the stress plan's roles, and a seller whose segment has undecided deals, an empirical
# cycle and a deal-size mix, and who sources with a spread of its own (figures the stress
# plan leaves at their defaults)
def fitted_like():  # noqa: ANN201
    d = scenario_dict(roles={"ae": dict(SELLER, skill_sigma=0.3, opps_spread=0.5,
                                        commission=0.1)})
    d["segments"]["mid"] = dict(
        win_rate=0.25, no_decision={"share": 0.2, "after_days": 90},
        cycle_days={"quantiles": [[0.5, 40], [1.0, 120]]},
        deal_size={"mix": [{"share": 0.7, "mean": 12_000, "cv": 0.3},
                           {"share": 0.3, "mean": 60_000, "cv": 0.5}]})
    return compile_plan(Scenario.model_validate(d))


PLANS = [stress_plan(), fitted_like()]
CASES = [(p, role) for p in PLANS for role in p.roles]


def segment_of(p, role):  # noqa: ANN001, ANN201
    return p.segments[role.segment] if role.segment is not None else None


def same(a: object, b: object) -> bool:
    return a is b or a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize(("p", "role"), CASES, ids=[f"{p.name}-{r.name}" for p, r in CASES])
def test_a_head_made_like_another_has_the_figures_read_from_the_plan(p, role) -> None:
    first = Head(role, 0, 0, p.seed, 3, 0, segment_of(p, role))
    read = Head(role, 1, 0, p.seed, 3, 1, segment_of(p, role))
    copied = Head(role, 1, 0, p.seed, 3, 1, segment_of(p, role), like=first)
    for name in FIGURES:
        assert same(getattr(copied, name), getattr(read, name)), name
    # and what the figures feed: draws, levers
    for name in ("skill", "opps_factor", "tth_z", "attrition_left", "rate_unit", "hazard",
                 "p_win", "room"):
        assert same(getattr(copied, name), getattr(read, name)), name


def test_a_roster_lends_the_last_head_it_made() -> None:
    p = PLANS[0]
    role = next(r for r in p.roles if r.kind.sells)
    roster = Roster(role, 0, segment_of(p, role))
    first = roster.new_head(0, p.seed, 0)
    assert roster.made is first
    second = roster.new_head(1, p.seed, 0)
    assert roster.made is second
    assert all(same(getattr(first, name), getattr(second, name)) for name in FIGURES)


def test_the_cases_set_figures_away_from_their_defaults() -> None:
    """So that a figure `_copy_figures` forgot (left at its default) would show above."""
    heads = [Head(role, 0, 0, p.seed, 0, 0, segment_of(p, role)) for p, role in CASES]
    for name, default in (("skill_sigma", 0.0), ("spread", 0.0), ("commission", 0.0),
                          ("cost_per_day", 0.0), ("attrition_per_day", 0.0),
                          ("opps_per_day", 0.0), ("win_rate", 0.0), ("cycle_mu", 0.0),
                          ("cycle_sigma", 0.0), ("deal_mu", 0.0), ("deal_sigma", 0.0),
                          ("decided", 1.0), ("no_decision_days", 0.0), ("plain", True),
                          ("own", False), ("stationary", False), ("unlimited", False),
                          ("max_open", 0.0), ("ramp_last", 0.0), ("segment_no", -1),
                          ("kind", None), ("ident", 0), ("cycle_table", None),
                          ("deal_mix", None)):
        assert any(getattr(h, name) != default for h in heads), name


def test_a_role_that_sources_without_a_segment_is_refused() -> None:
    """The schema requires it; a Plan built by hand gets a clear error, not an unchecked
    index into the pipeline's columns."""
    import dataclasses
    p = PLANS[0]
    role = next(r for r in p.roles if r.kind.sources is not None)
    with pytest.raises(ValueError, match="no segment"):
        Head(dataclasses.replace(role, segment=None), 0, 0, p.seed, 0, 0, None)
