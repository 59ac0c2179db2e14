"""Reminders and alerts: each condition is raised once, as a notification to whoever must act.

A condition is its kind, its subject and the moment it began: an activity
rescheduled and overdue again, an opportunity stuck in its next stage or given a
new close date that passes too, each raise a new alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, and_, delete, exists, func, insert, or_, select

from crmkit import Crm, Transaction, notify, utcnow, withdraw_notifications
from crmkit_sfa.pipeline.pipelines import all_pipelines
from crmkit_sfa.pipeline.settings import Pipeline
from crmkit_sfa.pipeline.tables import activity, opportunity
from crmkit_sfa.planning.tables import alert

TITLE_LIMIT = 300
"""The longest title a notification takes."""
LOOKUP_CHUNK = 500
"""Conditions checked against the raised ones per query (bound parameter limits)."""


@frozen
class Alert:
    """A condition someone must act on: the notification's text and the recommended next action."""

    kind: str
    subject_id: int
    since: datetime
    """When the condition began: the due time, the stage entry, the close date, the period start."""
    user_id: int
    title: str
    next_action: str
    link: str | None = None
    details: str | None = None

    @property
    def headline(self) -> str:
        """The title, shortened to what a notification holds (a deal's title may be long)."""
        return self.title if len(self.title) <= TITLE_LIMIT else self.title[: TITLE_LIMIT - 1] + "…"

    @property
    def body(self) -> str:
        lines = [self.details] if self.details else []
        return "\n\n".join([*lines, f"Next action: {self.next_action}"])


Key = tuple[int, datetime, int]


def _raised(conn: Connection, kind: str, items: Sequence[Alert]) -> set[Key]:
    """The (subject, since, user) of ``items`` already raised as ``kind``."""
    subjects = sorted({a.subject_id for a in items})
    found: set[Key] = set()
    for start in range(0, len(subjects), LOOKUP_CHUNK):
        rows = conn.execute(
            select(alert.c.subject_id, alert.c.since, alert.c.user_id).where(
                alert.c.kind == kind,
                alert.c.subject_id.in_(subjects[start : start + LOOKUP_CHUNK]),
            )
        )
        found.update((row.subject_id, row.since, row.user_id) for row in rows)
    return found


def not_raised(kind: str, subject_id: Any, since: Any, user_id: Any) -> ColumnElement[bool]:
    """For a query of candidates: no alert of ``kind`` was raised for this subject, since and user.

    Keeps a long-standing backlog (old overdue activities) out of every run.
    """
    return ~exists().where(
        alert.c.kind == kind,
        alert.c.subject_id == subject_id,
        alert.c.since == since,
        alert.c.user_id == user_id,
    )


def raise_alerts(tx: Transaction, alerts: Iterable[Alert]) -> int:
    """Notify each alert's user unless that condition was raised for them before; return how many."""
    by_kind: dict[str, list[Alert]] = {}
    for item in alerts:
        by_kind.setdefault(item.kind, []).append(item)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for kind, items in by_kind.items():
        known = _raised(tx.conn, kind, items)
        for item in items:
            key = (item.subject_id, item.since, item.user_id)
            if key in known:
                continue
            known.add(key)
            notification_id = notify(
                tx,
                item.user_id,
                item.headline,
                body=item.body,
                link=item.link,
                kind="warning",
                source="sfa",
            )
            rows.append(
                {
                    "kind": kind,
                    "subject_id": item.subject_id,
                    "since": item.since,
                    "user_id": item.user_id,
                    "notification_id": notification_id,
                    "raised_at": now,
                }
            )
    if rows:
        tx.conn.execute(insert(alert), rows)
    return len(rows)


def overdue_activities(conn: Connection, now: datetime) -> list[Alert]:
    """Planned activities past their due time, to their owners."""
    rows = conn.execute(
        select(
            activity.c.id,
            activity.c.opportunity_id,
            activity.c.kind,
            activity.c.subject,
            activity.c.due_at,
            activity.c.owner_id,
        ).where(
            activity.c.status == "planned",
            activity.c.due_at < now,
            activity.c.owner_id.is_not(None),
            not_raised("overdue_activity", activity.c.id, activity.c.due_at, activity.c.owner_id),
        )
    )
    return [
        Alert(
            kind="overdue_activity",
            subject_id=row.id,
            since=row.due_at,
            user_id=row.owner_id,
            title=f"Overdue {row.kind}: {row.subject}",
            next_action=(
                f'do the {row.kind} "{row.subject}" (due {row.due_at:%Y-%m-%d %H:%M} UTC), '
                "or reschedule it"
            ),
            link=opportunity_link(row.opportunity_id) if row.opportunity_id else None,
        )
        for row in rows
    ]


def opportunity_link(opportunity_id: int) -> str:
    return f"/p/sfa/opportunities/{opportunity_id}/page"


def _first_planned(conn: Connection, opportunity_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The first planned activity (kind, subject) of each opportunity that has one."""
    first_due = (
        select(activity.c.opportunity_id, func.min(activity.c.id).label("id"))
        .where(activity.c.opportunity_id.in_(opportunity_ids), activity.c.status == "planned")
        .group_by(activity.c.opportunity_id)
        .subquery()
    )
    rows = conn.execute(
        select(activity.c.opportunity_id, activity.c.kind, activity.c.subject).join(
            first_due, first_due.c.id == activity.c.id
        )
    )
    return {row.opportunity_id: (row.kind, row.subject) for row in rows}


def stuck_opportunities(app: Crm, conn: Connection, now: datetime) -> list[Alert]:
    """Open opportunities that stayed in their stage longer than the stage's norm, to their owners."""
    alerts = []
    for pipeline in all_pipelines(app, conn):
        for position, stage in enumerate(pipeline.stages):
            if stage.norm_days is not None:
                alerts += _stuck_in(conn, pipeline, position, now)
    return alerts


def _stuck_in(conn: Connection, pipeline: Pipeline, position: int, now: datetime) -> list[Alert]:
    stage = pipeline.stages[position]
    norm_days = stage.norm_days or 0
    later = pipeline.stages[position + 1 :]
    move_on = f"move it on to {later[0].label}" if later else "close it as won"
    rows = conn.execute(
        select(
            opportunity.c.id,
            opportunity.c.title,
            opportunity.c.owner_id,
            opportunity.c.stage_entered_at,
        ).where(
            opportunity.c.pipeline == pipeline.key,
            opportunity.c.status == "open",
            opportunity.c.stage == stage.key,
            opportunity.c.stage_entered_at < now - timedelta(days=norm_days),
            opportunity.c.owner_id.is_not(None),
            not_raised(
                "stuck_in_stage",
                opportunity.c.id,
                opportunity.c.stage_entered_at,
                opportunity.c.owner_id,
            ),
        )
    ).all()
    planned = _first_planned(conn, [row.id for row in rows])
    alerts = []
    for row in rows:
        step = planned.get(row.id)
        action = (
            f'do the planned {step[0]} "{step[1]}", then {move_on}'
            if step
            else f"plan the next step to {move_on}, or close it as lost"
        )
        alerts.append(
            Alert(
                kind="stuck_in_stage",
                subject_id=row.id,
                since=row.stage_entered_at,
                user_id=row.owner_id,
                title=(
                    f"{row.title} has been in {stage.label} for "
                    f"{(now - row.stage_entered_at).days} days (norm {norm_days})"
                ),
                next_action=action,
                link=opportunity_link(row.id),
            )
        )
    return alerts


def past_close_dates(conn: Connection, now: datetime) -> list[Alert]:
    """Open opportunities whose expected close date has passed, to their owners."""
    rows = conn.execute(
        select(
            opportunity.c.id,
            opportunity.c.title,
            opportunity.c.owner_id,
            opportunity.c.expected_close,
        ).where(
            opportunity.c.status == "open",
            opportunity.c.expected_close < now.date(),
            opportunity.c.owner_id.is_not(None),
        )
    )
    return [
        Alert(
            kind="close_date_passed",
            subject_id=row.id,
            since=datetime.combine(row.expected_close, time(), UTC),
            user_id=row.owner_id,
            title=f"{row.title} was expected to close on {row.expected_close.isoformat()}",
            next_action="agree a new close date with the customer, or close it as won or lost",
            link=opportunity_link(row.id),
        )
        for row in rows
    ]


def raise_reminders(app: Crm) -> int:
    """The scheduled job: alert about overdue activities, stuck deals and passed close dates."""
    now = utcnow()
    with app.transaction() as tx:
        found = [
            *overdue_activities(tx.conn, now),
            *stuck_opportunities(app, tx.conn, now),
            *past_close_dates(tx.conn, now),
        ]
        return raise_alerts(tx, found)


ABOUT_ACTIVITIES = ("overdue_activity",)
ABOUT_OPPORTUNITIES = ("stuck_in_stage", "close_date_passed")


def withdraw_alerts_about(tx: Transaction, party_id: int) -> None:
    """For an erasure: the alerts about the party's activities and deals, and their notifications.

    Their titles name the activity or the deal, and so often the person. Run it
    before the activities and opportunities are deleted.
    """
    activities = select(activity.c.id).where(activity.c.party_id == party_id)
    deals = select(opportunity.c.id).where(opportunity.c.party_id == party_id)
    about = or_(
        and_(alert.c.kind.in_(ABOUT_ACTIVITIES), alert.c.subject_id.in_(activities)),
        and_(alert.c.kind.in_(ABOUT_OPPORTUNITIES), alert.c.subject_id.in_(deals)),
    )
    sent = tx.conn.execute(select(alert.c.notification_id).where(about)).scalars()
    withdraw_notifications(tx, [n for n in sent if n is not None])
    tx.conn.execute(delete(alert).where(about))
