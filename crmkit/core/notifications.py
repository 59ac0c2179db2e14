"""Notifications: short messages to one user, read in the CRM and delivered by channel plugins.

Creating one emits ``core.notification_created`` in the same transaction, so
that a channel plugin (email, chat) can also deliver it after commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, delete, func, insert, select, update

from crmkit.core.db import Transaction
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.inputs import read_reference
from crmkit.core.pagination import Page, newest_first
from crmkit.core.privacy import forget_event_payloads
from crmkit.core.tables import notification, user, utcnow
from crmkit.core.tasks import check_text

KIND = re.compile(r"^[a-z][a-z0-9_.-]{0,29}$")


@frozen
class Notification:
    """A message to one user; ``link`` points at what it is about, ``read_at`` says it was seen."""

    id: int
    user_id: int
    kind: str
    title: str
    body: str | None
    link: str | None
    source: str
    created_at: datetime
    read_at: datetime | None


def _check_link(link: Any) -> None:
    check_text("link", link, 500, required=False)
    # A link leads within this CRM or to a web page; never to a script.
    if link is not None and not link.startswith(("/", "https://", "http://")):
        raise ValidationError("link", "expected a path on this site or an http(s) address")


def notify(
    tx: Transaction,
    user_id: int,
    title: str,
    *,
    body: str | None = None,
    link: str | None = None,
    kind: str = "info",
    source: str = "core",
) -> int:
    """Send ``user_id`` a notification; emits ``core.notification_created`` and returns its id."""
    read_reference(tx.conn, "user_id", user_id, user, "user")
    check_text("title", title, 300, required=True)
    check_text("body", body, 10_000, required=False)
    _check_link(link)
    if not isinstance(kind, str) or not KIND.match(kind):
        raise ValidationError("kind", "expected a short name such as info, warning or escalation")
    check_text("source", source, 100, required=True)
    notification_id: int = tx.conn.execute(
        insert(notification)
        .values(
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            source=source,
            created_at=utcnow(),
        )
        .returning(notification.c.id)
    ).scalar_one()
    tx.emit(
        "core.notification_created",
        "notification",
        notification_id,
        {
            "id": notification_id,
            "user_id": user_id,
            "kind": kind,
            "title": title,
            "body": body,
            "link": link,
            "source": source,
        },
    )
    return notification_id


def _notification(row: Any) -> Notification:
    return Notification(**row._mapping)


def get_notification(conn: Connection, notification_id: int) -> Notification:
    """The notification; :class:`NotFound` if there is none."""
    row = conn.execute(select(notification).where(notification.c.id == notification_id)).first()
    if row is None:
        raise NotFound(f"notification {notification_id} does not exist")
    return _notification(row)


def list_notifications(
    conn: Connection,
    user_id: int,
    *,
    unread: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Notification]:
    """The notifications of ``user_id`` (only unread ones if asked), newest first."""
    query = select(notification).where(notification.c.user_id == user_id)
    if unread:
        query = query.where(notification.c.read_at.is_(None))
    return newest_first(conn, query, notification.c.id, _notification, cursor=cursor, limit=limit)


def unread_count(conn: Connection, user_id: int) -> int:
    """How many notifications ``user_id`` has not read."""
    count: int = conn.execute(
        select(func.count()).where(
            notification.c.user_id == user_id, notification.c.read_at.is_(None)
        )
    ).scalar_one()
    return count


def mark_read(tx: Transaction, notification_id: int) -> Notification:
    """Mark the notification read (once: reading it again keeps the first time)."""
    tx.conn.execute(
        update(notification)
        .where(notification.c.id == notification_id, notification.c.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return get_notification(tx.conn, notification_id)


def withdraw_notifications(tx: Transaction, notification_ids: Iterable[int]) -> None:
    """Delete these notifications and keep only the id in the events that announced them.

    For a plugin's ``erase_party``: a notification naming the party (a reminder to
    call them) must go with it, read or not.
    """
    ids = list(notification_ids)
    forget_event_payloads(tx, "notification", ids)
    tx.conn.execute(delete(notification).where(notification.c.id.in_(ids)))
