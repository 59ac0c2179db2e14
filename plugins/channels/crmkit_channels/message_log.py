"""The message log: the emails and text messages of the outboxes, newest first, as their readers may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import Connection, Select, select

from crmkit import (
    Actor,
    NotFound,
    Page,
    ValidationError,
    newest_first,
    party_table,
    require,
    seen_parties,
    seen_party,
)
from crmkit_channels.access import MESSAGE_READ
from crmkit_channels.tables import email, sms

EMAIL_STATUSES = ("queued", "sending", "sent", "failed", "suppressed", "unknown", "bounced")
SMS_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "suppressed",
    "unknown",
)


@frozen
class LoggedEmail:
    """An email of the outbox as the log shows it (its raw message is not shown)."""

    id: int
    party_id: int
    party_name: str
    purpose: str
    transactional: bool
    template: str | None
    recipient: str
    subject: str | None
    """None while the email waits to be rendered when it is handed over."""
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    resent_from_id: int | None
    """The failed or unknown email this one sends again."""
    resent_as_id: int | None
    """The email that sent this one again, if it was resent (it is resent at most once)."""
    channel: str = "email"


@frozen
class LoggedSms:
    """A text message of the outbox as the log shows it."""

    id: int
    party_id: int
    party_name: str
    purpose: str
    transactional: bool
    template: str | None
    recipient: str
    body: str
    encoding: str
    segments: int
    status: str
    gateway_status: str | None
    attempts: int
    last_error: str | None
    created_by: str
    created_at: datetime
    finished_at: datetime | None
    resent_from_id: int | None
    resent_as_id: int | None
    channel: str = "sms"


def _made(kind: type[Any]) -> Any:
    names = [f.name for f in attrs.fields(kind) if f.name != "channel"]
    return lambda row: kind(**{name: row._mapping[name] for name in names})


def _status(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ValidationError("status", f"expected one of {', '.join(allowed)}")
    return value


def _query(
    host: Any, actor: Actor, table: Any, party_id: int | None, status: str | None
) -> Select[Any]:
    resent = table.alias("resent")
    resent_as = select(resent.c.id).where(resent.c.resent_from_id == table.c.id)
    query = (
        select(
            table,
            party_table.c.display_name.label("party_name"),
            resent_as.scalar_subquery().label("resent_as_id"),
        )
        .join(party_table, party_table.c.id == table.c.party_id)
        .where(seen_parties(host, actor))
    )
    if party_id is not None:
        query = query.where(table.c.party_id == party_id)
    if status is not None:
        query = query.where(table.c.status == status)
    return query


def _page(
    host: Any,
    conn: Connection,
    actor: Actor,
    table: Any,
    kind: type[Any],
    statuses: tuple[str, ...],
    party_id: int | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Any]:
    require(host, actor, MESSAGE_READ.name)
    if party_id is not None:
        seen_party(host, conn, actor, party_id)
    query = _query(host, actor, table, party_id, _status(status, statuses))
    return newest_first(conn, query, table.c.id, _made(kind), cursor=cursor, limit=limit)


def list_emails(
    host: Any,
    conn: Connection,
    actor: Actor,
    *,
    party_id: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LoggedEmail]:
    """The emails to parties ``actor`` sees (of ``party_id``, in ``status``), newest first.

    Needs ``channels:message.read``; NotFound for a party the actor may not see.
    """
    page: Page[LoggedEmail] = _page(
        host, conn, actor, email, LoggedEmail, EMAIL_STATUSES, party_id, status, cursor, limit
    )
    return page


def list_sms(
    host: Any,
    conn: Connection,
    actor: Actor,
    *,
    party_id: int | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[LoggedSms]:
    """The text messages to parties ``actor`` sees, as :func:`list_emails` lists emails."""
    page: Page[LoggedSms] = _page(
        host, conn, actor, sms, LoggedSms, SMS_STATUSES, party_id, status, cursor, limit
    )
    return page


def get_message(host: Any, conn: Connection, actor: Actor, channel: str, message_id: int) -> Any:
    """One email or SMS of a party ``actor`` sees; NotFound otherwise (it does not tell which)."""
    require(host, actor, MESSAGE_READ.name)
    table, make = (email, _made(LoggedEmail)) if channel == "email" else (sms, _made(LoggedSms))
    row = conn.execute(
        _query(host, actor, table, None, None).where(table.c.id == message_id)
    ).first()
    if row is None:
        raise NotFound(f"{channel} {message_id} does not exist")
    seen_party(host, conn, actor, row.party_id)
    return make(row)
