"""Starting from a given state (`start_state: FILE`, sim.state): the roster sets today's
heads and tenures, the open pipeline closes with the rest of its cycle drawn given its age,
and a bad state file is one line naming the file, row, column and value."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from cli.main import main
from sim.model import Model, layout_for
from sim.plan import MONTH_DAYS, compile_plan
from sim.runner import run_plan
from sim.scenario import ScenarioError, load_scenario, scenario_hash
from sim.state import remaining_days
from tests.factories import scenario_dict

Z = 4.0
HEADER = "record,seller,role,tenure_months,pipeline,win_rate,id,segment,age_days,amount,product"
CYCLE_MEAN, CYCLE_CV, WIN, DEAL = 60.0, 0.5, 0.8, 40_000.0  # a high win rate: timing shows


def roster(count: int = 10, tenure: float = 24) -> list[str]:
    return [f"seller,rep{i},ae,{tenure},,,,,,," for i in range(count)]


def write(tmp_path: Path, rows: list[str], name: str = "s", **changes: object) -> Path:
    """A scenario (the factories' team of 10 sellers, no tenure_months) with a state file."""
    (tmp_path / f"{name}.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    data = scenario_dict(**changes)
    data["name"] = name
    data["roles"]["ae"].pop("tenure_months")
    data["start_state"] = f"{name}.csv"
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def survival(age: float) -> float:
    sigma = math.sqrt(math.log1p(CYCLE_CV**2))
    mu = math.log(CYCLE_MEAN) - sigma**2 / 2
    if age <= 0:
        return 1.0
    return 0.5 * math.erfc((math.log(age) - mu) / sigma / math.sqrt(2))


def test_the_open_pipeline_adds_its_closed_form_expected_value_to_the_first_quarter(
        tmp_path: Path) -> None:
    """Empty vs full open pipeline: the paired difference of Q1 bookings is, in
    expectation, sum over open deals of P(close in Q1 | age) x win rate x amount."""
    ages = [0, 3, 10, 20, 35, 50, 70, 90, 120, 180, 250, 400] * 4
    rows, expected = [], 0.0
    quarter = 3 * MONTH_DAYS
    for i, age in enumerate(ages):
        amount = "" if i % 2 else str(10_000 + 1_000 * i)
        owner = "" if i % 5 == 0 else ("ghost" if i % 7 == 0 else f"rep{i % 10}")
        rows.append(f"opportunity,{owner},,,,,o{i},mid,{age},{amount},")
        p_close = 1.0 - survival(age + quarter) / survival(age)
        expected += p_close * WIN * (float(amount) if amount else DEAL)
    reps = 400
    changes = {"replications": reps, "quarters": 1, "segments": {"mid": {
        "cycle_days": {"mean": CYCLE_MEAN, "cv": CYCLE_CV}, "win_rate": WIN,
        "deal_size": {"mean": DEAL, "cv": 0.5}}}}
    full = compile_plan(load_scenario(write(tmp_path, roster() + rows, "full", **changes)))
    empty = compile_plan(load_scenario(write(tmp_path, roster(), "empty", **changes)))
    assert full.warm_months == 0 and not full.open_pipeline
    index = layout_for(full).index["bookings"]
    raw_full, _ = run_plan(full, reps)
    raw_empty, _ = run_plan(empty, reps)
    diff = raw_full[:, index, :3].sum(axis=1) - raw_empty[:, index, :3].sum(axis=1)
    se = diff.std(ddof=1) / math.sqrt(reps)
    assert abs(diff.mean() - expected) < Z * se, (diff.mean(), expected, se)
    assert se < 0.1 * expected  # the test has power


def test_remaining_time_is_the_cycle_given_its_age() -> None:
    sigma = math.sqrt(math.log1p(CYCLE_CV**2))
    mu = math.log(CYCLE_MEAN) - sigma**2 / 2
    rng = np.random.default_rng(3)
    for age in (0.0, 30.0, 200.0):
        v = 1.0 - rng.random(4000)
        left = np.array([remaining_days(mu, sigma, age, x) for x in v])
        for t in (10.0, 40.0, 100.0):
            p = 1.0 - survival(age + t) / survival(age)
            observed = float((left <= t).mean())
            assert abs(observed - p) < Z * math.sqrt(p * (1 - p) / len(v)) + 1e-9
    assert remaining_days(mu, 0.0, 20.0, 0.5) == pytest.approx(math.exp(mu) - 20.0)
    assert remaining_days(mu, 0.0, 90.0, 0.5) == 0.0  # a fixed cycle already over: at once
    assert 0 < remaining_days(mu, sigma, 1e9, 0.5) < math.inf  # far beyond the tail


def test_known_amounts_routing_and_a_fixed_cycle_book_exactly(tmp_path: Path) -> None:
    rows = [f"opportunity,{owner},,,,,x{i},,{age},1000,"
            for i, (owner, age) in enumerate([("ghost", 0), ("", 0), ("rep1", 10),
                                              ("rep2", 70), ("", 90)])]
    path = write(tmp_path, roster() + rows, replications=3, quarters=1,
                 roles={"ae": {"opps_per_month": 0}},
                 segments={"mid": {"win_rate": 1.0, "cycle_days": 60}})
    p = compile_plan(load_scenario(path))
    bookings = layout_for(p).index["bookings"]
    for rep in range(3):
        raw = Model(p, rep).run().raw
        # ages 70 and 90 are past the fixed 60-day cycle: they close on day 0 (month 1);
        # ages 0 and 10 close on days 60 and 50 (month 2)
        assert raw[bookings].tolist() == [2000.0, 3000.0, 0.0]


def test_the_roster_sets_tenures_the_ramp_shows(tmp_path: Path) -> None:
    changes = {"replications": 20, "quarters": 1, "roles": {"ae": {"ramp": [0.0, 0.5, 1.0]}}}
    new = compile_plan(load_scenario(write(tmp_path, roster(tenure=0), "new", **changes)))
    old = compile_plan(load_scenario(write(tmp_path, roster(tenure=24), "old", **changes)))
    index = layout_for(new).index
    raw_new, _ = run_plan(new, 20)
    raw_old, _ = run_plan(old, 20)
    created = index["opps_created_self"]
    assert (raw_new[:, index["heads_ae"], :] == 10).all()
    assert (raw_new[:, created, 0] == 0).all()  # month 1 of a ramp of 0: nothing
    m2, m3 = raw_new[:, created, 1], raw_old[:, created, 1]
    assert_mean(m2, 0.5 * 10 * 4)
    assert_mean(m3, 10 * 4)


def assert_mean(samples: np.ndarray, expected: float) -> None:
    se = samples.std(ddof=1) / math.sqrt(len(samples))
    assert abs(samples.mean() - expected) < Z * se + 1e-9, (samples.mean(), expected, se)


def test_per_seller_multipliers_set_pipeline_and_win_rate(tmp_path: Path) -> None:
    rows = ["seller,star,ae,12,2,1.5,,,,,", *roster(9)]
    p = compile_plan(load_scenario(write(tmp_path, rows)))
    model = Model(p, 0)
    star = model.state_heads[("ae", 0)]
    assert star.skill == 1.5 and star.p_win == pytest.approx(1.5 * 0.25)
    assert star.seat_factor == 2.0
    assert star.hired_at == pytest.approx(-12 * MONTH_DAYS)
    assert model.state_heads[("ae", 1)].seat_factor == 1.0


def test_a_scenario_without_start_state_hashes_and_dumps_as_before() -> None:
    data = scenario_dict()
    from sim.scenario.schema import Scenario

    scenario = Scenario.model_validate(data)
    assert "start_state" not in scenario.model_dump()
    assert scenario_hash(scenario) == scenario_hash(Scenario.model_validate(data))


def test_the_path_is_relative_to_the_scenario_file(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, roster())
    monkeypatch.chdir("/")
    scenario = load_scenario(path)
    assert scenario.start_state == str(tmp_path / "s.csv")


BAD = [
    (roster(9) + ["seller,rep8,ae,24,,,,,,,"],
     "s.csv: row 11, column 'seller': 'rep8': a seller listed twice (first on row 10)"),
    (roster(9), "s.csv: role 'ae': '9 listed': expected the role's headcount, 10"),
    (roster(9) + ["seller,rep9,ae,-1,,,,,,,"],
     "s.csv: row 11, column 'tenure_months': '-1': expected a number of months in [0, 1200]"),
    (roster(9) + ["seller,rep9,xx,1,,,,,,,"],
     "s.csv: row 11, column 'role': 'xx': expected a role of the scenario that is hired: ae"),
    (roster() + ["opportunity,rep1,,,,,a,,ten,,"],
     "s.csv: row 12, column 'age_days': 'ten': expected a number of days in [0, 36,500]"),
    (roster() + ["opportunity,rep1,,,,,a,,,,"],
     "s.csv: row 12, column 'age_days': '': expected the opportunity's age in days"),
    (roster() + ["opportunity,rep1,,,,,a,,3,$5,"],
     "s.csv: row 12, column 'amount': '$5': expected a number in [0, 1e+12]"),
    (roster() + ["opportunity,rep1,,,,,a,,3,,", "opportunity,rep2,,,,,a,,3,,"],
     "s.csv: row 13, column 'id': 'a': an id used twice (first on row 12)"),
    (roster() + ["opportunity,ghost,,,,,a,east,3,,"],
     "s.csv: row 12, column 'segment': 'east': expected one of the segments: mid"),
    (roster() + ["opportunity,rep1,,,,,a,east,3,,"],
     "s.csv: row 12, column 'segment': 'east': expected the owner's segment, mid, or empty"),
    (roster() + ["opp,rep1,,,,,a,,3,,"],
     "s.csv: row 12, column 'record': 'opp': expected seller or opportunity"),
    (roster() + ["opportunity,rep1,ae,,,,a,,3,,"],
     "s.csv: row 12, column 'role': 'ae': a role on a opportunity row; expected it empty"),
    (roster(9) + ["seller,rep9,ae,1,,9,,,,,"],
     "s.csv: row 11, column 'win_rate': '9': expected a multiplier in (0, 5]"),
]


@pytest.mark.parametrize(("rows", "message"), BAD, ids=[m.split(": ", 2)[1] for _r, m in BAD])
def test_a_bad_state_file_is_one_line(tmp_path: Path, rows: list[str], message: str) -> None:
    path = write(tmp_path, rows)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path / message.split(": ", 1)[0])), text
    assert message.split(": ", 1)[1] in text, text


def test_a_file_that_is_not_a_state_file_is_named_not_shown(tmp_path: Path) -> None:
    path = write(tmp_path, [])
    (tmp_path / "s.csv").write_text("ZQXroot:x:0:0:ZQXsecret,b\n1,2\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    text = str(caught.value)
    assert "ZQX" not in text
    assert "start_state: 's.csv': no column named record" in text
    (tmp_path / "s.csv").unlink()
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(path)
    (tmp_path / "s.csv").mkdir()
    with pytest.raises(ScenarioError, match="is a directory, not a regular file"):
        load_scenario(path)


def test_the_cli_prints_one_line_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, roster(9))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "role 'ae'" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_state_run_from_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, roster() + ["opportunity,rep1,,,,,a,,3,5000,"], replications=4,
                 quarters=1)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out"),
                                       "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "out" / "s" / "scenario.yaml").read_text()
    assert f"start_state: {tmp_path / 's.csv'}" in written


def test_a_parquet_state_reads_like_the_csv(tmp_path: Path) -> None:
    import pandas as pd

    path = write(tmp_path, roster() + ["opportunity,rep1,,,,,a,,3,5000,"])
    table = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    table["tenure_months"] = pd.to_numeric(table["tenure_months"])  # typed columns too
    table.to_parquet(tmp_path / "s.parquet")
    text = path.read_text().replace("s.csv", "s.parquet")
    path.write_text(text)
    p = compile_plan(load_scenario(path))
    assert p.state.opportunities == ((("ae", 1, 0, 3.0, 5000.0)),)
    tenure, pipeline, win_rate = p.state.heads["ae"][0]
    assert tenure == 24 * MONTH_DAYS and math.isnan(pipeline) and math.isnan(win_rate)


def test_a_ranged_scenario_with_a_state_reads_the_file_once(tmp_path: Path,
                                                            monkeypatch) -> None:
    """Each replication of a scenario with ranges compiles its own plan; the start state is
    the run's, read once (not once per replication), and still places the open deals."""
    import sim.plan

    rows = [f"opportunity,rep{i},,,,,o{i},mid,{10 * i},20000," for i in range(10)]
    path = write(tmp_path, roster() + rows, "ranged", segments={"mid": {
        "cycle_days": 30, "deal_size": 20_000, "win_rate": {"between": [0.2, 0.6]}}})
    plan = compile_plan(load_scenario(path))
    reads = []
    real = sim.plan.load_state
    monkeypatch.setattr(sim.plan, "load_state", lambda *a, **k: reads.append(a) or real(*a, **k))
    from sim.ranges import drawn_plan

    drawn = [drawn_plan(plan, r) for r in range(3)]
    assert len({d.segments[0].win_rate for d in drawn}) == 3  # each compiled its own plan
    assert all(d.state is plan.state for d in drawn)
    for r in range(3):
        Model(plan, r).run()
    assert reads == []


@pytest.mark.parametrize("cycle", [
    {"mean": CYCLE_MEAN, "cv": CYCLE_CV},
    {"quantiles": [[0.0, 5.0], [0.5, 40.0], [0.9, 120.0], [1.0, 300.0]]},
], ids=["lognormal", "empirical"])
def test_with_undecided_deals_an_old_open_deal_is_likelier_stalled(tmp_path: Path,
                                                                    cycle: dict) -> None:
    """With no_decision (share s, drop age D), an open deal of age a is undecided with
    probability s / (s + (1 − s)·S(a)) — past D too: a CRM keeps stalled deals open —
    and decided ones close with the cycle given their age.
    The full pipeline's extra Q1 bookings over an empty one match
    Σ P(decided | a) · P(close in Q1 | a) · win rate · amount."""
    share, drop = 0.3, 200.0
    changes = {"replications": 400, "quarters": 1, "segments": {"mid": {
        "win_rate": WIN, "deal_size": DEAL,
        "no_decision": {"share": share, "after_days": drop}}}}
    ages = [0, 5, 20, 40, 80, 120, 160, 199, 250] * 5
    rows = [f"opportunity,rep{i % 10},,,,,o{i},mid,{age},{DEAL}," for i, age in enumerate(ages)]

    def plan_of(path: Path):
        data = yaml.safe_load(path.read_text())
        data["segments"]["mid"]["cycle_days"] = cycle
        path.write_text(yaml.safe_dump(data))
        return compile_plan(load_scenario(path))

    full = plan_of(write(tmp_path, roster() + rows, "full", **changes))
    empty = plan_of(write(tmp_path, roster(), "empty", **changes))
    law = full.segments[0].cycle
    quarter = 3 * MONTH_DAYS
    expected = 0.0
    for age in ages:
        alive = law.survival(age)
        decided = (1 - share) * alive / (share + (1 - share) * alive)
        p_close = 1.0 if alive <= 0 else 1.0 - law.survival(age + quarter) / alive
        expected += decided * p_close * WIN * DEAL
    index = layout_for(full).index["bookings"]
    raw_full, _ = run_plan(full, 400)
    raw_empty, _ = run_plan(empty, 400)
    diff = raw_full[:, index, :3].sum(axis=1) - raw_empty[:, index, :3].sum(axis=1)
    se = diff.std(ddof=1) / math.sqrt(len(diff))
    assert abs(diff.mean() - expected) < Z * se, (diff.mean(), expected, se)
    naive = sum((1.0 - law.survival(a + quarter) / law.survival(a) if law.survival(a) > 0
                 else 1.0) * WIN * DEAL for a in ages)
    assert abs(naive - expected) > 2 * Z * se  # the test tells the conditioning apart


def test_a_listed_pipeline_multiplier_replaces_the_spread_draw(tmp_path: Path) -> None:
    """A seller's known rate (the state's `pipeline`) is not spread again by the role's
    `opps_spread`; a seller listed without one still draws it."""
    rows = ["seller,star,ae,12,2,,,,,,", *roster(9)]
    p = compile_plan(load_scenario(write(tmp_path, rows, roles={"ae": {"opps_spread": 0.5}})))
    for rep in range(5):
        model = Model(p, rep)
        star, other = model.state_heads[("ae", 0)], model.state_heads[("ae", 1)]
        assert star.opps_factor == 1.0
        assert star.rate_unit == pytest.approx(p.roles[0].opps_per_day)
        assert other.opps_factor != 1.0
        assert other.rate_unit == pytest.approx(p.roles[0].opps_per_day * other.opps_factor)
