"""Generated customer histories with a known churn process, for the benchmark and the tests.

Each customer joins in the first year, buys with a rhythm of their own (mean gap from a few
days to months) until they defect (an exponential time after joining; many never do within
the history). Before defecting their spend falls, they are more likely to complain or answer
as detractors, and the contacts stop. The recency rule sees only the silence; the model can
also weigh it against the customer's rhythm and read the other signs.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen
from numpy.typing import NDArray

from crmkit_analytics.churn.model import History

CHUNK = 20_000


@frozen
class Generated:
    history: History
    lines_party: NDArray[np.int64]
    lines_t: NDArray[np.float64]
    lines_amount: NDArray[np.float64]
    churn_t: NDArray[np.float64]
    end: float


def generate(customers: int, *, days: float = 720.0, seed: int = 7, first_id: int = 1) -> Generated:
    """``customers`` histories over ``days`` days (times are days from 0)."""
    rng = np.random.default_rng(seed)
    parties, ts, amounts = [], [], []
    c_parties, c_ts, s_parties, s_ts, s_det = [], [], [], [], []
    churn_all = []
    for start in range(0, customers, CHUNK):
        n = min(CHUNK, customers - start)
        ids = np.arange(first_id + start, first_id + start + n, dtype=np.int64)
        join = rng.uniform(0, days / 2, n)
        gap = np.clip(rng.lognormal(np.log(30), 0.8, n), 4, 240)
        churn = join + rng.exponential(500, n)
        churn_all.append(churn)
        stop = np.minimum(churn, days)
        most = int(np.ceil(days / 4 / 0.5)) + 2  # enough gaps for the fastest buyer
        k = min(most, int(np.ceil((stop - join).max() / gap.min() * 2.5)) + 2)
        gaps = rng.gamma(2.0, gap[:, None] / 2.0, (n, k))
        times = join[:, None] + np.cumsum(gaps, axis=1)
        keep = times < stop[:, None]
        row = np.broadcast_to(np.arange(n)[:, None], (n, k))[keep]
        t = times[keep]
        fading = np.clip((churn[row] - t) / 150.0, 0.25, 1.0)
        parties.append(ids[row])
        ts.append(t)
        amounts.append(rng.lognormal(np.log(50), 0.5, len(t)) * fading)
        # Contacts every month or two until a month before defecting.
        cgaps = rng.uniform(20, 70, (n, int(days / 20) + 2))
        ctimes = join[:, None] + np.cumsum(cgaps, axis=1)
        ckeep = ctimes < np.minimum(churn - 30, days)[:, None]
        c_parties.append(ids[np.broadcast_to(np.arange(n)[:, None], ctimes.shape)[ckeep]])
        c_ts.append(ctimes[ckeep])
        # Complaints and detractor answers: likelier in the months before defecting.
        for detractor, p_near, p_any, lead in ((False, 0.45, 0.05, 60.0), (True, 0.35, 0.05, 90.0)):
            near = rng.random(n) < p_near
            at = np.where(near, churn - rng.uniform(0, lead, n), rng.uniform(join, days + 1))
            signalled = (rng.random(n) < p_any) | near
            signalled &= (at < days) & (at > join)
            s_parties.append(ids[signalled])
            s_ts.append(at[signalled])
            s_det.append(np.full(int(signalled.sum()), detractor))
    party = np.concatenate(parties)
    t = np.concatenate(ts)
    order = np.lexsort((t, party))
    party, t = party[order], t[order]
    amount = np.round(np.concatenate(amounts)[order], 2)
    cp, ct = np.concatenate(c_parties), np.concatenate(c_ts)
    corder = np.lexsort((ct, cp))
    sp, st, sd = np.concatenate(s_parties), np.concatenate(s_ts), np.concatenate(s_det)
    sorder = np.lexsort((st, sp))
    history = History.of_lines(
        party,
        t,
        amount,
        contacts=(cp[corder], ct[corder]),
        signals=(sp[sorder], st[sorder], sd[sorder], np.ones(len(sp))),
    )
    return Generated(history, party, t, amount, np.concatenate(churn_all), days)
