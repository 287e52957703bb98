"""Paired comparison under common random numbers."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.api import run_compared
from sim.compare import compare, increments, paired, unpaired_se
from tests.factories import scenario

STEADY = {"ae": {"skill_sigma": 0.3, "attrition": 0.3, "time_to_hire_days": 50,
                 "max_open_opps": 15}}


def test_identical_copies_differ_by_exactly_zero() -> None:
    base = scenario(replications=40, quarters=2, roles=STEADY)
    results = run_compared([base, base.model_copy(update={"name": "copy"})])
    table = compare(results)
    copy = table[table.scenario == "copy"]
    assert (copy.diff_mean == 0).all()
    assert (copy.diff_ci_low == 0).all() and (copy.diff_ci_high == 0).all()
    assert (copy.share_beating_base == 0).all()  # never strictly better
    assert all("not distinguishable" in v for v in copy.verdict)


def test_common_random_numbers_shrink_the_standard_error() -> None:
    base = scenario(replications=150, quarters=4, roles=STEADY)
    hire = scenario(replications=150, quarters=4, roles=STEADY,
                    hiring=[{"role": "ae", "count": 3, "month": "2027-01"}], name="hire3")
    results = run_compared([base, hire])
    for metric in ("bookings", "arr", "revenue_per_head"):
        a = results[0].totals[metric].to_numpy()
        b = results[1].totals[metric].to_numpy()
        se_paired = paired(a, b)["se"]
        se_unpaired = unpaired_se(a, b)
        print(f"{metric}: paired se {se_paired:.4g} < unpaired se {se_unpaired:.4g}")
        assert se_paired < 0.7 * se_unpaired


def test_interval_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(100, 10, 60)
    b = a + rng.normal(2, 3, 60)
    mine = paired(a, b)
    ci = stats.ttest_1samp(b - a, 0.0).confidence_interval(0.95)
    assert np.isclose(mine["ci_low"], ci.low) and np.isclose(mine["ci_high"], ci.high)


def test_increments_are_paired_means() -> None:
    base = scenario(replications=30, quarters=2, roles=STEADY)
    hire = scenario(replications=30, quarters=2, roles=STEADY, name="hire1",
                    hiring=[{"role": "ae", "count": 1, "month": "2027-01"}])
    results = run_compared([base, hire])
    inc = increments(results).iloc[0]
    expected_cost = (results[1].totals.cost_total - results[0].totals.cost_total).mean()
    assert np.isclose(inc.incremental_cost, expected_cost)
    assert inc.incremental_cost > 0
    assert np.isclose(inc.arr_per_extra_dollar, inc.incremental_arr / inc.incremental_cost)


def test_a_plan_runs_with_the_base_seed_and_replications() -> None:
    base = scenario(replications=12, quarters=1, seed=5)
    other = scenario(replications=99, quarters=1, seed=6, name="other")
    results = run_compared([base, other])
    assert len(results[1].totals) == 12
    assert results[1].summary["seed"] == 5


def test_vary_gives_one_variant_per_value_named_by_it(tmp_path) -> None:
    import yaml

    from sim.api import sweep
    from tests.factories import scenario_dict

    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(scenario_dict(replications=20, quarters=2, name="base",
                                                 roles=STEADY)))
    key, values, variants = sweep(path, "roles.ae.headcount=8,10,12")
    assert key == "roles.ae.headcount" and values == ["8", "10", "12"]
    assert [v.name for v in variants] == ["base-headcount-8", "base-headcount-10",
                                          "base-headcount-12"]
    assert [v.roles["ae"].headcount for v in variants] == [8, 10, 12]
    results = run_compared(variants)
    # same streams: the first 8 seats' skills are identical in every variant
    skills = [
        r.reps[(r.reps.cohort == "today") & (r.reps.seat < 8)].sort_values(
            ["replication", "seat"])["skill"].to_numpy()
        for r in results
    ]
    assert np.array_equal(skills[0], skills[1]) and np.array_equal(skills[0], skills[2])
    bookings = [r.totals.bookings.mean() for r in results]
    assert bookings[0] < bookings[1] < bookings[2]


def test_vary_rejects_a_malformed_spec(tmp_path) -> None:
    import pytest

    from sim.api import sweep
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="--vary"):
        sweep(tmp_path / "x.yaml", "roles.ae.headcount")


def test_another_horizon_is_refused_unless_aligned() -> None:
    import pytest

    from sim.scenario import ScenarioError

    base = scenario(replications=12, quarters=1)
    longer = scenario(replications=12, quarters=2, name="longer",
                      hiring=[{"role": "ae", "count": 1, "month": "2027-02"}])
    with pytest.raises(ScenarioError, match="expected the base's horizon") as refused:
        run_compared([base, longer])
    assert str(refused.value).startswith("scenario 'longer': quarters: 2:")
    assert "align=True" in str(refused.value)
    results = run_compared([base, longer], align=True)
    assert results[1].scenario.quarters == 1 and results[1].scenario.start == base.start
    assert set(results[1].quarterly.period) == {"Q1"}
    late = scenario(replications=12, quarters=2, name="late",
                    hiring=[{"role": "ae", "count": 1, "month": "2027-05"}])
    with pytest.raises(ScenarioError, match=r"hiring\[0\]\.month.*with align=True"):
        run_compared([base, late], align=True)


def test_a_compared_plan_is_the_plan_run_alone_without_rendering_reps_csv(tmp_path) -> None:
    """A comparison's workers render no reps.csv rows (a comparison writes none); a compared
    plan's result still writes the reps.csv of the same plan run alone, byte for byte."""
    from sim.api import run
    from sim.outputs import fill_run

    base = scenario(replications=30, quarters=2, roles=STEADY)
    hire = scenario(replications=30, quarters=2, roles=STEADY, name="hire3",
                    hiring=[{"role": "ae", "count": 3, "month": "2027-01"}])
    compared = run_compared([base, hire], workers=2)[1]
    alone = run(hire, workers=2)
    assert compared.reps_csv is None and alone.reps_csv
    for name, result in (("compared", compared), ("alone", alone)):
        (tmp_path / name).mkdir()
        fill_run(result, tmp_path / name)
    assert (tmp_path / "compared" / "reps.csv").read_bytes() == alone.reps_csv
    assert (tmp_path / "alone" / "reps.csv").read_bytes() == alone.reps_csv
