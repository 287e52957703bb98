"""One recommendation from a paired comparison: the criterion, P(best), ties, keep the base."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.api import run_compared
from sim.recommend import check_objective, flip_clause, objectives, recommend
from sim.results import RunResult
from sim.scenario import ScenarioError
from tests.factories import scenario

STEADY = {"ae": {"skill_sigma": 0.3, "attrition": 0.3, "time_to_hire_days": 50,
                 "max_open_opps": 15}}


def fake(name: str, arr: np.ndarray, cost: np.ndarray, quarters: int = 8) -> RunResult:
    """A result with only the whole-horizon totals that `recommend` reads."""
    empty = pd.DataFrame()
    totals = pd.DataFrame({"arr": arr, "cost_total": cost, "bookings": 0.5 * arr})
    return RunResult(scenario(name=name, quarters=quarters), "", empty, empty, empty, empty,
                     {}, totals)


@pytest.fixture(scope="module")
def known() -> list[RunResult]:
    """base, then a: +$1M ARR for +$0.5M (2.0 per dollar), b: +$3M for +$2M (1.5), c: noise
    for +$10k (does not add ARR beyond noise): 400 paired replications."""
    rng = np.random.default_rng(1)
    n = 400
    noise = rng.normal(0, 1e5, n)
    base = fake("base", 10e6 + 10 * noise, 5e6 + noise)
    arr, cost = base.totals.arr.to_numpy(), base.totals.cost_total.to_numpy()
    return [base,
            fake("a", arr + 1e6 + rng.normal(0, 1e5, n), cost + 5e5),
            fake("b", arr + 3e6 + rng.normal(0, 1e5, n), cost + 2e6),
            fake("c", arr + rng.normal(0, 1e5, n), cost + 1e4)]


def test_names_the_plan_with_the_most_arr_per_extra_dollar(known) -> None:
    advice = recommend(known)
    ranking = advice.ranking.set_index("scenario")
    base = known[0].totals
    for result in known[1:]:  # the criterion is the ratio of the paired means
        expected = ((result.totals.arr - base.arr).mean()
                    / (result.totals.cost_total - base.cost_total).mean())
        assert ranking.loc[result.name, "value"] == pytest.approx(expected)
    assert advice.choice == "a" and advice.tied == ()
    assert list(ranking.beats_base) == [True, True, False]
    assert ranking.loc["a", "p_best"] > 0.95 and ranking.loc["c", "p_best"] == 0
    assert ranking.p_best.sum() == pytest.approx(1)
    assert advice.sentence.startswith("Fund `a`: +$995k ARR (95% CI $984k–$1.00M) for +$500k "
                                      "over two years, 1.99 ARR per extra dollar")
    assert "the best on ARR per extra dollar of the two plans that add ARR in 99%" in (
        advice.sentence)


def test_identical_copies_are_a_tie(known) -> None:
    base, a = known[:2]
    copy = fake("a-2", a.totals.arr.to_numpy(), a.totals.cost_total.to_numpy())
    advice = recommend([base, a, copy])
    assert advice.sentence.startswith("Tie between `a` and `a-2` on ARR per extra dollar")
    assert advice.tied == ("a", "a-2")
    assert list(advice.ranking.p_best) == [0.5, 0.5] and advice.ranking.tie.all()


def test_plans_not_separated_are_a_tie_and_separated_ones_are_not() -> None:
    rng = np.random.default_rng(2)
    n = 200
    base = fake("base", np.full(n, 10e6), np.full(n, 5e6))
    close = [fake(name, 11e6 + rng.normal(0, 3e5, n), np.full(n, 5.5e6)) for name in "xy"]
    assert recommend([base, *close]).tied == ("x", "y") or \
        recommend([base, *close]).tied == ("y", "x")
    apart = fake("z", 12e6 + rng.normal(0, 3e5, n), np.full(n, 5.5e6))
    advice = recommend([base, *close, apart])
    assert advice.choice == "z" and advice.tied == ()


def test_keep_the_base_when_no_plan_adds_arr(known) -> None:
    base, c = known[0], known[3]
    advice = recommend([base, c])
    assert advice.choice is None
    assert advice.sentence.startswith("Keep the base: the plan does not add ARR over `base`")
    assert "ARR per extra dollar" in advice.sentence
    same = recommend([base, fake("same", base.totals.arr, base.totals.cost_total)])
    assert same.sentence.startswith("Keep the base")


def test_a_plan_that_adds_arr_without_extra_cost_ranks_first(known) -> None:
    base = known[0].totals
    free = fake("free", base.arr.to_numpy() + 2e5, base.cost_total.to_numpy() - 1e4)
    advice = recommend([*known, free])
    assert advice.choice == "free"
    assert advice.sentence.startswith("Adopt `free`: +$200k ARR")
    assert "while saving $10k" in advice.sentence


def test_another_objective_reads_its_direction_from_the_registry(known) -> None:
    by_bookings = recommend(known, "bookings")
    assert by_bookings.choice == "b" and "on bookings" in by_bookings.sentence
    by_cost = recommend(known, "cost_total")  # every plan costs more: lower is better
    assert by_cost.choice is None
    assert by_cost.sentence.startswith("Keep the base: no plan beats `base` on total cost "
                                       "(lower is better)")


def test_objectives_are_the_default_and_metrics_with_a_direction() -> None:
    assert objectives()[0] == "arr_per_extra_dollar"
    assert "bookings" in objectives() and "heads_total" not in objectives()
    for bad in ("heads_ae", "heads_total", "nope", 3):
        with pytest.raises(ScenarioError, match="--objective"):
            check_objective(bad)


def test_flip_clause_is_worded_at_the_end(known) -> None:
    flip = ("coordinator selling time", 1.08, "below")
    assert flip_clause(flip) == "; the answer flips if coordinator selling time is below 1.08"
    assert flip_clause(None) == ""
    assert recommend(known, flip=flip).sentence.endswith(
        "; the answer flips if coordinator selling time is below 1.08.")
    with pytest.raises(ValueError, match="below"):
        flip_clause(("x", 1.0, "under"))


def test_simulated_case_names_the_cheaper_of_two_equal_effects() -> None:
    """`cheap` and `dear` run the same program (same draws, same ARR) at different costs, so
    `cheap` has the most ARR per extra dollar; hiring two AEs costs more per ARR added."""
    program = {"start": "2027-01", "effects": {"win_rate": 1.3}}
    base = scenario(replications=40, quarters=2, roles=STEADY)
    plans = [
        scenario(replications=40, quarters=2, roles=STEADY, name="dear",
                 programs={"p": {**program, "cost": 200_000}}),
        scenario(replications=40, quarters=2, roles=STEADY, name="cheap",
                 programs={"p": {**program, "cost": 20_000}}),
        scenario(replications=40, quarters=2, roles=STEADY, name="hire2",
                 hiring=[{"role": "ae", "count": 2, "month": "2027-01"}]),
    ]
    results = run_compared([base, *plans])
    gains = {r.name: (r.totals.arr - results[0].totals.arr).mean()
             / (r.totals.cost_total - results[0].totals.cost_total).mean() for r in results[1:]}
    assert max(gains, key=gains.get) == "cheap"
    advice = recommend(results)
    assert advice.choice == "cheap" and advice.sentence.startswith("Fund `cheap`:")
    assert "over 2 quarters" in advice.sentence and "ARR per extra dollar" in advice.sentence
    tie = recommend([results[0], results[2], results[2]])
    assert tie.sentence.startswith("Tie between `cheap` and `cheap`")


def test_the_sentence_says_where_an_uncertain_assumption_flips_the_answer() -> None:
    """Plan `a` leads `b` by 2e6·(x − 1.1) ARR for the same cost, x drawn in [1.0, 1.4]: `a`
    is best on average but loses below x = 1.1, which the sentence must say."""
    rng = np.random.default_rng(3)
    n = 1000
    x = rng.uniform(1.0, 1.4, n)
    base = fake("base", np.full(n, 10e6), np.full(n, 5e6))
    b = fake("b", 11e6 + rng.normal(0, 2e4, n), np.full(n, 5.5e6))
    a = fake("a", b.totals.arr.to_numpy() + 2e6 * (x - 1.1), np.full(n, 5.5e6))
    for result in (base, a, b):
        result.draws = pd.DataFrame({"replication": np.arange(n),
                                     "programs.tool.effects.selling_time": x})
    advice = recommend([base, a, b])
    assert advice.choice == "a"
    flips = advice.sentence.rsplit("; the answer flips if tool selling time is below ", 1)
    assert len(flips) == 2, advice.sentence
    assert float(flips[1].rstrip(".")) == pytest.approx(1.1, abs=0.03)
    for result in (base, a, b):  # without ranges there is nothing to say
        result.draws = None
    assert "flips" not in recommend([base, a, b]).sentence


def test_a_plan_adding_less_arr_than_it_costs_says_so() -> None:
    """ARR per extra dollar below 1: recommended (it adds ARR), with the warning that it
    does not pay back within the horizon; at or above 1 no such words."""
    rng = np.random.default_rng(4)
    n = 200
    base = fake("base", np.full(n, 10e6), np.full(n, 5e6))
    short = fake("short", 10.5e6 + rng.normal(0, 1e4, n), np.full(n, 6e6))
    assert "0.50 ARR per extra dollar (below 1: it adds less ARR than it costs over the " \
        "horizon" in recommend([base, short]).sentence
    paying = fake("paying", 11.5e6 + rng.normal(0, 1e4, n), np.full(n, 6e6))
    assert "below 1" not in recommend([base, paying]).sentence
