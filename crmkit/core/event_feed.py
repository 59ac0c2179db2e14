"""The event feed: committed outbox events in id order, for consumers that poll.

A consumer keeps the ``next_cursor`` of each page and asks for the events after
it. The feed, like webhook delivery, never passes an id that a transaction still
running may yet commit (:func:`settled_until`): on PostgreSQL ids are handed out
before commit, so a later id can become visible before an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from attrs import frozen
from sqlalchemy import ColumnElement, Connection, String, and_, cast, false, or_, select, true

from crmkit.core.entities import PARTY_CLASSES
from crmkit.core.errors import ValidationError
from crmkit.core.events import Event
from crmkit.core.pagination import check_limit, cursor_id, decode_cursor, encode_cursor
from crmkit.core.permissions import is_allowed, visible
from crmkit.core.tables import interaction, outbox, party, utcnow

if TYPE_CHECKING:
    from crmkit.core.actors import Actor
    from crmkit.hooks.host import PluginHost

PARTY_ENTITIES = ("prospect", "customer", "party")
"""The ``entity`` values of events about a prospect or customer; ``entity_id`` is the party's id."""
SEES_EVERY_EVENT = "core:webhook.admin"
"""Holders see every event; everyone else sees those about the parties and interactions they may see."""
SETTLE = timedelta(seconds=30)
"""How long the feed waits for a missing id before it passes it (a rolled-back transaction's)."""
SCAN = 5000
"""The most ids one page looks at for missing ones."""


@frozen
class FeedPage:
    """Events in id order and the cursor to ask for the next ones with (always given)."""

    items: Sequence[Event]
    next_cursor: str


def settled_until(conn: Connection, after: int) -> int:
    """The highest id up to which every event after ``after`` is committed or never will be.

    It stops before the first missing id unless the event after it is older than
    :data:`SETTLE`: an id taken by a transaction that had not committed when a later
    one was read. The feed cannot know transactions' ids on every database, so it
    waits a fixed time; delivery of webhooks waits for the transactions themselves
    (:mod:`crmkit.core.webhook_delivery`).
    """
    rows = conn.execute(
        select(outbox.c.id, outbox.c.created_at)
        .where(outbox.c.id > after)
        .order_by(outbox.c.id)
        .limit(SCAN)
    ).all()
    oldest_young = utcnow() - SETTLE
    last = after
    for row in rows:
        if row.id != last + 1 and row.created_at > oldest_young:
            break
        last = row.id
    return last


def _seen(host: PluginHost, actor: Actor) -> ColumnElement[bool]:
    """The events ``actor`` may see: a condition on ``core_outbox``."""
    if is_allowed(host, actor, SEES_EVERY_EVENT):
        return true()
    if not is_allowed(host, actor, "core:party.read"):
        return false()
    parties = select(party.c.id).where(
        or_(*(and_(party.c.role == r, visible(host, actor, r, party)) for r in PARTY_CLASSES))
    )
    about_party = and_(
        outbox.c.entity.in_(PARTY_ENTITIES),
        outbox.c.entity_id.in_(select(cast(parties.subquery().c.id, String))),
    )
    if not is_allowed(host, actor, "core:interaction.read"):
        return about_party
    interactions = select(cast(interaction.c.id, String)).where(interaction.c.party_id.in_(parties))
    about_interaction = and_(outbox.c.entity == "interaction", outbox.c.entity_id.in_(interactions))
    return or_(about_party, about_interaction)


def read_cursor(cursor: str | None) -> int:
    """The last event id a feed cursor stands for (0 for none)."""
    if cursor is None:
        return 0
    try:
        (after,) = decode_cursor(cursor, 1)
        return 0 if after == 0 else cursor_id(after)
    except ValidationError as exc:
        raise ValidationError("after", exc.reason) from None


def read_feed(
    conn: Connection,
    host: PluginHost,
    actor: Actor,
    *,
    after: str | None = None,
    types: Sequence[str] = (),
    limit: int = 100,
) -> FeedPage:
    """The events after the cursor ``after`` that ``actor`` may see (only of ``types``, if given)."""
    check_limit(limit)
    start = read_cursor(after)
    for name in types:
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            raise ValidationError("type", "expected event type names")
    until = settled_until(conn, start)
    query = (
        select(outbox)
        .where(outbox.c.id > start, outbox.c.id <= until, _seen(host, actor))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if types:
        query = query.where(outbox.c.event_type.in_(list(types)))
    rows = conn.execute(query).all()
    events = [
        Event(r.id, r.event_type, r.entity, r.entity_id, r.payload, r.actor_id, r.created_at)
        for r in rows
    ]
    # A short page has read everything settled: the next one starts past what was left out.
    last = events[-1].id if len(events) == limit else until
    return FeedPage(events, encode_cursor([last]))
