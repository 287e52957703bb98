"""Are the fit's standard errors honest? Round trips over many seeds of a synthetic cut.

    python -m benchmarks.fit_calibration [--seeds 100] [--lost-cycle-factor 1.0]

For each generating parameter prints the mean z = (estimate - truth) / SE (near 0 if
unbiased), the SD of z (near 1 if the SE is right) and the share of seeds within two SEs
(near 95%). The tests check one fixed seed each; this checks that passing is not luck.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

import numpy as np
from scipy import stats

from sim import estimate
from tests.synthetic_crm import Truth, synthetic_cut


def truths(t: Truth) -> dict[str, float]:
    second = sum(s * m * m * (1 + cv * cv) for s, m, cv in t.products.values())
    sigma = math.sqrt(math.log1p(t.cycle_cv**2))
    out = {"rate": t.rate, "spread_cv": t.rate_cv, "win_rate": t.win_rate,
           "no_decision": t.no_decision, "no_decision_cure": t.no_decision,
           "cycle_mean": t.cycle_mean, "cycle_cv": t.cycle_cv, "cycle_km_mean": t.cycle_mean,
           "drop_age": float(stats.lognorm.ppf(0.95, sigma, scale=t.cycle_mean
                                               * math.exp(-sigma**2 / 2))),
           "deal_mean": t.mix_mean,
           "deal_cv": math.sqrt(second - t.mix_mean**2) / t.mix_mean, "attrition": t.attrition}
    for p, (share, mean, cv) in t.products.items():
        out |= {f"share[{p}]": share, f"mean[{p}]": mean, f"cv[{p}]": cv}
    return out


def estimates(f: estimate.Fit) -> dict[str, estimate.Estimate]:
    out = {"rate": f.rates.pooled, "spread_cv": f.rates.spread_cv,
           "win_rate": f.outcomes.win_rate, "no_decision": f.outcomes.no_decision,
           "no_decision_cure": f.cycle.no_decision, "cycle_mean": f.cycle.mean,
           "cycle_cv": f.cycle.cv, "cycle_km_mean": f.cycle.km_mean,
           "drop_age": f.outcomes.drop_age_days, "deal_mean": f.deal_size.mean,
           "deal_cv": f.deal_size.cv, "attrition": f.attrition.rate}
    for row in f.deal_size.products.itertuples():
        out |= {f"share[{row.product}]": estimate.Estimate(row.share, row.share_se, row.wins),
                f"mean[{row.product}]": estimate.Estimate(row.mean, row.mean_se, row.sized),
                f"cv[{row.product}]": estimate.Estimate(row.cv, row.cv_se, row.sized)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--lost-cycle-factor", type=float, default=1.0)
    args = parser.parse_args()
    truth = replace(Truth(), lost_cycle_factor=args.lost_cycle_factor)
    want = truths(truth)
    z: dict[str, list[float]] = {k: [] for k in want}
    for seed in range(1, args.seeds + 1):
        frame, roster, cut = synthetic_cut(truth, seed)
        got = estimates(estimate.fit(frame, cut, roster))
        for k, v in want.items():
            z[k].append((got[k].value - v) / got[k].se)
    print(f"{args.seeds} seeds, {truth}")
    print(f"{'parameter':>18} {'truth':>10} {'mean z':>7} {'sd z':>6} {'within 2 SE':>11}")
    for k, zs in z.items():
        a = np.array(zs)
        print(f"{k:>18} {want[k]:>10.4g} {a.mean():>7.2f} {a.std(ddof=1):>6.2f} "
              f"{np.mean(np.abs(a) <= 2):>11.0%}")


if __name__ == "__main__":
    main()
