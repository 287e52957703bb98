"""Estimators for `simrev fit`: rates, outcomes, cycle, deal size and attrition from a CRM cut.

Input is the export reader's frame (one row per opportunity: `id`, `owner`, `created`,
`closed`, `outcome` in won/lost/open as knowable at `as_of`, `amount`, `product`, `source`)
and optionally a roster (`seller`, `start`, `leave`, `role`). Every estimator returns its
values as `Estimate`s (value, standard error, sample size) so that a scenario writer can
comment each value and size a `{between: [lo, hi]}` range from it, plus warnings and notes
as plain strings. Nothing here prints. Methods and rules are in docs/fit.md.

Ages are whole days (CRM dates are dates); a month is 365/12 days and a year 365, as in the
engine. Bootstraps use a fixed seed, so the same data always give the same errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from sim.plan import MONTH_DAYS, YEAR_DAYS

DAY = np.timedelta64(1, "D")
BOOTSTRAP = 200  # replicates of every bootstrap
SEED = 20240614  # the bootstraps' fixed seed
MIN_AT_RISK = 20  # the outcome horizon: the oldest age with at least this many still at risk
DECIDED_SHARE = 0.95  # the drop age: the age by which this share of the decisions happened
PLATEAU_GROWTH = 0.02  # plateau: the last quarter of the horizon adds less than this share
TAIL_BEYOND = 0.05  # warn when the fitted lognormal puts more decisions than this past the data
SILENCE_DAYS = 90  # without a roster: a seller silent this long before the cut has left
SPREAD_MONTHS = 3.0  # the seller spread uses sellers exposed at least this many months
FEW_OPPS = 5  # sellers with fewer opportunities than this are flagged as too few to estimate
FEW_WINS = 5  # products with fewer sized wins than this are flagged


@dataclass(frozen=True)
class Estimate:
    """One estimated number: its value, standard error and the sample size behind it."""

    value: float
    se: float
    n: int

    def between(self, k: float = 2.0, low: float | None = 0.0,
                high: float | None = None) -> tuple[float, float]:
        """The range value ± k standard errors, clipped to [low, high] where given."""
        lo, hi = self.value - k * self.se, self.value + k * self.se
        if low is not None:
            lo = max(lo, low)
        if high is not None:
            hi = min(hi, high)
        return lo, hi


def _est(value: float, se: float, n: int) -> Estimate:
    return Estimate(float(value), float(se), int(n))


def _bootstrap_se(replicates: np.ndarray) -> float:
    finite = replicates[np.isfinite(replicates)]
    return float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


# ---------------------------------------------------------------------------- the cut


@dataclass(frozen=True)
class Cut:
    """The frame reduced to what was knowable at `as_of`, with ages in whole days."""

    frame: pd.DataFrame  # rows created at or before the cut, outcome as of the cut
    as_of: pd.Timestamp
    since: pd.Timestamp  # the window's start: the earliest creation
    age: np.ndarray  # int days: to the decision if decided, else to the cut (censored)
    won: np.ndarray  # bool
    lost: np.ndarray  # bool
    after_cut: int  # rows created after the cut (not used)
    no_close_date: int  # won/lost rows without a usable close date (not used for timing)


def cut(frame: pd.DataFrame | Cut, as_of: object) -> Cut:
    """Keep rows created by `as_of`; a close after it is treated as still open.

    A `Cut` passes through unchanged (so `fit` cuts once for every estimator).
    """
    if isinstance(frame, Cut):
        return frame
    as_of = pd.Timestamp(as_of)
    created = frame["created"]
    known = created.notna() & (created <= as_of)
    after_cut = int((created > as_of).sum())
    df = frame.loc[known]
    closed = df["closed"]
    decided = df["outcome"].isin(["won", "lost"]).to_numpy() & (closed <= as_of).to_numpy()
    dated = closed.notna().to_numpy() & (closed >= df["created"]).to_numpy()
    no_close_date = int((df["outcome"].isin(["won", "lost"]).to_numpy() & ~dated).sum())
    decided &= dated
    outcome = np.where(decided, df["outcome"].to_numpy(), "open")
    df = df.assign(outcome=outcome, closed=closed.where(decided))
    end = np.where(decided, closed.to_numpy(dtype="datetime64[ns]"), as_of.to_datetime64())
    age = ((end - df["created"].to_numpy(dtype="datetime64[ns]")) // DAY).astype(np.int64)
    since = df["created"].min() if len(df) else as_of
    return Cut(df, as_of, pd.Timestamp(since), age, outcome == "won", outcome == "lost",
               after_cut, no_close_date)


# ---------------------------------------------------------------------- creation rates


@dataclass(frozen=True)
class RateFit:
    """Opportunities created per seller per month, pooled and by seller."""

    pooled: Estimate  # per seller-month; n = opportunities
    spread_cv: Estimate  # between-seller CV of the rate, net of Poisson noise; n = sellers
    sellers: pd.DataFrame  # seller, opportunities, exposure_months, rate, rate_shrunk, few
    sources: pd.DataFrame  # source, opportunities, share, share_se
    exposure_from: str  # "roster", "activity" or "roster and activity"
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _activity(c: Cut) -> pd.DataFrame:
    """Each owner's first and last creation, count, and whether they left before the cut.

    A seller has left when silent (no creation) before the cut for longer than
    `SILENCE_DAYS` and five of their mean gaps between creations. Closes are not activity:
    a departed seller's deals may close after they left.
    """
    df = c.frame
    g = pd.DataFrame({"owner": df["owner"].astype(str).to_numpy(),
                      "created": df["created"].to_numpy()})
    act = g.groupby("owner", sort=True).agg(first=("created", "min"), last=("created", "max"),
                                            opportunities=("created", "size"))
    span = ((act["last"] - act["first"]) / DAY).to_numpy(dtype=float)
    gap = span / np.maximum(act["opportunities"].to_numpy() - 1, 1)
    silent = ((c.as_of - act["last"]) / DAY).to_numpy(dtype=float)
    act["left"] = silent > np.maximum(SILENCE_DAYS, 5 * np.where(span > 0, gap, 0.0))
    act["end"] = act["last"].where(act["left"], c.as_of)
    return act


def _roster_window(roster: pd.DataFrame, since: pd.Timestamp,
                   as_of: pd.Timestamp) -> pd.DataFrame:
    """Each roster seller's exposure within [since, as_of] and whether they left in it."""
    r = roster.copy()
    start = r["start"].fillna(since).clip(lower=since)
    leave = r["leave"]
    end = leave.where(leave.notna() & (leave <= as_of), as_of)
    exits = (leave.notna() & (leave > since) & (leave <= as_of)).to_numpy()
    days = np.maximum(((end - start) / DAY).to_numpy(dtype=float), 0.0)
    return pd.DataFrame({"seller": r["seller"].astype(str).to_numpy(), "start": start.to_numpy(),
                         "end": end.to_numpy(), "days": days, "exit": exits,
                         "role": r["role"].to_numpy() if "role" in r else ""})


def creation_rates(frame: pd.DataFrame | Cut, as_of: object, roster: pd.DataFrame | None = None,
                   seed: int = SEED) -> RateFit:
    """Opportunities created per seller per month, the pooled rate and the seller spread.

    Exposure comes from the roster (start to leave, within the window) for the roster's
    sellers; for owners not on it, from their first creation (that opportunity not counted)
    to the cut, or to their last creation if they fell silent (see `_activity`).
    The pooled rate is opportunities / exposure with a seller-clustered standard error; the
    spread is the method of moments var(rate) - mean(rate / exposure), as a CV.
    """
    c = cut(frame, as_of)
    act = _activity(c)
    notes, warnings = [], []
    counts = act["opportunities"].astype(float)
    days_act = ((act["end"] - act["first"]) / DAY).to_numpy(dtype=float)
    table = pd.DataFrame({"opportunities": counts - 1, "days": days_act}, index=act.index)
    source = "activity"
    if roster is not None and len(roster):
        rw = _roster_window(roster, c.since, c.as_of)
        selling_roles = set(rw.loc[rw["seller"].isin(act.index), "role"])
        rw = rw[rw["role"].isin(selling_roles) | rw["seller"].isin(act.index)]
        rw = rw.groupby("seller").agg(days=("days", "sum"))
        on = table.index.isin(rw.index)
        table.loc[on, "opportunities"] = counts[on]
        table.loc[on, "days"] = rw.loc[table.index[on], "days"].to_numpy()
        absent = rw.index.difference(table.index)
        table = pd.concat([table, pd.DataFrame({"opportunities": 0.0,
                                                "days": rw.loc[absent, "days"]})])
        source = "roster" if on.all() else "roster and activity"
        if not on.all():
            notes.append(f"{int((~on).sum())} owner(s) not on the roster: their exposure runs "
                         "from their first opportunity (not counted) to the cut, or to "
                         "their last one if they fell silent")
    else:
        notes.append("no roster: each seller's exposure runs from their first opportunity "
                     "(not counted) to the cut, or to their last one if they fell silent "
                     "(see docs/fit.md)")
    table = table[table["days"] > 0].sort_index()
    n_opp = table["opportunities"].to_numpy()
    exposure = table["days"].to_numpy() / MONTH_DAYS
    k = len(table)
    if k == 0:
        nan = _est(math.nan, math.nan, 0)
        return RateFit(nan, nan, pd.DataFrame(), pd.DataFrame(), source, tuple(notes),
                       ("no seller with any exposure before the cut",))
    total_n, total_e = n_opp.sum(), exposure.sum()
    pooled = total_n / total_e
    poisson_se = math.sqrt(max(total_n, 1.0)) / total_e
    cluster_se = (math.sqrt(k / (k - 1) * np.sum((n_opp - pooled * exposure) ** 2)) / total_e
                  if k > 1 else math.nan)
    rate = n_opp / exposure
    long = exposure >= SPREAD_MONTHS
    k_long = int(long.sum())
    between_var, cv = _spread(n_opp[long], exposure[long])
    # Jackknife over sellers for the spread's error (the bootstrap understates it).
    drop = ~np.eye(k_long, dtype=bool)
    jack = np.array([_spread(n_opp[long][d], exposure[long][d])[1] for d in drop])
    jack_se = math.sqrt((k_long - 1) / k_long * np.sum((jack - jack.mean()) ** 2)) \
        if k_long > 1 else math.nan
    shrink = between_var / (between_var + np.maximum(rate.mean(), 1e-12) / exposure)
    few = n_opp < FEW_OPPS
    sellers = pd.DataFrame({
        "seller": table.index.astype(str), "opportunities": n_opp.astype(int),
        "exposure_months": exposure, "rate": rate,
        "rate_shrunk": shrink * rate + (1 - shrink) * pooled, "few": few})
    if few.any():
        warnings.append(f"{int(few.sum())} seller(s) with fewer than {FEW_OPPS} opportunities: "
                        "their own rates are shrunk to the pooled rate")
    if k_long < 5:
        warnings.append(f"only {k_long} seller(s) with {SPREAD_MONTHS:g} months of exposure: "
                        "the between-seller spread is not estimable")
    src = c.frame["source"].fillna("").astype(str) if "source" in c.frame else None
    if src is not None and len(src):
        counts_src = src.value_counts().sort_index()
        share = counts_src / counts_src.sum()
        sources = pd.DataFrame({"source": counts_src.index, "opportunities": counts_src.values,
                                "share": share.values,
                                "share_se": np.sqrt(share * (1 - share) / counts_src.sum()).values})
    else:
        sources = pd.DataFrame(columns=["source", "opportunities", "share", "share_se"])
    return RateFit(
        pooled=_est(pooled, np.nanmax([poisson_se, cluster_se]), total_n),
        spread_cv=_est(cv, jack_se, k_long), sellers=sellers, sources=sources,
        exposure_from=source, notes=tuple(notes), warnings=tuple(warnings))


def _spread(n_opp: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Between-seller variance net of Poisson noise, and its CV, along the last axis.

    DerSimonian-Laird's method of moments: each seller's rate has Poisson variance
    mean / exposure; weighting by its inverse, the excess of Cochran's Q over k - 1 is the
    between-seller variance (floored at 0).
    """
    k = n_opp.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):  # no exposure or one seller: NaN
        rate = n_opp / exposure
        pooled = n_opp.sum(axis=-1) / exposure.sum(axis=-1)
        w = exposure / np.maximum(pooled, 1e-12)[..., None]  # 1 / (pooled / exposure)
        sw = w.sum(axis=-1)
        mean_w = (w * rate).sum(axis=-1) / sw
        q = (w * (rate - mean_w[..., None]) ** 2).sum(axis=-1)
        var = np.maximum((q - (k - 1)) / (sw - (w * w).sum(axis=-1) / sw), 0.0)
        return var, np.sqrt(var) / pooled


# ------------------------------------------------------------------- competing risks


def _age_table(age: np.ndarray, won: np.ndarray, lost: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Unique ages and counts (won, lost, censored) at each, shape (3, ages)."""
    ages, inverse = np.unique(age, return_inverse=True)
    kind = np.where(won, 0, np.where(lost, 1, 2))
    counts = np.zeros((3, ages.size))
    np.add.at(counts, (kind, inverse), 1.0)
    return ages, counts


def aalen_johansen(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative incidence of won and lost and the number at risk, at each table age.

    `counts` is (..., 3, ages) of won, lost and censored counts; leading axes are
    replicates. Censoring at an age is counted at risk at that age.
    """
    w, l_, c = counts[..., 0, :], counts[..., 1, :], counts[..., 2, :]
    total = w + l_ + c
    at_risk = np.flip(np.cumsum(np.flip(total, -1), -1), -1)
    d = w + l_
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, d / at_risk, 0.0)
        surv = np.cumprod(1.0 - hazard, axis=-1)
        before = np.concatenate([np.ones_like(surv[..., :1]), surv[..., :-1]], axis=-1)
        cif_won = np.cumsum(np.where(at_risk > 0, before * w / at_risk, 0.0), axis=-1)
        cif_lost = np.cumsum(np.where(at_risk > 0, before * l_ / at_risk, 0.0), axis=-1)
    return cif_won, cif_lost, at_risk


@dataclass(frozen=True)
class OutcomeFit:
    """Won, lost and never decided as competing risks, censored at the cut."""

    win_rate: Estimate  # among decided deals: CIF_won / (CIF_won + CIF_lost) at the horizon
    no_decision: Estimate  # 1 - CIF_won - CIF_lost at the horizon
    drop_age_days: Estimate  # the age by which 95% of the decisions have happened
    horizon_days: int  # the oldest age read: at least MIN_AT_RISK still at risk
    plateau: bool  # the last quarter of the horizon adds < PLATEAU_GROWTH of the decisions
    curve: pd.DataFrame  # age_days, cif_won, cif_lost, at_risk
    naive_win_rate: float  # won / (won + lost) among deals decided by the cut, for contrast
    warnings: tuple[str, ...] = ()


def _horizon(ages: np.ndarray, at_risk: np.ndarray) -> int:
    ok = np.flatnonzero(at_risk >= MIN_AT_RISK)
    return int(ok[-1]) if ok.size else ages.size - 1


def _outcome_stats(ages: np.ndarray, counts: np.ndarray, h: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Win rate, no-decision share, drop age and last-quarter growth, per replicate."""
    cw, cl, _ = aalen_johansen(counts)
    dec = cw + cl
    dec_h = dec[..., h]
    with np.errstate(divide="ignore", invalid="ignore"):
        win = cw[..., h] / dec_h
        reached = dec >= DECIDED_SHARE * dec_h[..., None]
    drop = ages[np.argmax(reached[..., : h + 1], axis=-1)]
    quarter = np.searchsorted(ages, 0.75 * ages[h], side="right") - 1
    before = dec[..., quarter] if quarter >= 0 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = (dec_h - before) / dec_h
    return win, 1.0 - dec_h, drop.astype(float), growth


def outcomes(frame: pd.DataFrame | Cut, as_of: object, seed: int = SEED) -> OutcomeFit:
    """Cumulative incidence of won and lost by age (Aalen-Johansen), censored at the cut.

    Read at the horizon (the oldest age with at least `MIN_AT_RISK` opportunities at risk):
    the win rate among decided deals, the never-decided share and the drop age (by which
    95% of the decisions have happened). Errors from a fixed-seed Poisson bootstrap.
    """
    c = cut(frame, as_of)
    n = len(c.age)
    warnings: list[str] = []
    if n == 0 or not (c.won | c.lost).any():
        nan = _est(math.nan, math.nan, n)
        return OutcomeFit(nan, nan, nan, 0, False, pd.DataFrame(), math.nan,
                          ("no decided opportunity before the cut",))
    ages, counts = _age_table(c.age, c.won, c.lost)
    cw, cl, at_risk = aalen_johansen(counts)
    h = _horizon(ages, at_risk)
    win, nd, drop, growth = _outcome_stats(ages, counts, h)
    boot = _rng(seed).poisson(counts, size=(BOOTSTRAP, *counts.shape)).astype(float)
    b_win, b_nd, b_drop, _ = _outcome_stats(ages, boot, h)
    decided = int(c.won.sum() + c.lost.sum())
    plateau = bool(growth < PLATEAU_GROWTH)
    if not plateau:
        warnings.append(
            f"the observed window is too short for a plateau: decisions were still growing "
            f"{100 * growth:.0f}% over the last quarter of the {int(ages[h])}-day horizon, so "
            "the no-decision share is an upper bound and the drop age a lower bound")
    if c.no_close_date:
        warnings.append(f"{c.no_close_date} decided opportunit(ies) without a usable close "
                        "date were counted as open")
    curve = pd.DataFrame({"age_days": ages, "cif_won": cw, "cif_lost": cl, "at_risk": at_risk})
    return OutcomeFit(
        win_rate=_est(win, _bootstrap_se(b_win), decided),
        no_decision=_est(nd, _bootstrap_se(b_nd), n),
        drop_age_days=_est(drop, _bootstrap_se(b_drop), decided),
        horizon_days=int(ages[h]), plateau=plateau, curve=curve,
        naive_win_rate=float(c.won.sum() / decided), warnings=tuple(warnings))


# ------------------------------------------------------------------------------ cycle


@dataclass(frozen=True)
class CycleFit:
    """Age at decision (won or lost), fitted with censoring at the cut."""

    mean: Estimate  # lognormal mean in days, censored ML with a never-decide share
    cv: Estimate  # lognormal CV
    km_mean: Estimate  # mean of the Aalen-Johansen decision-age distribution up to horizon
    closed_only_mean: Estimate  # mean age of the deals decided by the cut (biased short)
    no_decision: Estimate  # the never-decide share of the same lognormal fit
    quantiles: pd.DataFrame  # q, age_days: the censoring-corrected empirical distribution
    tail_beyond_window: float  # fitted share of decisions after the oldest observed age
    bimodal: bool
    modes: pd.DataFrame  # share, median_days of two log-normal components (when bimodal)
    warnings: tuple[str, ...] = ()


def _cure_nll(theta: np.ndarray, a_dec: np.ndarray, w_dec: np.ndarray, a_cen: np.ndarray,
              w_cen: np.ndarray) -> float:
    """Negative log-likelihood: never decides with p, else decides at a lognormal age."""
    mu, log_sigma, logit_p = theta
    sigma = math.exp(log_sigma)
    log_p, log_q = -np.logaddexp(0, -logit_p), -np.logaddexp(0, logit_p)
    z_dec = (np.log(a_dec) - mu) / sigma
    ll_dec = log_q + stats.norm.logpdf(z_dec) - np.log(a_dec) - log_sigma
    z_cen = (np.log(a_cen) - mu) / sigma
    ll_cen = np.logaddexp(log_p, log_q + special.log_ndtr(-z_cen))
    return -float(w_dec @ ll_dec + w_cen @ ll_cen)


def _hessian(f, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    k = x.size
    h = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = h[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                 + f(x - ei - ej)) / (4 * step * step)
    return h


def lognormal_cure(ages: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Censored ML of (mu, log sigma, logit never-decide share) and their covariance.

    Ages are differences of dates, unbiased for the continuous age; a same-day decision
    (age 0) counts as half a day.
    """
    a = np.maximum(ages, 0.5)
    dec = counts[0] + counts[1]
    cen = counts[2]
    md, mc = dec > 0, cen > 0
    args = (a[md], dec[md], a[mc], cen[mc])
    log_a = np.repeat(np.log(a[md]), dec[md].astype(int))
    x0 = np.array([log_a.mean(), math.log(max(log_a.std(), 0.1)), 0.0])
    res = optimize.minimize(_cure_nll, x0, args=args, method="Nelder-Mead",
                            options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 4000})
    res = optimize.minimize(_cure_nll, res.x, args=args, method="BFGS")
    hess = _hessian(lambda t: _cure_nll(t, *args), res.x)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    return res.x, cov


def _bimodal(log_age: np.ndarray, weight: np.ndarray) -> tuple[bool, pd.DataFrame]:
    """Two normals on log age by weighted EM: bimodal if BIC prefers two, well separated."""
    w = weight / weight.sum()
    n_eff = float(weight.sum())
    m1 = float(w @ log_age)
    v1 = max(float(w @ (log_age - m1) ** 2), 1e-6)
    ll1 = float(n_eff * (w @ stats.norm.logpdf(log_age, m1, math.sqrt(v1))))
    q = np.quantile(np.repeat(log_age, np.maximum(1, np.round(w * 1000)).astype(int)),
                    [0.25, 0.75])
    pi, mu, var = np.array([0.5, 0.5]), q.astype(float), np.array([v1 / 4, v1 / 4])
    for _ in range(200):
        dens = pi[:, None] * stats.norm.pdf(log_age[None, :], mu[:, None],
                                            np.sqrt(var)[:, None])
        tot = np.maximum(dens.sum(axis=0), 1e-300)
        r = dens / tot * w
        rs = np.maximum(r.sum(axis=1), 1e-12)
        pi, mu = rs, (r @ log_age) / rs
        var = np.maximum((r * (log_age[None, :] - mu[:, None]) ** 2).sum(axis=1) / rs, 1e-4)
    dens = pi[:, None] * stats.norm.pdf(log_age[None, :], mu[:, None], np.sqrt(var)[:, None])
    ll2 = float(n_eff * (w @ np.log(np.maximum(dens.sum(axis=0), 1e-300))))
    bic1, bic2 = -2 * ll1 + 2 * math.log(n_eff), -2 * ll2 + 5 * math.log(n_eff)
    ashman = math.sqrt(2) * abs(mu[0] - mu[1]) / math.sqrt(var[0] + var[1])
    bimodal = bool(bic2 < bic1 - 10 and ashman > 2 and pi.min() >= 0.1)
    order = np.argsort(mu)
    modes = pd.DataFrame({"share": pi[order], "median_days": np.exp(mu[order]),
                          "sigma": np.sqrt(var[order])})
    return bimodal, modes


def _km_mean(ages: np.ndarray, counts: np.ndarray, h: int) -> np.ndarray:
    cw, cl, _ = aalen_johansen(counts)
    dec = (cw + cl)[..., : h + 1]
    jump = np.diff(dec, axis=-1, prepend=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (jump @ ages[: h + 1].astype(float)) / dec[..., -1]


def cycle(frame: pd.DataFrame | Cut, as_of: object, seed: int = SEED) -> CycleFit:
    """The age at decision: a censoring-corrected empirical distribution and a lognormal.

    The empirical one is the Aalen-Johansen decision incidence up to the horizon, normalised
    to the deals decided by it. The lognormal is fitted by censored maximum likelihood
    together with a never-decide share (without it the never-decided deals would stretch
    the tail). Warns when the fitted tail reaches past the observed window; flags bimodality.
    """
    c = cut(frame, as_of)
    decided = c.won | c.lost
    n_dec = int(decided.sum())
    warnings: list[str] = []
    if n_dec < 2:
        nan = _est(math.nan, math.nan, n_dec)
        return CycleFit(nan, nan, nan, nan, nan, pd.DataFrame(), math.nan, False,
                        pd.DataFrame(), ("fewer than two decided opportunities",))
    ages, counts = _age_table(c.age, c.won, c.lost)
    _, _, at_risk = aalen_johansen(counts)
    h = _horizon(ages, at_risk)
    km = _km_mean(ages, counts, h)
    boot = _rng(seed).poisson(counts, size=(BOOTSTRAP, *counts.shape)).astype(float)
    km_boot = _km_mean(ages, boot, h)
    theta, cov = lognormal_cure(ages, counts)
    mu, sigma = theta[0], math.exp(theta[1])
    mean = math.exp(mu + sigma**2 / 2)
    cv = math.sqrt(math.expm1(sigma**2))
    # Delta method on (mu, log sigma, logit p).
    g_mean = np.array([mean, mean * sigma**2, 0.0])
    e = math.exp(sigma**2)
    g_cv = np.array([0.0, e * sigma**2 / math.sqrt(e - 1), 0.0])
    p = special.expit(theta[2])
    g_p = np.array([0.0, 0.0, p * (1 - p)])
    se = [math.sqrt(max(float(g @ cov @ g), 0.0)) for g in (g_mean, g_cv, g_p)]
    oldest = max(float(c.age.max()), 0.5)
    tail = float(stats.norm.sf((math.log(oldest) - mu) / sigma))
    if tail > TAIL_BEYOND:
        warnings.append(
            f"the fitted lognormal puts {100 * tail:.0f}% of decisions beyond the oldest "
            f"observed age ({int(oldest)} days): its mean and tail are extrapolated; prefer "
            "the empirical distribution")
    cw, cl, _ = aalen_johansen(counts)
    dec = (cw + cl)[: h + 1]
    share = dec / dec[-1]
    qs = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    quantiles = pd.DataFrame({"q": qs, "age_days": ages[np.searchsorted(share, qs - 1e-12)]})
    jump = np.diff(dec, prepend=0.0)
    keep = jump > 0
    bimodal, modes = _bimodal(np.log(np.maximum(ages[: h + 1][keep], 0.5)),
                              jump[keep] / dec[-1] * counts[:2, : h + 1].sum())
    if bimodal:
        warnings.append(
            "decision ages look bimodal (deals near {:.0f} and {:.0f} days): one lognormal "
            "fits neither; prefer the empirical distribution".format(*modes["median_days"]))
    closed_age = c.age[decided].astype(float)
    return CycleFit(
        mean=_est(mean, se[0], n_dec), cv=_est(cv, se[1], n_dec),
        km_mean=_est(km, _bootstrap_se(km_boot), n_dec),
        closed_only_mean=_est(closed_age.mean(), closed_age.std(ddof=1) / math.sqrt(n_dec),
                              n_dec),
        no_decision=_est(p, se[2], len(c.age)), quantiles=quantiles,
        tail_beyond_window=tail, bimodal=bimodal, modes=modes, warnings=tuple(warnings))


# -------------------------------------------------------------------------- deal size


@dataclass(frozen=True)
class DealSizeFit:
    """Lognormal size of won deals, overall (the mix of products) and by product."""

    mean: Estimate  # the mix's mean: sum over products of share x lognormal mean
    cv: Estimate  # the mix's CV
    products: pd.DataFrame  # product, wins, share, share_se, sized, mean, mean_se, cv, cv_se
    unsized_wins: int  # wins without a positive amount (not in the sizes)
    warnings: tuple[str, ...] = ()


def _size_stats(onehot: np.ndarray, log_x: np.ndarray, positive: np.ndarray,
                weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Shares, lognormal means and CVs by product, and the mix's mean and CV.

    `weights` is (replicates, wins); `onehot` (wins, products). Returns arrays with the
    replicates as first axis.
    """
    wins = weights @ onehot
    share = wins / wins.sum(axis=1, keepdims=True)
    ws = weights * positive
    n = ws @ onehot
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu = (ws * log_x) @ onehot / n
        var = ((ws * log_x * log_x) @ onehot / n - mu**2) * n / (n - 1)
        var = np.maximum(var, 0.0)
        mean = np.exp(mu + var / 2)
        second = np.exp(2 * mu + 2 * var)
        use = np.isfinite(mean)
        s_use = np.where(use, share, 0.0)
        total = s_use.sum(axis=1)
        mix_mean = np.where(use, s_use * mean, 0.0).sum(axis=1) / total
        mix_second = np.where(use, s_use * second, 0.0).sum(axis=1) / total
        mix_cv = np.sqrt(np.maximum(mix_second - mix_mean**2, 0.0)) / mix_mean
        cv = np.sqrt(np.expm1(var))
    return share, mean, cv, mix_mean, mix_cv


def deal_size(frame: pd.DataFrame | Cut, as_of: object, seed: int = SEED) -> DealSizeFit:
    """Lognormal mean and CV of won amounts by product and for their mix of wins.

    Per product: the lognormal ML fit (mean and variance of log amounts); the product's
    share of wins; the overall mean and CV are those of the mixture. Errors from a
    fixed-seed Poisson bootstrap of the won deals.
    """
    c = cut(frame, as_of)
    wins = c.frame.loc[c.won]
    product = wins["product"].fillna("").astype(str).to_numpy() if "product" in wins \
        else np.full(len(wins), "")
    names, code = np.unique(product, return_inverse=True)
    amount = pd.to_numeric(wins["amount"], errors="coerce").to_numpy(dtype=float)
    positive = np.isfinite(amount) & (amount > 0)
    log_x = np.where(positive, np.log(np.where(positive, amount, 1.0)), 0.0)
    k = len(names)
    warnings: list[str] = []
    if positive.sum() < 2:
        nan = _est(math.nan, math.nan, int(positive.sum()))
        return DealSizeFit(nan, nan, pd.DataFrame(), int((~positive).sum()),
                           ("fewer than two won deals with an amount",))
    onehot = np.zeros((len(wins), k))
    onehot[np.arange(len(wins)), code] = 1.0
    share, mean, cv, mix_mean, mix_cv = (x[0] for x in _size_stats(
        onehot, log_x, positive, np.ones((1, len(wins)))))
    rng = _rng(seed)
    chunks = [_size_stats(onehot, log_x, positive,
                          rng.poisson(1.0, (size, len(wins))).astype(float))
              for size in np.diff(np.r_[0:BOOTSTRAP:50, BOOTSTRAP])]
    b = [np.concatenate([ch[i] for ch in chunks]) for i in range(5)]
    se = [np.array([_bootstrap_se(col) for col in b[i].T]) for i in range(3)]
    n_wins = np.bincount(code, minlength=k)
    sized = np.bincount(code[positive], minlength=k)
    products = pd.DataFrame({"product": names, "wins": n_wins, "share": share,
                             "share_se": se[0], "sized": sized, "mean": mean,
                             "mean_se": se[1], "cv": cv, "cv_se": se[2]})
    few = products.loc[products["sized"] < FEW_WINS, "product"]
    if len(few):
        warnings.append(f"{len(few)} product(s) with fewer than {FEW_WINS} sized wins: "
                        + ", ".join(repr(p) for p in few))
    unsized = int((~positive).sum())
    if unsized:
        warnings.append(f"{unsized} won deal(s) without a positive amount are left out of "
                        "the sizes (they count in the win shares)")
    n_sized = int(positive.sum())
    return DealSizeFit(mean=_est(mix_mean, _bootstrap_se(b[3]), n_sized),
                       cv=_est(mix_cv, _bootstrap_se(b[4]), n_sized),
                       products=products, unsized_wins=unsized, warnings=tuple(warnings))


# -------------------------------------------------------------------------- attrition


@dataclass(frozen=True)
class AttritionFit:
    """Departures per head per year (a hazard) and each seller's tenure at the cut."""

    rate: Estimate  # exits / exposure-years; n = exits
    exposure_years: float
    by_role: pd.DataFrame  # role, exits, exposure_years, rate, se
    tenure: pd.DataFrame  # seller, role, start, tenure_months (at the cut; NaN if left), present
    source: str  # "roster" or "activity"
    notes: tuple[str, ...] = ()


def attrition(frame: pd.DataFrame | Cut, as_of: object,
              roster: pd.DataFrame | None = None) -> AttritionFit:
    """Exits per exposure-year within the window, with a Poisson standard error.

    From the roster: exposure from start (or the window's start) to leave (or the cut).
    Without one: a seller's first to last opportunity, a leave being a silence before the
    cut (see `_activity`); starts before the export are unknown, so tenures are lower bounds.
    """
    c = cut(frame, as_of)
    notes: list[str] = []
    if roster is not None and len(roster):
        rw = _roster_window(roster, c.since, c.as_of)
        start = roster["start"].to_numpy()
        present = ~rw["exit"].to_numpy() & (pd.Series(rw["end"]) >= c.as_of).to_numpy()
        source = "roster"
    else:
        act = _activity(c)
        left = act["left"].to_numpy()
        days = ((act["end"] - act["first"]) / DAY).to_numpy(dtype=float)
        rw = pd.DataFrame({"seller": act.index.astype(str), "days": days, "exit": left,
                           "role": ""})
        start = act["first"].to_numpy()
        present = ~left
        source = "activity"
        notes.append("no roster: attrition and tenure are inferred from each seller's first "
                     f"and last opportunity (silence before the cut longer than {SILENCE_DAYS} "
                     "days and five of their usual gaps counts as a departure); tenures are "
                     "lower bounds and departures in the last months are missed")
    exits = int(rw["exit"].sum())
    years = float(rw["days"].sum()) / YEAR_DAYS
    rate = exits / years if years > 0 else math.nan
    se = math.sqrt(max(exits, 1)) / years if years > 0 else math.nan
    if exits == 0:
        notes.append("no departure in the window: the error is that of one departure")
    tenure_months = ((c.as_of.to_datetime64() - start) / DAY).astype(float) / MONTH_DAYS
    tenure = pd.DataFrame({"seller": rw["seller"].to_numpy(), "role": rw["role"].to_numpy(),
                           "start": start, "tenure_months": np.where(present, tenure_months,
                                                                     np.nan),
                           "present": present})
    by = pd.DataFrame({"role": rw["role"].to_numpy(), "exits": rw["exit"].to_numpy(int),
                       "days": rw["days"].to_numpy()}).groupby("role", sort=True).sum()
    by_years = by["days"].to_numpy() / YEAR_DAYS
    with np.errstate(divide="ignore", invalid="ignore"):
        by_role = pd.DataFrame({"role": by.index, "exits": by["exits"].to_numpy(),
                                "exposure_years": by_years,
                                "rate": by["exits"].to_numpy() / by_years,
                                "se": np.sqrt(np.maximum(by["exits"].to_numpy(), 1)) / by_years})
    return AttritionFit(_est(rate, se, exits), years, by_role, tenure, source, tuple(notes))


# -------------------------------------------------------------------------------- all


@dataclass(frozen=True)
class Fit:
    """Every estimate from one cut of an export."""

    as_of: pd.Timestamp
    since: pd.Timestamp
    opportunities: int  # rows used (created by the cut)
    after_cut: int  # rows created after the cut, not used
    rates: RateFit
    outcomes: OutcomeFit
    cycle: CycleFit
    deal_size: DealSizeFit
    attrition: AttritionFit
    warnings: tuple[str, ...] = field(default=())


def fit(frame: pd.DataFrame, as_of: object, roster: pd.DataFrame | None = None,
        seed: int = SEED) -> Fit:
    """Run every estimator on the frame as it was knowable at `as_of`."""
    c = cut(frame, as_of)
    parts = (creation_rates(c, as_of, roster, seed), outcomes(c, as_of, seed),
             cycle(c, as_of, seed), deal_size(c, as_of, seed), attrition(c, as_of, roster))
    warnings = tuple(w for p in parts for w in getattr(p, "warnings", ()))
    return Fit(c.as_of, c.since, len(c.frame), c.after_cut, *parts, warnings=warnings)
