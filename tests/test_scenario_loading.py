"""Loading scenario files: the SPEC example, `extends`, `--set`, writing back and hashing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    resolve_raw,
    scenario_hash,
    scenario_to_yaml,
)

FULL = """\
name: hire5                     # [a-z0-9_-]+ ; names the output folder
description: Five more mid-market AEs, requisitions opened in January.
start: 2027-01                  # first simulated month (YYYY-MM)
quarters: 8                     # horizon
replications: 1000
seed: 2027

segments:                       # markets the team sells into (at least one)
  mid:
    win_rate: 0.22              # probability an opportunity is won when it closes
    deal_size: {mean: 40_000, cv: 0.6}      # lognormal first-year ACV of a won deal
    cycle_days: {mean: 75, cv: 0.5}         # lognormal days from creation to close
    accounts: 12_000            # addressable accounts; omitted = unlimited
    inbound_opps_per_month: 20  # marketing-sourced opportunities, routed to AEs
    seasonality: [1,1,1, 1,1,1, 0.8,0.8,1, 1,1.1,1.2]   # optional, by calendar month

roles:                          # named headcount pools
  ae:
    kind: seller                # seller | sdr | csm | support | manager
    segment: mid
    headcount: 20               # today's team
    tenure_months: 18           # today's team: one number, or one per head
    cost: 170_000               # fully loaded annual cost per head, excl. commission
    commission: 0.10            # share of the bookings a seller closes
    hire_cost: 20_000           # one-off recruiting cost per hire
    ramp: [0.0, 0.25, 0.5, 0.8, 1.0]   # productivity by month of tenure; last holds
    attrition: 0.30             # departures per head per year (hazard)
    backfill: true              # a leaver's requisition reopens at once
    time_to_hire_days: {mean: 60, cv: 0.4} # requisition open -> start; a number = exact
    opps_per_month: 4           # self-sourced opportunities at full ramp
    max_open_opps: 30           # capacity; a full rep sources nothing and gets no routed opps
    skill_sigma: 0.3            # spread of rep skill (lognormal, mean 1); multiplies win rate
    territory_decay: 0.03       # each seat beyond today's team gets (1-d)^k of the pipeline
  sdr:
    kind: sdr
    segment: mid
    headcount: 6
    cost: 85_000
    ramp: [0.3, 0.7, 1.0]
    attrition: 0.40
    opps_per_month: 8           # opportunities handed to AEs at full ramp
  csm:
    kind: csm
    headcount: 5
    cost: 120_000
    book_per_head: 2_500_000    # ARR one CSM covers before churn rises
  coordinator:
    kind: support
    headcount: 0
    cost: 75_000
    covers: 4                   # sellers supported per head
    effects: {selling_time: 1.25}
  manager:
    kind: manager
    span: 8                     # headcount follows sellers: ceil(sellers / span)
    cost: 230_000

customers:                      # the book of business at start
  count: 300
  arr: 12_000_000
  churn: 0.12                   # annual share of customers lost
  expansion: 0.15               # annual growth of retained customers' ARR
  overload_churn: 0.5           # churn multiplier slope when CSMs are over book_per_head

hiring:                         # requisitions; filled after time_to_hire
  - {role: ae, count: 5, month: 2027-01}
  - {role: ae, count: -1, month: 2027-07}   # negative: planned exits, longest tenure first

programs:                       # enablement, AI tools, anything with a cost and effects
  enablement:
    start: 2027-02
    months: 12                  # omitted = to the end
    cost: 150_000               # one-off at start
    monthly_cost: 0
    seat_cost_per_month: 0      # per targeted head (AI tools)
    targets: {role: ae, who: bottom_quartile}   # all | bottom_quartile | new_hires
    effects: {win_rate: 1.15, ramp_speed: 1.25}
    phase_in_months: 3          # effect grows linearly to full
"""

SMALL = """\
name: base
description: the parent
start: 2027-01
quarters: 4
seed: 1
segments:
  mid:
    win_rate: 0.2
    deal_size: {mean: 30_000, cv: 0.5}
    cycle_days: 60
    seasonality: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
roles:
  ae:
    kind: seller
    segment: mid
    headcount: 10
    cost: 150_000
    ramp: [0.0, 0.5, 1.0]
    opps_per_month: 3
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def full(tmp_path: Path) -> Path:
    return write(tmp_path, "hire5.yaml", FULL)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write(tmp_path, "base.yaml", SMALL)


# -- the SPEC example


def test_full_example_loads_with_every_section(full: Path) -> None:
    s = load_scenario(full)
    assert isinstance(s, Scenario)
    assert (s.name, s.start, s.quarters, s.replications, s.seed) == (
        "hire5", "2027-01", 8, 1000, 2027,
    )
    assert s.months == 24
    mid = s.segments["mid"]
    assert mid.win_rate == 0.22
    assert (mid.deal_size.mean, mid.deal_size.cv) == (40_000, 0.6)
    assert mid.accounts == 12_000 and isinstance(mid.accounts, int)
    assert mid.seasonality is not None and len(mid.seasonality) == 12
    assert mid.seasonality[11] == 1.2
    assert list(s.roles) == ["ae", "sdr", "csm", "coordinator", "manager"]
    ae = s.roles["ae"]
    assert (ae.kind, ae.segment, ae.headcount, ae.cost) == ("seller", "mid", 20, 170_000)
    assert ae.ramp == [0.0, 0.25, 0.5, 0.8, 1.0]
    assert ae.time_to_hire_days.mean == 60 and ae.time_to_hire_days.cv == 0.4
    assert ae.max_open_opps == 30 and ae.backfill is True
    assert s.roles["csm"].book_per_head == 2_500_000
    assert s.roles["coordinator"].effects == {"selling_time": 1.25}
    assert s.roles["manager"].span == 8
    assert s.customers.arr == 12_000_000 and s.customers.count == 300
    assert [(h.role, h.count, h.month) for h in s.hiring] == [
        ("ae", 5, "2027-01"), ("ae", -1, "2027-07"),
    ]
    program = s.programs["enablement"]
    assert program.targets is not None and program.targets.who == "bottom_quartile"
    assert program.effects == {"win_rate": 1.15, "ramp_speed": 1.25}
    assert (program.start, program.months, program.phase_in_months) == ("2027-02", 12, 3)


def test_defaults_fill_in(small: Path) -> None:
    s = load_scenario(small)
    assert s.replications == 1000  # default
    assert s.segments["mid"].cycle_days.mean == 60 and s.segments["mid"].cycle_days.cv == 0
    assert s.segments["mid"].accounts is None
    ae = s.roles["ae"]
    assert (ae.attrition, ae.tenure_months, ae.backfill) == (0.0, None, True)
    assert s.hiring == [] and s.programs == {}


def test_yaml_quirks_money_months_and_exponents(tmp_path: Path) -> None:
    # PyYAML (YAML 1.1) reads 12_000_000 as an int and 2027-01 as a string; it would read
    # 1.5e5 as a string, which the loader reads as a number.
    assert yaml.safe_load("a: 12_000_000\nb: 2027-01") == {"a": 12_000_000, "b": "2027-01"}
    text = SMALL.replace("cost: 150_000", "cost: 1.5e5").replace("seed: 1", "seed: 1_0")
    s = load_scenario(write(tmp_path, "q.yaml", text))
    assert s.roles["ae"].cost == 150_000.0
    assert s.seed == 10
    assert s.start == "2027-01" and isinstance(s.start, str)


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = SMALL.replace(
        "roles:\n",
        "defaults: &seller {kind: seller, segment: mid, cost: 1, opps_per_month: 2}\n"
        "roles:\n  se:\n    <<: *seller\n    cost: 99\n",
    )
    with pytest.raises(ScenarioError, match="unknown key 'defaults'"):
        load_scenario(write(tmp_path, "anchors.yaml", text))
    text = text.replace("defaults: &seller", "description: &seller").replace(
        "description: the parent\n", ""
    )
    raw = resolve_raw(write(tmp_path, "anchors2.yaml", text))
    assert raw["roles"]["se"] == {"kind": "seller", "segment": "mid", "cost": 99,
                                  "opps_per_month": 2}


# -- extends


def test_extends_merges_mappings_and_replaces_lists(tmp_path: Path, small: Path) -> None:
    child = write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\n"
        "name: child\n"
        "segments:\n"
        "  mid:\n"
        "    win_rate: 0.3\n"                       # one key of a mapping
        "    seasonality: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]\n"
        "roles:\n"
        "  ae:\n"
        "    headcount: 12\n"
        "    ramp: [1.0]\n"                         # a list: replaced, not merged
        "hiring:\n"
        "  - {role: ae, count: 2, month: 2027-03}\n",
    )
    raw = resolve_raw(child)
    assert "extends" not in raw
    s = load_scenario(child)
    assert s.name == "child" and s.description == "the parent"
    mid = s.segments["mid"]
    assert mid.win_rate == 0.3
    assert mid.deal_size.mean == 30_000  # kept from the parent
    assert mid.seasonality == [2.0] * 12
    ae = s.roles["ae"]
    assert (ae.headcount, ae.cost, ae.opps_per_month) == (12, 150_000, 3)
    assert ae.ramp == [1.0]
    assert [h.count for h in s.hiring] == [2]
    # the parent itself is untouched
    assert load_scenario(small).roles["ae"].headcount == 10


def test_extends_chain_of_three_with_relative_paths(tmp_path: Path, small: Path) -> None:
    write(tmp_path, "plans/mid.yaml",
          "extends: ../base.yaml\nname: mid\nroles:\n  ae:\n    headcount: 15\n"
          "    tenure_months: 6\n")
    top = write(tmp_path, "plans/deep/top.yaml",
                "extends: ../mid.yaml\nname: top\nroles:\n  ae:\n    cost: 160_000\n")
    s = load_scenario(top)
    ae = s.roles["ae"]
    assert s.name == "top"
    assert (ae.headcount, ae.tenure_months, ae.cost, ae.ramp) == (15, 6, 160_000, [0.0, 0.5, 1.0])
    assert s.quarters == 4  # from the grandparent


def test_extends_cycle_is_an_error_naming_the_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n" + SMALL)
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    message = str(info.value)
    assert f"{a} -> {tmp_path / 'b.yaml'} -> {a}" in message
    assert "cycle" in message


def test_null_extends_is_no_parent(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "n.yaml", "extends: null\n" + SMALL))
    assert s.name == "base"


# -- --set and options


def test_set_nested_key_list_index_and_new_role(small: Path) -> None:
    s = load_scenario(
        small,
        [
            "segments.mid.win_rate=0.35",
            "roles.ae.ramp[1]=0.75",
            "roles.ae.ramp[-1]=0.9",
            "roles.se.kind=seller",
            "roles.se.segment=mid",
            "roles.se.headcount=2",
            "roles.csm={kind: csm, headcount: 1, book_per_head: 1_000_000}",
            "segments.mid.cycle_days.cv=0.25",  # cycle_days was written as a plain number
            "description=set from the command line",
        ],
    )
    assert s.segments["mid"].win_rate == 0.35
    assert s.roles["ae"].ramp == [0.0, 0.75, 0.9]
    assert s.roles["se"].kind == "seller" and s.roles["se"].headcount == 2
    assert s.roles["csm"].book_per_head == 1_000_000
    assert (s.segments["mid"].cycle_days.mean, s.segments["mid"].cycle_days.cv) == (60, 0.25)
    assert s.description == "set from the command line"


def test_set_applies_after_extends_and_last_one_wins(tmp_path: Path, small: Path) -> None:
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n")
    s = load_scenario(child, ["roles.ae.headcount=30", "roles.ae.headcount=31"])
    assert s.roles["ae"].headcount == 31
    assert resolve_raw(child, ["quarters=6"])["quarters"] == 6


def test_set_into_a_list_of_hires(tmp_path: Path) -> None:
    path = write(tmp_path, "h.yaml", SMALL + "hiring:\n  - {role: ae, count: 1, month: 2027-02}\n")
    s = load_scenario(path, ["hiring[0].count=4", "hiring[0].month=2027-05"])
    assert (s.hiring[0].count, s.hiring[0].month) == (4, "2027-05")


def test_replications_and_seed_options(small: Path) -> None:
    s = load_scenario(small, replications=7, seed=99)
    assert (s.replications, s.seed) == (7, 99)


# -- writing back and hashing


def test_scenario_to_yaml_round_trips(tmp_path: Path, full: Path) -> None:
    s = load_scenario(full)
    text = scenario_to_yaml(s)
    again = load_scenario(write(tmp_path, "again.yaml", text))
    assert again == s
    assert scenario_hash(again) == scenario_hash(s)
    data = yaml.safe_load(text)
    # schema order, defaults filled in; an optional section left unset (company) is omitted
    assert list(data) == [k for k in Scenario.model_fields if getattr(s, k) is not None]
    assert list(data["roles"]["sdr"]) == [  # tenure_months unset: a stationary start
        "kind", "segment", "headcount", "cost", "hire_cost", "ramp",
        "attrition", "backfill", "time_to_hire_days", "opps_per_month",
    ]
    assert data["roles"]["sdr"]["time_to_hire_days"] == {"mean": 0, "cv": 0}
    assert data["roles"]["manager"] == {"kind": "manager", "cost": 230_000, "span": 8}
    assert "null" not in text and "!!" not in text and "&" not in text
    assert "cost: 170000\n" in text and "start: 2027-01\n" in text


def test_scenario_to_yaml_quotes_strings_that_look_like_numbers(tmp_path: Path) -> None:
    s = load_scenario(write(tmp_path, "s.yaml", SMALL), ["description='1e5'"])
    assert s.description == "1e5"
    again = load_scenario(write(tmp_path, "again.yaml", scenario_to_yaml(s)))
    assert again == s


def test_scenario_hash_is_stable_and_changes_with_a_value(small: Path, tmp_path: Path) -> None:
    first = scenario_hash(load_scenario(small))
    assert first == scenario_hash(load_scenario(small))
    assert len(first) == 64 and int(first, 16) >= 0
    # the same scenario written differently (key order, plain number vs {mean, cv})
    reordered = write(tmp_path, "reordered.yaml", SMALL.replace(
        "name: base\ndescription: the parent\n", ""
    ).replace("seed: 1\n", "seed: 1\nname: base\ndescription: the parent\n").replace(
        "cycle_days: 60", "cycle_days: {mean: 60.0, cv: 0}"))
    assert scenario_hash(load_scenario(reordered)) == first
    assert scenario_hash(load_scenario(small, ["roles.ae.cost=150001"])) != first
    assert scenario_hash(load_scenario(small, seed=2)) != first
