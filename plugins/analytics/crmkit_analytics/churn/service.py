"""Churn risk in the CRM: the history read in bulk (purchases through the transactions part,
interactions from the kernel, signals from the sources), the model fitted and stored, every
customer scored with their reasons, and the work list an account owner reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from attrs import frozen
from sqlalchemy import Connection, and_, delete, func, insert, select

from crmkit import Crm, Transaction, interaction_table, party_table, seen_parties, utcnow
from crmkit_analytics.churn import model as churn_model
from crmkit_analytics.churn.settings import ChurnSettings
from crmkit_analytics.churn.tables import model as model_table
from crmkit_analytics.churn.tables import risk
from crmkit_analytics.rollups.reading import sources
from crmkit_analytics.transactions.reading import days_since_epoch, purchase_arrays
from crmkit_analytics.transactions.tables import purchase

BATCH = 5000
DETRACTOR = "detractor"


class ChurnError(ValueError):
    """A moment the churn model cannot be run at: the message says why."""


def first_purchase(conn: Connection) -> datetime | None:
    """When the earliest stored purchase was made (None: no purchase at all)."""
    found: datetime | None = conn.execute(select(func.min(purchase.c.occurred_at))).scalar()
    return found


def check_moment(conn: Connection, now: datetime) -> None:
    """Refuse a moment after today or before the first purchase (ChurnError saying which)."""
    if now.date() > utcnow().date():
        raise ChurnError(
            f"{now.date().isoformat()} is in the future: the churn model scores customers on "
            "what they have done, so the day must be today or earlier"
        )
    first = first_purchase(conn)
    if first is None:
        raise ChurnError("there is no purchase to learn from or score yet")
    if now.date() < first.date():
        raise ChurnError(
            f"{now.date().isoformat()} is before the first purchase "
            f"({first.date().isoformat()}): nobody could be scored"
        )


def _signals(app: Crm, conn: Connection, since: datetime) -> tuple[Any, ...]:
    party, t, detractor, weight = [], [], [], []
    for source in sources(app):
        if source.signals is None:
            continue
        for signal in source.signals(conn, since):
            party.append(signal.party_id)
            t.append(days_since_epoch(signal.occurred_at))
            detractor.append(signal.kind == DETRACTOR)
            weight.append(max(0.0, min(1.0, float(signal.weight))))
    p, tt = np.array(party, np.int64), np.array(t, np.float64)
    order = np.lexsort((tt, p))
    return p[order], tt[order], np.array(detractor, bool)[order], np.array(weight)[order]


def history(
    app: Crm, conn: Connection, cutoffs: list[datetime], signals_since: datetime
) -> churn_model.History:
    """Everything the model reads for snapshots at ``cutoffs`` (the last one latest): the
    purchases up to it, each party's last interaction before each cutoff (one aggregate per
    cutoff, not every interaction), the signals since ``signals_since``."""
    until = cutoffs[-1]
    lines = purchase_arrays(conn, until=until + timedelta(microseconds=1))
    contacts: list[Any] = []
    for cutoff in cutoffs:
        contacts += conn.execute(
            select(interaction_table.c.party_id, func.max(interaction_table.c.occurred_at))
            .where(interaction_table.c.occurred_at <= cutoff)
            .group_by(interaction_table.c.party_id)
        ).all()
    contacts.sort(key=lambda row: (row[0], row[1]))
    return churn_model.History.of_lines(
        lines.party_id,
        lines.t,
        lines.amount,
        contacts=(
            np.fromiter((row[0] for row in contacts), np.int64, len(contacts)),
            np.fromiter((days_since_epoch(row[1]) for row in contacts), np.float64, len(contacts)),
        ),
        signals=_signals(app, conn, signals_since),
    )


def _options(settings: ChurnSettings) -> dict[str, Any]:
    return {
        "window": float(settings.window_days),
        "usual_gap": float(settings.usual_gap_days),
        "signal_days": float(settings.signal_days),
        "active_days": float(settings.active_days),
    }


def evaluate(app: Crm, now: datetime | None = None) -> churn_model.Evaluation:
    """The model against the recency rule on the last window (see :func:`model.evaluate`)."""
    settings: ChurnSettings = app.settings_of["analytics"].churn
    now = now or utcnow()
    with app.read() as conn:
        since = now - timedelta(days=2 * settings.window_days + settings.signal_days)
        window = timedelta(days=settings.window_days)
        found = history(app, conn, [now - 2 * window, now - window, now], since)
    return churn_model.evaluate(
        found, days_since_epoch(now), min_training=settings.min_training, **_options(settings)
    )


def reasons(
    snap: churn_model.Snapshot, contributions: Any, i: int, settings: ChurnSettings
) -> list[dict[str, Any]]:
    """What speaks for the customer's defection, strongest first."""
    found: list[tuple[float, str, str]] = []
    weight = dict(zip(churn_model.FEATURES, contributions[i].tolist(), strict=True))
    ratio = float(snap.silence_ratio[i])
    if ratio > 1.0:
        found.append(
            (
                weight["silence"],
                "silence",
                f"No purchase for {snap.silence_days[i]:.0f} days, {ratio:.1f} times their usual gap "
                f"of {snap.usual_gap[i]:.0f} days",
            )
        )
    if snap.spend_change[i] < -0.1:
        found.append(
            (
                weight["spend"],
                "spend",
                f"Spend down: {snap.recent_spend[i]:,.2f} in the last {settings.window_days} days "
                f"against {snap.prior_spend[i]:,.2f} before",
            )
        )
    if snap.complaints[i] > 0:
        found.append((weight["complaints"], "complaints", "Open complaint(s) or other warnings"))
    if snap.detractors[i] > 0:
        found.append((weight["detractors"], "detractors", "Answered as a detractor"))
    contact = float(snap.days_since_contact[i])
    if np.isnan(contact):
        found.append((weight["no_contact"], "no_contact", "Never contacted"))
    elif contact > settings.quiet_contact_days:
        found.append((weight["no_contact"], "no_contact", f"No contact for {contact:.0f} days"))
    found.sort(key=lambda r: -r[0])
    return [{"kind": kind, "text": text, "weight": round(w, 3)} for w, kind, text in found]


def refresh(app: Crm, now: datetime | None = None) -> dict[str, Any]:
    """Fit the model on the last window, score every customer now, replace the stored scores
    (one transaction: a crash keeps the old ones). What was done, as a dict."""
    with app.transaction() as tx:
        return rescore(app, tx, now)


def rescore(app: Crm, tx: Transaction, now: datetime | None = None) -> dict[str, Any]:
    """:func:`refresh` in the caller's transaction. A run that finds nobody to score keeps the
    stored scores (``replaced`` False, ``kept`` how many). The model is also checked against
    the recency rule one window back (:func:`model.evaluate`): ``model_auc``,
    ``recency_auc`` and ``beats_recency`` (None: not measurable) are stored with the model and
    returned."""
    settings: ChurnSettings = app.settings_of["analytics"].churn
    now = now or utcnow()
    at = days_since_epoch(now)
    options = _options(settings)
    window = timedelta(days=settings.window_days)
    since = now - 2 * window - timedelta(days=settings.signal_days)
    found = history(app, tx.conn, [now - 2 * window, now - window, now], since)
    train = churn_model.snapshot(found, at - settings.window_days, **options)
    fitted = churn_model.fit(
        train.matrix(),
        churn_model.labels(found, train, settings.window_days),
        min_training=settings.min_training,
    )
    check = churn_model.evaluate(found, at, min_training=settings.min_training, **options)
    quality = {
        "model_auc": check.model_auc,
        "recency_auc": check.recency_auc,
        "beats_recency": beats(check),
        "evaluated_on": check.tested_on,
    }
    snap = churn_model.snapshot(found, at, **options)
    if len(snap.party) == 0:
        return {
            "scored": 0,
            "replaced": False,
            "kept": count_scored(tx.conn),
            "trained_on": len(train.party),
            **quality,
            **fitted.parameters(),
        }
    x = snap.matrix()
    scores = fitted.predict(x)
    contributions = fitted.contributions(x)
    model_id = tx.conn.execute(
        insert(model_table)
        .values(
            fitted_at=utcnow(),
            as_of=now,
            window_days=settings.window_days,
            trained_on=len(train.party),
            parameters={**fitted.parameters(), **quality},
        )
        .returning(model_table.c.id)
    ).scalar_one()
    rows = [
        {
            "party_id": int(snap.party[i]),
            "score": float(scores[i]),
            "reasons": reasons(snap, contributions, i, settings),
            "silence_days": float(snap.silence_days[i]),
            "silence_ratio": float(snap.silence_ratio[i]),
            "spend_change": float(snap.spend_change[i]),
            "complaints": float(snap.complaints[i]),
            "detractors": float(snap.detractors[i]),
            "days_since_contact": None
            if np.isnan(snap.days_since_contact[i])
            else float(snap.days_since_contact[i]),
            "model_id": model_id,
            "computed_at": now,
        }
        for i in range(len(snap.party))
    ]
    tx.conn.execute(delete(risk))
    for start in range(0, len(rows), BATCH):
        tx.conn.execute(insert(risk), rows[start : start + BATCH])
    tx.conn.execute(delete(model_table).where(model_table.c.id < model_id - 30))
    return {
        "scored": len(rows),
        "replaced": True,
        "model_id": model_id,
        "trained_on": len(train.party),
        **quality,
        **fitted.parameters(),
    }


def beats(found: churn_model.Evaluation) -> bool | None:
    """Whether the model ranked the held-out window better than the recency rule (None: one of
    the AUCs could not be measured, e.g. nobody or everybody defected)."""
    if found.model_auc is None or found.recency_auc is None:
        return None
    return found.model_auc > found.recency_auc


def refresh_job(app: Crm) -> str:
    done = refresh(app)
    if not done["replaced"]:
        return f"nobody to score: the {done['kept']} stored score(s) are kept"
    return f"{done['scored']} customer(s) scored"


@frozen
class AtRisk:
    """One line of the work list."""

    party_id: int
    display_name: str
    owner_id: int | None
    score: float
    reasons: list[dict[str, Any]]
    silence_days: float
    url: str


def work_list(
    tx: Transaction, *, limit: int = 50, owner_id: int | None = None, min_score: float = 0.0
) -> list[AtRisk]:
    """The customers the actor may work on, riskiest first: a sales rep their own customers
    only, a manager those the record rules let them see (their territory, their team's), an
    admin everyone. ``owner_id`` narrows to one owner's customers."""
    actor = tx.actor
    conditions = [seen_parties(tx.hooks, actor), risk.c.score >= min_score]
    if actor.role == "sales":
        conditions.append(party_table.c.owner_id == actor.user_id)
    if owner_id is not None:
        conditions.append(party_table.c.owner_id == owner_id)
    rows = tx.conn.execute(
        select(risk, party_table.c.display_name, party_table.c.owner_id)
        .join(party_table, party_table.c.id == risk.c.party_id)
        .where(and_(*conditions))
        .order_by(risk.c.score.desc(), risk.c.party_id)
        .limit(limit)
    ).all()
    return [
        AtRisk(
            party_id=row.party_id,
            display_name=row.display_name,
            owner_id=row.owner_id,
            score=round(row.score, 4),
            reasons=list(row.reasons),
            silence_days=round(row.silence_days, 1),
            url=f"/parties/{row.party_id}",
        )
        for row in rows
    ]


def latest_quality(conn: Connection) -> dict[str, Any] | None:
    """The stored scores' model check: ``model_auc``, ``recency_auc``, ``beats_recency`` (as
    :func:`rescore` stored them with the model), None before the first scoring."""
    found = conn.execute(
        select(model_table.c.parameters).order_by(model_table.c.id.desc()).limit(1)
    ).scalar()
    if found is None or "beats_recency" not in found:
        return None
    return {key: found.get(key) for key in ("model_auc", "recency_auc", "beats_recency")}


def count_scored(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(risk)).scalar_one())
