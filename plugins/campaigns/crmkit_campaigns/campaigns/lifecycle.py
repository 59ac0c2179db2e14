"""A campaign's actions: target, start, pause, resume and cancel, each refused from a wrong state.

Sending itself is the send job's (:mod:`.sending`); these only move the campaign (and,
on cancel, its members still waiting) from one status to the next.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from crmkit_channels import send
from sqlalchemy import func, select, update

from crmkit import ConfigurationError, ConflictError, Transaction, ValidationError, utcnow
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.campaigns.messages import message_for
from crmkit_campaigns.campaigns.model import ENTITY, Campaign
from crmkit_campaigns.campaigns.tables import campaign, member
from crmkit_campaigns.campaigns.targeting import assign
from crmkit_campaigns.segments.targets import target_query

STARTABLE = ("draft",)
PAUSABLE = ("scheduled", "sending")
CANCELLABLE = ("draft", "scheduled", "sending", "paused")
TARGETABLE = ("draft", "scheduled", "paused")


@frozen
class Targeting:
    """What targeting did: members entered now, and the campaign's members in all."""

    campaign_id: int
    entered: int
    members: int


def target(tx: Transaction, campaign_id: int, *, version: int | None = None) -> Targeting:
    """Enter the members of the campaign's segment or list that ``tx.actor`` sees and that
    consent on one of its channels; ValidationError (``target``) when it would have none."""
    found = _current(tx, campaign_id, version, allowed=TARGETABLE, action="target")
    if found.kind != "one_off":
        raise ValidationError("target", "a triggered campaign's members come from its trigger")
    if found.segment_id is None and found.list_id is None:
        raise ValidationError("target", "the campaign has no segment_id or list_id to target")
    query = target_query(tx, segment_id=found.segment_id, list_id=found.list_id)
    entered = assign(tx, campaign_id, query)
    members = _member_count(tx, campaign_id)
    if members == 0:
        raise ValidationError(
            "target",
            f"no member of the target consents to {found.purpose!r} on a channel "
            "of the campaign with an address or number to write to",
        )
    _move(tx, found, found.status, targeted_at=utcnow())
    tx.emit(
        "campaigns.campaign.targeted", ENTITY, campaign_id, {"id": campaign_id, "entered": entered}
    )
    return Targeting(campaign_id, entered, members)


def start(tx: Transaction, campaign_id: int, *, version: int | None = None) -> Campaign:
    """Start a draft: ``scheduled`` until ``starts_at``, ``sending`` from then on.

    A one-off campaign needs members (target it first); each of its messages is tried
    for one member first, sending nothing, so that a template that does not render is
    refused now (naming ``variants[i]``) rather than in the send job.
    """
    found = _current(tx, campaign_id, version, allowed=STARTABLE, action="start")
    if found.kind == "one_off":
        if _member_count(tx, campaign_id) == 0:
            raise ValidationError("target", "the campaign has no members: target it first")
        _try_messages(tx, found)
    now = utcnow()
    status = "scheduled" if found.starts_at is not None and found.starts_at > now else "sending"
    started = _move(tx, found, status)
    event = "started" if status == "sending" else "scheduled"
    tx.emit(f"campaigns.campaign.{event}", ENTITY, campaign_id, {"id": campaign_id})
    return started


def pause(tx: Transaction, campaign_id: int, *, version: int | None = None) -> Campaign:
    """Hold a scheduled or sending campaign: the send job takes no further batch of it."""
    found = _current(tx, campaign_id, version, allowed=PAUSABLE, action="pause")
    paused = _move(tx, found, "paused")
    tx.emit("campaigns.campaign.paused", ENTITY, campaign_id, {"id": campaign_id})
    return paused


def resume(tx: Transaction, campaign_id: int, *, version: int | None = None) -> Campaign:
    """Go on with a paused campaign where it stopped: the members already queued are not sent again."""
    found = _current(tx, campaign_id, version, allowed=("paused",), action="resume")
    waiting = found.starts_at is not None and found.starts_at > utcnow()
    resumed = _move(tx, found, "scheduled" if waiting else "sending")
    tx.emit("campaigns.campaign.resumed", ENTITY, campaign_id, {"id": campaign_id})
    return resumed


def cancel(tx: Transaction, campaign_id: int, *, version: int | None = None) -> Campaign:
    """Stop a campaign for good: its members not yet queued become ``cancelled``."""
    found = _current(tx, campaign_id, version, allowed=CANCELLABLE, action="cancel")
    tx.conn.execute(
        update(member)
        .where(member.c.campaign_id == campaign_id, member.c.status == "targeted")
        .values(status="cancelled", detail="the campaign was cancelled before the member's turn")
    )
    cancelled = _move(tx, found, "cancelled", completed_at=utcnow())
    tx.emit("campaigns.campaign.cancelled", ENTITY, campaign_id, {"id": campaign_id})
    return cancelled


def _current(
    tx: Transaction, campaign_id: int, version: int | None, *, allowed: tuple[str, ...], action: str
) -> Campaign:
    found = get_campaign(tx.conn, campaign_id)
    if version is not None and version != found.version:
        raise ConflictError(
            f"campaign {campaign_id} was changed meanwhile (version {found.version}, "
            f"not {version}): reload it"
        )
    if found.status not in allowed:
        raise ConflictError(f"campaign {campaign_id} is {found.status}: it cannot {action}")
    return found


def _move(tx: Transaction, found: Campaign, status: str, **values: Any) -> Campaign:
    """Store the new status if nobody changed the campaign meanwhile (ConflictError if so)."""
    moved = tx.conn.execute(
        update(campaign)
        .where(campaign.c.id == found.id, campaign.c.version == found.version)
        .values(status=status, updated_at=utcnow(), version=found.version + 1, **values)
    )
    if moved.rowcount != 1:
        raise ConflictError(f"campaign {found.id} was changed meanwhile: reload it")
    return get_campaign(tx.conn, found.id)


def _member_count(tx: Transaction, campaign_id: int) -> int:
    return int(
        tx.conn.execute(
            select(func.count()).select_from(member).where(member.c.campaign_id == campaign_id)
        ).scalar_one()
    )


def _try_messages(tx: Transaction, found: Campaign) -> None:
    """Render each variant's message for one member of its channel, then undo it all."""
    for index, chosen in enumerate(found.variants):
        party_id = tx.conn.execute(
            select(member.c.party_id)
            .where(member.c.campaign_id == found.id, member.c.channel == chosen.channel)
            .order_by(member.c.id)
            .limit(1)
        ).scalar_one_or_none()
        if party_id is None:
            continue
        events, after_commit = len(tx.events), len(tx.after_commit)
        savepoint = tx.conn.begin_nested()
        try:
            send(tx, message_for(tx.app, found, chosen, member_id=0, party_id=party_id))
        except ValidationError as exc:
            # The variant's own SMS text is stored as ``text`` (channels calls it ``body``).
            field = "template" if chosen.template else {"body": "text"}.get(exc.field, exc.field)
            raise ValidationError(f"variants[{index}].{field}", exc.reason) from None
        except ConfigurationError as exc:
            # Say so now, not in every run of the send job.
            raise ValidationError(
                f"variants[{index}].channel", f"the channels plugin cannot send it: {exc}"
            ) from None
        finally:
            savepoint.rollback()
            # What the trial asked for after commit was rolled back with it.
            del tx.events[events:], tx.after_commit[after_commit:]
