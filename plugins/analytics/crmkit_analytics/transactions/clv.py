"""Customer lifetime value: BG/NBD for how often a customer buys and whether they still do,
Gamma-Gamma for how much they spend, both fitted by maximum likelihood.

Everything works on numpy arrays, one entry per customer, so that a million customers fit
in seconds: the summary statistics come from the purchase arrays by sorting and
``reduceat``, the log-likelihoods and their gradients are vectorised, and the optimiser is
``scipy.optimize.minimize`` (L-BFGS-B on the logarithms of the parameters).

The models (time in days):

* BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while
  alive, a customer buys at rate ``lambda ~ Gamma(r, alpha)``; after each purchase they
  leave for good with probability ``p ~ Beta(a, b)``.
* Gamma-Gamma (Fader and Hardie 2013, "The Gamma-Gamma model of monetary value"): the
  value of a customer's purchase is ``Gamma(p, nu)`` with ``nu ~ Gamma(q, v)``,
  independent of how often they buy.

A customer's summary follows the convention of the reference implementations: purchases on
the same day are one purchase (their amounts summed); ``frequency`` is the number of days
with a purchase after the first, ``recency`` the days from the first purchase to the last,
``T`` the days from the first purchase to the end of the calibration period, ``monetary``
the mean value of the repeat purchases (0 without any).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from attrs import frozen
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


LOG_BOUND = 20.0
"""The search runs over the logarithms of the parameters within +-LOG_BOUND."""
PARAMETER_NAMES = {"BG/NBD": ("r", "alpha", "a", "b"), "Gamma-Gamma": ("p", "q", "v")}
VANISHING = 1e-6
"""A fitted parameter below this has run to zero: the likelihood keeps rising towards an
edge where the model means nothing (``b`` -> 0: everyone leaves at their first repeat
purchase; ``p`` or ``v`` -> 0 …), so the fit is refused as degenerate. Only ``a`` -> 0 (nobody
ever leaves) is a meaningful limit. Parameters running large (``b`` -> infinity: nobody
leaves; ``r`` and ``alpha`` together: everyone buys at the same rate) are limits the
predictions still hold in; a prediction that is not finite is refused."""
MAY_VANISH = frozenset({"a"})


class ModelError(ValueError):
    """The data cannot be fitted (too few customers, no repeat purchase …): says why."""


@frozen
class Summary:
    """Per customer (sorted by id): repeat purchase days, recency, age, mean repeat value."""

    customer: Ints
    frequency: Floats
    recency: Floats
    T: Floats
    monetary: Floats
    first: Floats
    """The day of the first purchase (days since 1970-01-01)."""

    def __len__(self) -> int:
        return int(self.customer.shape[0])


def _sort(customer: Ints, t: Floats, amount: Floats) -> tuple[Ints, Floats, Floats]:
    ordered = bool(
        customer.size < 2
        or (
            np.all(customer[1:] >= customer[:-1])
            and np.all((customer[1:] != customer[:-1]) | (t[1:] >= t[:-1]))
        )
    )
    if ordered:
        return customer, t, amount
    order = np.lexsort((t, customer))
    return customer[order], t[order], amount[order]


def summarise(
    customer: Ints,
    t: Floats,
    amount: Floats,
    end: float,
    *,
    cutoff: float | None = None,
    by_day: bool = True,
) -> Summary:
    """The summary of each customer with a purchase before ``cutoff`` (days since the
    epoch; default ``end``), from one entry per purchase line: ``customer`` ids, times ``t``
    in days, ``amount``; ``T`` runs from the first purchase to ``end``.

    With ``by_day`` (the default) purchases on the same calendar day are one; without, every
    line is a purchase at its exact time (for data generated in continuous time). A
    calibration period that includes its last day D has ``end`` = D, ``cutoff`` = D + 1, as
    the reference implementations count it."""
    customer = np.asarray(customer, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    amount = np.asarray(amount, dtype=np.float64)
    keep = t < (end if cutoff is None else cutoff)
    if not np.all(keep):
        customer, t, amount = customer[keep], t[keep], amount[keep]
    customer, t, amount = _sort(customer, t, amount)
    if by_day:
        t = np.floor(t)
        if customer.size:
            new = np.empty(customer.size, dtype=bool)
            new[0] = True
            np.not_equal(customer[1:], customer[:-1], out=new[1:])
            new[1:] |= t[1:] != t[:-1]
            starts = np.flatnonzero(new)
            amount = np.add.reduceat(amount, starts)
            customer, t = customer[starts], t[starts]
    if customer.size == 0:
        empty = np.empty(0)
        return Summary(np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    first_mask = np.empty(customer.size, dtype=bool)
    first_mask[0] = True
    np.not_equal(customer[1:], customer[:-1], out=first_mask[1:])
    starts = np.flatnonzero(first_mask)
    ends = np.append(starts[1:], customer.size) - 1
    counts = (ends - starts + 1).astype(np.float64)
    first = t[starts]
    last = t[ends]
    totals = np.add.reduceat(amount, starts)
    repeat_total = totals - amount[starts]
    frequency = counts - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_total / np.maximum(frequency, 1.0), 0.0)
    return Summary(
        customer=customer[starts],
        frequency=frequency,
        recency=last - first,
        T=end - first,
        monetary=monetary,
        first=first,
    )


def count_between(
    customer: Ints, t: Floats, start: float, end: float, *, by_day: bool = True
) -> tuple[Ints, Floats]:
    """Per customer with a purchase in [start, end): how many purchases (days, with
    ``by_day``) they made there. Ids sorted."""
    customer = np.asarray(customer, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    keep = (t >= start) & (t < end)
    customer, t = customer[keep], t[keep]
    if by_day and customer.size:
        t = np.floor(t)
        order = np.lexsort((t, customer))
        customer, t = customer[order], t[order]
        new = np.empty(customer.size, dtype=bool)
        new[0] = True
        new[1:] = (customer[1:] != customer[:-1]) | (t[1:] != t[:-1])
        customer = customer[new]
    unique, counts = np.unique(customer, return_counts=True)
    return unique, counts.astype(np.float64)


# --- BG/NBD


@frozen
class BetaGeo:
    """Fitted BG/NBD parameters."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@frozen
class _Levels:
    """A column as its distinct values and, per customer, the index of its value: the
    special functions of the likelihoods then run on a few hundred values (frequencies and
    whole days repeat a lot), not on every customer."""

    values: Floats
    index: Ints
    counts: Floats

    @classmethod
    def of(cls, column: Floats) -> _Levels:
        values, index, counts = np.unique(column, return_inverse=True, return_counts=True)
        return cls(values, index.astype(np.int64).ravel(), counts.astype(np.float64))

    def map(self, function: Any) -> Floats:
        """``function(values)`` for each customer."""
        return np.asarray(function(self.values), dtype=np.float64)[self.index]


@frozen
class _BgData:
    x: Floats
    xs: _Levels
    txs: _Levels
    ts: _Levels


def bg_log_likelihood(params: Floats, x: Floats, tx: Floats, T: Floats) -> Floats:
    """Each customer's BG/NBD log-likelihood at ``params`` = (r, alpha, a, b)."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=np.float64)
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    a2 = gammaln(b + x) + gammaln(a + b) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.full_like(x, -np.inf)
    xr = x[repeat]
    a4[repeat] = math.log(a) - np.log(b + xr - 1.0) - (r + xr) * np.log(alpha + tx[repeat])
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def _bg_objective(log_params: Floats, data: _BgData) -> tuple[float, Floats]:
    params = np.exp(log_params)
    r, alpha, a, b = params
    x, xs, ts, txs = data.x, data.xs, data.ts, data.txs
    xv, tv, txv = xs.values, ts.values, txs.values
    # What depends on one column alone is summed over its distinct values, by their counts.
    sum_x = (
        gammaln(r + xv) + gammaln(b + xv) - gammaln(a + b + xv)
        - gammaln(r) + r * math.log(alpha) + gammaln(a + b) - gammaln(b)
    ) @ xs.counts  # fmt: skip
    d_r = (digamma(r + xv) - digamma(r) + math.log(alpha)) @ xs.counts
    d_ab = (digamma(a + b) - digamma(a + b + xv)) @ xs.counts
    d_b = d_ab + (digamma(b + xv) - digamma(b)) @ xs.counts
    log_tv = np.log(alpha + tv)
    d_r -= log_tv @ ts.counts
    # Per customer: the "still alive" term a3 and the "left after the last purchase" a4.
    with np.errstate(divide="ignore"):
        c_b = np.where(xv > 0, math.log(a) - np.log(np.maximum(b + xv - 1.0, 1e-300)), -np.inf)
    inv_b = np.where(xv > 0, 1.0 / np.maximum(b + xv - 1.0, 1e-300), 0.0)
    log_at = log_tv[ts.index]
    log_atx = np.log(alpha + txv)[txs.index]
    rx = r + x
    a3 = -rx * log_at
    a4 = c_b[xs.index] - rx * log_atx
    total = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - total)  # the share of "left after the last purchase"
    inv_at = (1.0 / (alpha + tv))[ts.index]
    inv_atx = (1.0 / (alpha + txv))[txs.index]
    value = sum_x + total.sum()
    d_r -= w4 @ (log_atx - log_at)
    d_alpha = r / alpha * x.size - rx @ inv_at - (rx * w4) @ (inv_atx - inv_at)
    w4_sum = w4.sum()
    d_a = d_ab + w4_sum / a
    d_b -= w4 @ inv_b[xs.index]
    n = float(x.size)
    grad = -np.array([d_r, d_alpha, d_a, d_b]) / n
    return -float(value) / n, grad * params


def _minimise(objective: Any, start: Floats, data: Any, names: str) -> NDArray[np.float64]:
    result = minimize(
        objective,
        np.log(start),
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
        options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9},
    )
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise ModelError(f"the {names} fit did not converge: {result.message}")
    params = np.exp(result.x)
    vanishing = [
        f"{name} = {value:.3g}"
        for name, value in zip(PARAMETER_NAMES[names], params.tolist(), strict=True)
        if value < VANISHING and name not in MAY_VANISH
    ]
    if vanishing:
        raise ModelError(
            f"the {names} fit is degenerate ({', '.join(vanishing)} ran to zero): the data "
            "cannot identify the model; it needs more customers and more of them buying again"
        )
    return np.asarray(np.exp(result.x), dtype=np.float64)


def fit_bg_nbd(frequency: Floats, recency: Floats, T: Floats) -> BetaGeo:
    """The maximum-likelihood BG/NBD parameters for these customers."""
    x = np.asarray(frequency, dtype=np.float64)
    tx = np.asarray(recency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    if x.size < 2:
        raise ModelError("lifetime value needs at least two customers to fit")
    if not np.any(x > 0):
        raise ModelError("no customer bought twice: the purchase rate cannot be fitted")
    if np.any(tx > age) or np.any(x < 0) or np.any(tx < 0):
        raise ModelError("recency must lie between 0 and T, frequency must not be negative")
    start = np.array([1.0, max(float(age.mean()) / 10.0, 1e-3), 1.0, 1.0])
    data = _BgData(x, _Levels.of(x), _Levels.of(tx), _Levels.of(age))
    params = _minimise(_bg_objective, start, data, "BG/NBD")
    ll = -_bg_objective(np.log(params), data)[0] * float(x.size)
    r, alpha, a, b = map(float, params)
    return BetaGeo(r, alpha, a, b, log_likelihood=ll)


def p_alive(model: BetaGeo, frequency: Floats, recency: Floats, T: Floats) -> Floats:
    """P(the customer has not left | their history)."""
    x = np.asarray(frequency, dtype=np.float64)
    ratio = np.zeros_like(x)
    repeat = x > 0
    xr = x[repeat]
    log_ratio = (
        math.log(model.a)
        - np.log(model.b + xr - 1.0)
        + (model.r + xr)
        * (np.log(model.alpha + np.asarray(T)[repeat]) - np.log(model.alpha + recency[repeat]))
    )
    ratio[repeat] = np.exp(np.minimum(log_ratio, 700.0))
    return 1.0 / (1.0 + ratio)


def expected_purchases(
    model: BetaGeo, t: float, frequency: Floats, recency: Floats, T: Floats
) -> Floats:
    """E[purchases in the next ``t`` days | history] (Fader, Hardie and Lee 2005, eq. 10)."""
    if t <= 0:
        return np.zeros_like(np.asarray(frequency, dtype=np.float64))
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    if a == 1.0:
        a = math.nextafter(1.0, 2.0)  # the formula's removable singularity
    x = np.asarray(frequency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    z = t / (alpha + age + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z)
    first = (a + b + x - 1.0) / (a - 1.0)
    second = 1.0 - np.exp((r + x) * (np.log(alpha + age) - np.log(alpha + age + t))) * hyp
    return np.asarray(first * second * p_alive(model, x, recency, age), dtype=np.float64)


# --- Gamma-Gamma


@frozen
class GammaGamma:
    """Fitted Gamma-Gamma parameters."""

    p: float
    q: float
    v: float
    log_likelihood: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}


@frozen
class _GgData:
    x: Floats
    log_m: Floats
    log_x: Floats
    xm: Floats
    xs: _Levels


def _gg_objective(log_params: Floats, data: _GgData) -> tuple[float, Floats]:
    params = np.exp(log_params)
    p, q, v = params
    px = p * data.x
    log_xm_v = np.log(data.xm + v)
    lg = data.xs.map(lambda x: gammaln(p * x + q) - gammaln(p * x))
    psi = data.xs.map(lambda x: digamma(p * x + q))
    psi_px = data.xs.map(lambda x: digamma(p * x))
    ll = lg - math.lgamma(q) + q * math.log(v) + (px - 1.0) * data.log_m + px * data.log_x
    ll -= (px + q) * log_xm_v
    d_p = data.x * (psi - psi_px + data.log_m + data.log_x - log_xm_v)
    d_q = psi - digamma(q) + math.log(v) - log_xm_v
    d_v = q / v - (px + q) / (data.xm + v)
    n = float(data.x.size)
    value = -float(ll.sum()) / n
    grad = -np.array([d_p.sum(), d_q.sum(), d_v.sum()]) / n
    return value, grad * params


def fit_gamma_gamma(frequency: Floats, monetary: Floats) -> GammaGamma:
    """The maximum-likelihood Gamma-Gamma parameters, from the customers with a repeat
    purchase (others say nothing about spend in this model) of positive mean value: the
    model's purchase values are Gamma-distributed, so a mean of 0 (free samples, full
    discounts) has no likelihood and is left out of the fit, as the reference implementations
    require; :func:`expected_spend` still values such a customer (below the population mean)."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    repeat = (x > 0) & (m > 0)
    x, m = x[repeat], m[repeat]
    if x.size < 2:
        raise ModelError(
            "spend needs at least two customers with a repeat purchase of positive value to fit"
        )
    start = np.array([1.0, 1.0, float(m.mean())])
    data = _GgData(x, np.log(m), np.log(x), x * m, _Levels.of(x))
    params = _minimise(_gg_objective, start, data, "Gamma-Gamma")
    ll = -_gg_objective(np.log(params), data)[0] * float(x.size)
    p, q, v = map(float, params)
    return GammaGamma(p, q, v, log_likelihood=ll)


def expected_spend(model: GammaGamma, frequency: Floats, monetary: Floats) -> Floats:
    """E[value of a purchase | history]: the population mean for customers without a repeat."""
    p, q, v = model.p, model.q, model.v
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary, dtype=np.float64)
    if q <= 1.0:
        raise ModelError(f"the fitted q = {q:.4g} is not above 1: mean spend diverges")
    return np.asarray((p * (v + x * m)) / (p * x + q - 1.0), dtype=np.float64)


def lifetime_value(
    bg: BetaGeo,
    gg: GammaGamma,
    frequency: Floats,
    recency: Floats,
    T: Floats,
    monetary: Floats,
    *,
    horizon_days: int = 365,
    discount_rate: float = 0.10,
    step_days: int = 30,
) -> Floats:
    """Discounted value over ``horizon_days``: the horizon in steps of ``step_days`` (the
    last one shorter), each step's expected purchases times the expected spend, discounted
    at the annual ``discount_rate`` to the end of the step:

    ``CLV = sum_k E[spend] * (E[Y(t_k)] - E[Y(t_(k-1))]) / (1 + d) ** (t_k / 365)``.
    """
    spend = expected_spend(gg, frequency, monetary)
    total = np.zeros_like(spend)
    before = np.zeros_like(spend)
    day = 0
    while day < horizon_days:
        day = min(day + step_days, horizon_days)
        upto = expected_purchases(bg, float(day), frequency, recency, T)
        total += (upto - before) / (1.0 + discount_rate) ** (day / 365.0)
        before = upto
    return np.asarray(total * spend, dtype=np.float64)


# --- Predictions


@frozen
class Predictions:
    """Fitted models and each customer's predictions (aligned with ``summary``)."""

    summary: Summary
    bg: BetaGeo
    gg: GammaGamma
    expected_purchases: Floats
    p_alive: Floats
    expected_spend: Floats
    clv: Floats
    period_days: float


def fit_and_predict(
    summary: Summary,
    *,
    period_days: float,
    horizon_days: int = 365,
    discount_rate: float = 0.10,
) -> Predictions:
    """Fit both models on ``summary``; predict purchases over ``period_days`` and the value
    over ``horizon_days``."""
    bg = fit_bg_nbd(summary.frequency, summary.recency, summary.T)
    gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    args = (summary.frequency, summary.recency, summary.T)
    found = Predictions(
        summary=summary,
        bg=bg,
        gg=gg,
        expected_purchases=expected_purchases(bg, period_days, *args),
        p_alive=p_alive(bg, *args),
        expected_spend=expected_spend(gg, summary.frequency, summary.monetary),
        clv=lifetime_value(
            bg,
            gg,
            *args,
            summary.monetary,
            horizon_days=horizon_days,
            discount_rate=discount_rate,
        ),
        period_days=period_days,
    )
    for name in ("expected_purchases", "p_alive", "expected_spend", "clv"):
        values = getattr(found, name)
        if not np.all(np.isfinite(values)):
            raise ModelError(
                f"the fitted models give no finite {name} for {int(np.sum(~np.isfinite(values)))}"
                " customer(s): the fit is degenerate; it needs more customers and more of them "
                "buying again"
            )
    return found


# --- Synthetic data (tests and the benchmark)


def simulate(
    rng: np.random.Generator,
    customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    v: float,
    observe_days: float,
    start_days: float = 0.0,
) -> tuple[Ints, Floats, Floats]:
    """Purchases of ``customers`` drawn from BG/NBD (r, alpha, a, b) and Gamma-Gamma
    (p, q, v): customers' first purchases fall uniformly in the first half of
    ``observe_days`` from ``start_days``; returns (customer, t, amount) sorted by customer
    and time, customer ids from 1, ``t`` in days.

    Without drawing every potential purchase: the repeats a customer makes before the end
    are min(K, N) with K ~ Geometric(p) (leaving after the K-th repeat) and N ~ Poisson(lambda
    * T) arrivals in their time; the first c of N uniform arrival times are the partial
    sums of exponentials scaled by the sum of all N + 1 (the rest drawn as one gamma)."""
    lam = rng.gamma(r, 1.0 / alpha, customers)
    leave = rng.beta(a, b, customers)
    first = start_days + rng.uniform(0.0, observe_days / 2.0, customers)
    age = start_days + observe_days - first
    arrivals = rng.poisson(lam * age)
    # BG/NBD: a customer may leave after each repeat purchase (not after the first one).
    before_leaving = rng.geometric(leave)
    repeats = np.minimum(arrivals, before_leaving)
    total = int(repeats.sum())
    owner = np.repeat(np.arange(customers, dtype=np.int64), repeats)
    gaps = rng.standard_exponential(total)
    sums = np.cumsum(gaps)
    starts = np.cumsum(repeats) - repeats
    # per-customer partial sums: subtract the running total before the customer's block
    offset = np.repeat(np.concatenate(([0.0], sums))[starts], repeats)
    partial = sums - offset
    block_total = np.zeros(customers)
    has = repeats > 0
    ends = starts + repeats - 1
    block_total[has] = partial[ends[has]]
    rest = rng.standard_gamma(arrivals - repeats + 1.0)
    scale = age / (block_total + rest)
    # Each customer's block: the first purchase, then the repeats (already in time order).
    block_start = np.cumsum(repeats + 1) - (repeats + 1)
    times = np.empty(customers + total)
    times[block_start] = first
    rank = np.arange(total, dtype=np.int64) - np.repeat(starts, repeats)
    times[np.repeat(block_start, repeats) + 1 + rank] = first[owner] + partial * scale[owner]
    ids = np.repeat(np.arange(customers, dtype=np.int64), repeats + 1)
    nu = rng.gamma(q, 1.0 / v, customers)
    amounts = rng.gamma(p, 1.0, ids.size) / nu[ids]
    return ids + 1, times, amounts
