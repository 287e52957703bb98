"""KPI definitions and aggregation, on hand-made raw arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.aggregate import (
    distribution,
    month_label,
    period_metrics,
    quarter_label,
    rep_distribution,
)
from sim.metrics import Layout, stats
from tests.factories import plan


def raw_with(layout: Layout, months: int, **values: list[float]) -> np.ndarray:
    raw = np.zeros((1, len(layout), months))
    for name, row in values.items():
        raw[0, layout.index[name]] = row
    return raw


def test_flows_sum_and_stocks_take_the_period_end() -> None:
    p = plan(quarters=1, customers={"count": 10, "arr": 1_000})
    layout = Layout(["ae"], [])
    raw = raw_with(layout, 3, bookings=[1, 2, 3], arr=[10, 20, 30], heads_total=[5, 6, 7],
                   opps_won=[1, 1, 2], opps_lost=[3, 3, 6])
    q = period_metrics(raw, layout, p, [np.arange(3)])
    assert q["bookings"][0, 0] == 6
    assert q["arr"][0, 0] == 30
    assert q["heads_total"][0, 0] == 7
    assert q["win_rate"][0, 0] == pytest.approx(4 / 16)


def test_ratio_kpis_by_hand() -> None:
    p = plan(quarters=1, customers={"count": 100, "arr": 1_000})
    layout = Layout(["ae", "csm"], ["csm"])
    m = 365 / 12
    raw = raw_with(
        layout, 3,
        bookings=[100, 100, 100], expansion_arr=[10, 10, 10], churned_arr=[5, 5, 5],
        revenue=[1_000, 1_000, 1_000], head_days=[10 * m] * 3, seller_days=[4 * m] * 3,
        cost_people=[500] * 3, cost_commission=[10] * 3, cost_hiring=[0, 20, 0],
        cost_programs=[0, 0, 70], arr=[1_100, 1_200, 1_300], heads_total=[10] * 3,
        heads_csm=[2] * 3, customers=[100, 100, 100], customers_churned=[1, 1, 0],
        opps_won=[2, 2, 1], cycle_days_won_sum=[100, 100, 50], ramp_days=[3 * m] * 3,
    )
    q = {k: v[0, 0] for k, v in period_metrics(raw, layout, p, [np.arange(3)]).items()}
    assert q["revenue_per_head"] == pytest.approx(3_000 * 4 / 10)  # annualized / avg heads
    assert q["bookings_per_seller"] == pytest.approx(300 * 4 / 4)
    assert q["arr_per_head"] == pytest.approx(130)
    assert q["arr_per_csm"] == pytest.approx(650)
    assert q["cost_total"] == pytest.approx(1_500 + 30 + 20 + 70)
    assert q["sales_expense_ratio"] == pytest.approx(1_620 / 3_000)
    assert q["net_new_arr"] == pytest.approx(300 + 30 - 15)
    assert q["new_logo_share"] == pytest.approx(300 / 330)
    assert q["avg_deal_size"] == pytest.approx(60)
    assert q["cycle_days_won"] == pytest.approx(50)
    assert q["ramped_sellers"] == pytest.approx(3)
    assert q["arr_per_customer"] == pytest.approx(13)
    assert q["clv"] == pytest.approx(13 / (2 * 4 / 100))
    assert math.isnan(q["magic_number"])  # no previous period


def test_magic_number_uses_the_previous_period_cost() -> None:
    p = plan(quarters=2)
    layout = Layout(["ae"], [])
    raw = raw_with(layout, 6, bookings=[0, 0, 0, 100, 100, 100], cost_people=[50] * 6)
    q = period_metrics(raw, layout, p, [np.arange(3), np.arange(3, 6)])
    assert q["magic_number"][0, 1] == pytest.approx(300 / 150)


def test_missing_ratios_are_nan_not_zero() -> None:
    p = plan(quarters=1)
    layout = Layout(["ae"], [])
    q = period_metrics(raw_with(layout, 3), layout, p, [np.arange(3)])
    assert math.isnan(q["win_rate"][0, 0])
    assert math.isnan(q["revenue_per_head"][0, 0])


def test_stats_over_replications() -> None:
    values = np.arange(1, 101, dtype=float)[:, None]
    s = stats(values)
    assert s["mean"][0] == pytest.approx(50.5)
    assert s["p50"][0] == pytest.approx(50.5)
    assert s["p10"][0] == pytest.approx(np.percentile(values, 10))
    assert s["sd"][0] == pytest.approx(values.std(ddof=1))


def test_distribution_median_trimmed_mean_and_quartiles() -> None:
    values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 1_000.0])
    d = distribution(values)
    assert d["median"] == 5.5
    assert d["trimmed_mean_10"] == pytest.approx(np.mean([2, 3, 4, 5, 6, 7, 8, 9]))
    assert d["p25"] == pytest.approx(3.25)


def test_rep_distribution_keeps_full_years_and_groups_cohorts() -> None:
    import pandas as pd

    sellers = pd.DataFrame({
        "months_employed": [24, 24, 6, 12],
        "annual_bookings": [400.0, 600.0, 9_999.0, 500.0],
        "cohort": ["today", "today", "Q1", "Q1"],
    })
    d = rep_distribution(sellers)
    assert d["sellers"] == 3
    assert d["median"] == 500
    assert d["by_cohort"]["Q1"]["sellers"] == 1


def test_month_label() -> None:
    assert month_label("2027-11", 0) == "2027-11"
    assert month_label("2027-11", 2) == "2028-01"
    assert month_label("2027-01", -1) == "2026-12"


def test_quarter_label_is_the_calendar_quarter_or_its_months() -> None:
    assert [quarter_label("2027-01", 3 * q) for q in range(5)] == [
        "2027Q1", "2027Q2", "2027Q3", "2027Q4", "2028Q1"]
    assert quarter_label("2017-07", 0) == "2017Q3"
    # a horizon that starts mid-quarter: its quarters are named by their months
    assert quarter_label("2027-02", 0) == "2027-02..04"
    assert quarter_label("2027-02", 9) == "2027-11..2028-01"
