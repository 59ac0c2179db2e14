"""Outbound webhook subscriptions: who receives which events, and the log of what was sent.

A subscription names a URL, the event types it wants (``*`` for all) and
optionally the kind of entity the events must be about (``prospect``,
``interaction``…). It receives the events written after it was created; how
they are sent is :mod:`crmkit.core.webhook_delivery`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from attrs import frozen
from sqlalchemy import Connection, func, insert, select, update

from crmkit.core.db import Transaction
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.pagination import Page, newest_first
from crmkit.core.signatures import new_secret, secret_key
from crmkit.core.tables import outbox, utcnow, webhook_delivery, webhook_subscription
from crmkit.core.tasks import check_text
from crmkit.core.untrusted import check_storable_text

ALL_EVENTS = "*"
MAX_URL = 2000
DELIVERY_STATUSES = ("pending", "succeeded", "failed")
"""``failed``: given up after the last retry, or answered with a status not worth retrying."""


@frozen
class Subscription:
    """Where events of ``event_types`` (about ``entity``, if set) are sent; the secret is not shown."""

    id: int
    url: str
    event_types: list[str]
    entity: str | None
    description: str
    active: bool
    owner_id: int | None
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@frozen
class CreatedSubscription:
    """A new subscription and its signing secret, which the receiver verifies deliveries with."""

    subscription: Subscription
    secret: str


@frozen
class Delivery:
    """One event sent (or to be sent) to one subscription; ``message_id`` is its ``webhook-id``."""

    id: int
    subscription_id: int
    event_id: int
    event_type: str
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    response_status: int | None
    last_error: str | None


def message_id(delivery_id: int) -> str:
    """The ``webhook-id`` of a delivery: the same on every attempt, so receivers can de-duplicate."""
    return f"msg_{delivery_id}"


def check_url(url: Any) -> str:
    """``url`` if it is an absolute http(s) address; else :class:`ValidationError` naming ``url``."""
    check_text("url", url, MAX_URL, required=True)
    check_storable_text("url", url)
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise ValidationError("url", "is not a valid address") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError("url", "expected an absolute http:// or https:// address")
    if any(c.isspace() for c in url):
        raise ValidationError("url", "must not contain spaces")
    return str(url)


def _check_event_types(tx: Transaction, event_types: Any) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError("event_types", f"expected a list of event types or {ALL_EVENTS!r}")
    known = getattr(tx.app, "event_types", None)
    for name in event_types:
        if not isinstance(name, str):
            raise ValidationError("event_types", "expected event type names")
        if name != ALL_EVENTS and known is not None and name not in known:
            raise ValidationError("event_types", f"event type {name!r} is not registered")
    if len(set(event_types)) != len(event_types):
        raise ValidationError("event_types", "names an event type twice")
    return list(event_types)


def _check_entity(tx: Transaction, entity: Any) -> None:
    """Refuse a kind of entity no event type is about: such a filter would never match."""
    if not check_text("entity", entity, 100, required=False):
        return
    check_storable_text("entity", entity)
    known = getattr(tx.app, "event_entities", None)
    if known is not None and entity not in known:
        raise ValidationError(
            "entity",
            f"no event type is about {entity!r}; expected one of {', '.join(sorted(known))}",
        )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row.id,
        row.url,
        list(row.event_types),
        row.entity,
        row.description,
        row.active,
        row.owner_id,
        row.consecutive_failures,
        row.disabled_reason,
        row.created_at,
        row.updated_at,
    )


def add_subscription(
    tx: Transaction,
    url: str,
    event_types: Sequence[str],
    *,
    entity: str | None = None,
    description: str = "",
    secret: str | None = None,
    owner_id: int | None = None,
) -> CreatedSubscription:
    """Subscribe ``url`` to events from now on; a secret is generated unless one is given."""
    check_url(url)
    types = _check_event_types(tx, event_types)
    _check_entity(tx, entity)
    if check_text("description", description, 200, required=False) is not None:
        check_storable_text("description", description)
    if secret is None:
        secret = new_secret()
    secret_key(secret)
    check_text("secret", secret, 200, required=True)
    now = utcnow()
    last_event = tx.conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one()
    row = tx.conn.execute(
        insert(webhook_subscription)
        .values(
            url=url,
            secret=secret,
            event_types=types,
            entity=entity or None,
            description=description or "",
            active=True,
            owner_id=owner_id if owner_id is not None else tx.actor.user_id,
            after_event_id=last_event,
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
        )
        .returning(*webhook_subscription.c)
    ).one()
    return CreatedSubscription(_subscription(row), secret)


def get_subscription(conn: Connection, subscription_id: int) -> Subscription:
    """The subscription; :class:`NotFound` if there is none."""
    row = conn.execute(
        select(webhook_subscription).where(webhook_subscription.c.id == subscription_id)
    ).first()
    if row is None:
        raise NotFound(f"webhook {subscription_id} does not exist")
    return _subscription(row)


def list_subscriptions(conn: Connection) -> list[Subscription]:
    """Every subscription, oldest first."""
    rows = conn.execute(select(webhook_subscription).order_by(webhook_subscription.c.id))
    return [_subscription(row) for row in rows]


def subscription_secret(conn: Connection, subscription_id: int) -> str:
    """The signing secret of a subscription (for sending, and for its administrators)."""
    get_subscription(conn, subscription_id)
    secret: str = conn.execute(
        select(webhook_subscription.c.secret).where(webhook_subscription.c.id == subscription_id)
    ).scalar_one()
    return secret


def set_active(tx: Transaction, subscription_id: int, active: bool) -> Subscription:
    """Enable or disable a subscription; enabling clears its failure count and the reason it stopped.

    Deliveries held while it was disabled are sent once it is enabled again.
    """
    if not isinstance(active, bool):
        raise ValidationError("active", "expected true or false")
    get_subscription(tx.conn, subscription_id)
    values: dict[str, Any] = {"active": active, "updated_at": utcnow()}
    if active:
        values.update(consecutive_failures=0, disabled_reason=None)
    else:
        values["disabled_reason"] = "disabled by an administrator"
    tx.conn.execute(
        update(webhook_subscription)
        .where(webhook_subscription.c.id == subscription_id)
        .values(**values)
    )
    return get_subscription(tx.conn, subscription_id)


_DELIVERIES = select(webhook_delivery, outbox.c.event_type.label("event_type")).select_from(
    webhook_delivery.join(outbox, outbox.c.id == webhook_delivery.c.event_id)
)


def _delivery(row: Any) -> Delivery:
    return Delivery(
        row.id,
        row.subscription_id,
        row.event_id,
        row.event_type,
        message_id(row.id),
        row.status,
        row.attempts,
        row.next_attempt_at if row.status == "pending" else None,
        row.created_at,
        row.last_attempt_at,
        row.delivered_at,
        row.response_status,
        row.last_error,
    )


def get_delivery(conn: Connection, delivery_id: int) -> Delivery:
    """The delivery; :class:`NotFound` if there is none."""
    row = conn.execute(_DELIVERIES.where(webhook_delivery.c.id == delivery_id)).first()
    if row is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    return _delivery(row)


def list_deliveries(
    conn: Connection,
    subscription_id: int,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Delivery]:
    """The delivery log of a subscription (only deliveries of ``status``, if given), newest first."""
    get_subscription(conn, subscription_id)
    query = _DELIVERIES.where(webhook_delivery.c.subscription_id == subscription_id)
    if status is not None:
        if status not in DELIVERY_STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(DELIVERY_STATUSES)}")
        query = query.where(webhook_delivery.c.status == status)
    return newest_first(conn, query, webhook_delivery.c.id, _delivery, cursor=cursor, limit=limit)


def redeliver(tx: Transaction, delivery_id: int) -> Delivery:
    """Send a delivery again, with its own ``webhook-id`` and a fresh set of retries.

    It goes out with the next round of deliveries, after any earlier pending
    delivery about the same record to the same subscription.
    """
    get_delivery(tx.conn, delivery_id)
    tx.conn.execute(
        update(webhook_delivery)
        .where(webhook_delivery.c.id == delivery_id)
        .values(status="pending", attempts=0, next_attempt_at=None)
    )
    return get_delivery(tx.conn, delivery_id)
