"""Entering a triggered campaign's due occurrences as members, and what a run would enter.

A triggered campaign is a ``campaigns_campaign`` row of kind ``triggered`` with a ``trigger``
``{"name": ..., "parameters": {...}}``; it is active while its status is ``sending``, and the
campaigns part's send job sends its ``targeted`` members. Each run enters, in one INSERT …
SELECT (the campaigns part's :func:`~crmkit_campaigns.campaigns.targeting.assign`), the
occurrences due in the last ``catch_up_days`` days, as the campaign's owner: only parties
the owner sees, only those consenting on a channel of the campaign, each (campaign, party,
occurrence) once however often it runs.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import Connection, Select, exists, func, insert, select

from crmkit import (
    Actor,
    ConflictError,
    Crm,
    NotFound,
    Transaction,
    ValidationError,
    party_table,
    seen_parties,
    sees_every_party,
    user_table,
)
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.targeting import assign
from crmkit_campaigns.triggers.registry import available_triggers
from crmkit_campaigns.triggers.tables import trigger_run

log = logging.getLogger(__name__)


@frozen
class TriggerRun:
    """One run of a triggered campaign: the day evaluated, how many members it entered, or why none."""

    id: int
    campaign_id: int
    ran_at: datetime
    due_on: date
    entered: int
    error: str | None


@frozen
class DueOccurrence:
    """An occurrence due and not entered yet: who, which occurrence, since when."""

    party_id: int
    display_name: str
    occurrence: str
    due_on: date


@frozen
class TriggerPreview:
    """What a run would consider today, over the parties the reader sees (consent is checked
    only when entering)."""

    campaign_id: int
    trigger: dict[str, Any]
    on: date
    due: int
    """Occurrences due in the catch-up window."""
    already_entered: int
    """Of those, how many are members already."""
    sample: list[DueOccurrence]
    """Some of the others, the earliest due first."""


def _triggered(conn: Connection, campaign_id: int) -> Any:
    row = conn.execute(
        select(campaign).where(campaign.c.id == campaign_id, campaign.c.kind == "triggered")
    ).first()
    if row is None:
        raise NotFound(f"triggered campaign {campaign_id} does not exist")
    return row


def today_of(row: Any, now: datetime) -> date:
    """The day it is in the campaign's time zone."""
    return now.astimezone(ZoneInfo(row.time_zone)).date()


def due_query(app: Crm, trigger: dict[str, Any], on: date, catch_up_days: int) -> Select[Any]:
    """The trigger's occurrences due on ``on`` or in the ``catch_up_days`` - 1 days before:
    ``party_id``, ``occurrence``, ``due_on``."""
    offered = available_triggers(app)
    name = trigger.get("name")
    if not isinstance(name, str) or name not in offered:
        raise ValidationError("trigger.name", f"trigger {name!r} is not offered (any more)")
    occurrences = offered[name].occurrences(trigger.get("parameters") or {}, on).subquery("occ")
    return select(occurrences.c.party_id, occurrences.c.occurrence, occurrences.c.due_on).where(
        occurrences.c.due_on > on - timedelta(days=catch_up_days), occurrences.c.due_on <= on
    )


def owner_actor(conn: Connection, row: Any) -> Actor:
    """The campaign's owner (or, without one, its creator) as an actor; ValidationError when
    neither is an active user: nobody's record rules would say whom it may enter."""
    user_id = row.owner_id or row.created_by
    user = conn.execute(
        select(user_table).where(user_table.c.id == user_id, user_table.c.active.is_(True))
    ).first()
    if user is None:
        raise ValidationError("owner_id", "the campaign has no active owner to act as")
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        team=user.team,
        territories=tuple(user.territories),
    )


def enter_due(tx: Transaction, campaign_id: int, on: date) -> int:
    """Enter the campaign's occurrences due on ``on`` (and in the catch-up window) as members,
    as ``tx.actor``; how many were entered."""
    row = _triggered(tx.conn, campaign_id)
    settings = tx.app.settings_of["campaigns"].triggers
    due = due_query(tx.app, row.trigger or {}, on, settings.catch_up_days).subquery("due")
    entered = assign(tx, campaign_id, select(due.c.party_id, due.c.occurrence).distinct())
    if entered:
        tx.emit(
            "campaigns.trigger_entered",
            "campaigns.campaign",
            campaign_id,
            {"campaign_id": campaign_id, "entered": entered, "due_on": on.isoformat()},
        )
    return entered


def _record(
    tx: Transaction, campaign_id: int, now: datetime, on: date, entered: int, error: str | None
) -> TriggerRun:
    run_id = tx.conn.execute(
        insert(trigger_run)
        .values(campaign_id=campaign_id, ran_at=now, due_on=on, entered=entered, error=error)
        .returning(trigger_run.c.id)
    ).scalar_one()
    return TriggerRun(run_id, campaign_id, now, on, entered, error)


def run_campaign(app: Crm, campaign_id: int, now: datetime) -> TriggerRun:
    """Run one active triggered campaign now, as its owner, and record the run; a run that
    fails is recorded with its reason and enters nobody."""
    with app.read() as conn:
        row = _triggered(conn, campaign_id)
        if row.status != "sending":
            raise ConflictError(f"campaign {campaign_id} is {row.status}, not active (sending)")
        on = today_of(row, now)
    try:
        with app.read() as conn:
            actor = owner_actor(conn, row)
        with app.transaction(actor) as tx:
            return _record(tx, campaign_id, now, on, enter_due(tx, campaign_id, on), None)
    except Exception as exc:  # a campaign that fails never stops the others
        log.warning("triggered campaign %s failed: %s", campaign_id, exc, exc_info=True)
        failure = str(exc) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
    with app.transaction() as tx:
        return _record(tx, campaign_id, now, on, 0, failure)


def run_all(app: Crm, now: datetime) -> list[TriggerRun]:
    """Run every active triggered campaign: the daily job ``campaigns.triggers``."""
    with app.read() as conn:
        active = (
            conn.execute(
                select(campaign.c.id)
                .where(campaign.c.kind == "triggered", campaign.c.status == "sending")
                .order_by(campaign.c.id)
            )
            .scalars()
            .all()
        )
    return [run_campaign(app, campaign_id, now) for campaign_id in active]


@frozen
class TriggeredCampaign:
    """A triggered campaign in a list, with its latest run (None before the first)."""

    id: int
    name: str
    status: str
    trigger: dict[str, Any]
    last_run: TriggerRun | None


def list_triggered(conn: Connection) -> list[TriggeredCampaign]:
    """Every triggered campaign, newest first, with its latest run."""
    latest = (
        select(func.max(trigger_run.c.id).label("id"))
        .group_by(trigger_run.c.campaign_id)
        .subquery("latest")
    )
    runs = {
        r.campaign_id: TriggerRun(r.id, r.campaign_id, r.ran_at, r.due_on, r.entered, r.error)
        for r in conn.execute(select(trigger_run).where(trigger_run.c.id.in_(select(latest.c.id))))
    }
    rows = conn.execute(
        select(campaign.c.id, campaign.c.name, campaign.c.status, campaign.c.trigger)
        .where(campaign.c.kind == "triggered")
        .order_by(campaign.c.id.desc())
    )
    return [
        TriggeredCampaign(r.id, r.name, r.status, r.trigger or {}, runs.get(r.id)) for r in rows
    ]


def runs_of(conn: Connection, campaign_id: int, limit: int = 50) -> list[TriggerRun]:
    """The campaign's latest runs, newest first."""
    _triggered(conn, campaign_id)
    rows = conn.execute(
        select(trigger_run)
        .where(trigger_run.c.campaign_id == campaign_id)
        .order_by(trigger_run.c.id.desc())
        .limit(limit)
    )
    return [TriggerRun(r.id, r.campaign_id, r.ran_at, r.due_on, r.entered, r.error) for r in rows]


def preview(
    app: Crm, conn: Connection, actor: Actor, campaign_id: int, now: datetime
) -> TriggerPreview:
    """The occurrences a run would consider today, among the parties ``actor`` sees."""
    row = _triggered(conn, campaign_id)
    settings = app.settings_of["campaigns"].triggers
    on = today_of(row, now)
    due = due_query(app, row.trigger or {}, on, settings.catch_up_days).subquery("due")
    entered = exists().where(
        member.c.campaign_id == campaign_id,
        member.c.party_id == due.c.party_id,
        member.c.occurrence == due.c.occurrence,
    )
    seen = [] if sees_every_party(app.host, actor) else [seen_parties(app.host, actor)]
    joined = due.join(party_table, party_table.c.id == due.c.party_id)
    counts = conn.execute(
        select(func.count(), func.count().filter(entered)).select_from(joined).where(*seen)
    ).one()
    sample = conn.execute(
        select(due.c.party_id, party_table.c.display_name, due.c.occurrence, due.c.due_on)
        .select_from(joined)
        .where(*seen, ~entered)
        .order_by(due.c.due_on, due.c.party_id, due.c.occurrence)
        .limit(settings.preview_sample)
    )
    return TriggerPreview(
        campaign_id=campaign_id,
        trigger=row.trigger or {},
        on=on,
        due=counts[0],
        already_entered=counts[1],
        sample=[DueOccurrence(r.party_id, r.display_name, r.occurrence, r.due_on) for r in sample],
    )
