"""Messages, comments, visitors' posts and mentions from Meta's webhooks onto the sender's timeline.

``take_change`` is the webhooks part's handler of the fields ``messages``, ``feed``,
``comments`` and ``mention``; ``fetch`` its network part (the sender's profile from Graph),
which the webhooks part runs with no transaction open, before the handler's. Each message or comment is stored once by its Meta id (a
change Meta sends again finds it stored), its sender resolved to a party: by the page-scoped
id linked to the party (external id system ``facebook.page.<page id>`` or
``instagram.account.<account id>``), else through the kernel's ``resolve_party``: intake
and its identity matching on the name Graph gives, the page vouching for its own id of the
sender (a new prospect of source ``social`` needs no email, phone or address), the
page-scoped id then linked. It lands in the thread of its sender and page, as an inbound
interaction of channel ``social`` on the party's timeline, and is offered to
``social_complaint`` when it reads like a complaint.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, insert, select, update

from crmkit import (
    Crm,
    Transaction,
    build_interaction,
    linked_parties,
    log_interaction,
    resolve_party,
    utcnow,
)
from crmkit_social.accounts.graph import GraphError, graph_client
from crmkit_social.accounts.model import Account
from crmkit_social.conversations.complaints import Complaint, complaint_words
from crmkit_social.conversations.settings import ConversationsSettings
from crmkit_social.conversations.tables import conversation_table, message_table
from crmkit_social.webhooks.model import Change, PermanentFailure

SOURCE = "social"
CHANNEL = "social"
REF_KIND = "social.message"
FEED_ITEMS = {
    "comment": "comment",
    "post": "post",
    "status": "post",
    "photo": "post",
    "video": "post",
}
COMPLAINT_WINDOW = timedelta(hours=24)
"""Complaint-like messages of one thread within this time are one complaint (one offer)."""
KIND_WORDS = {"message": "Message", "comment": "Comment", "post": "Post", "mention": "Mention"}


@frozen
class Inbound:
    """One message, comment, post or mention of a change, as stored."""

    kind: str
    external_id: str
    sender_id: str
    sender_name: str | None
    text: str
    parent_id: str | None
    occurred_at: datetime
    private: bool
    """A private message: opens the 24-hour window for replies."""


def settings_of(app: Any) -> ConversationsSettings:
    settings: ConversationsSettings = app.settings_of["social"].conversations
    return settings


def sender_system(account: Account) -> str:
    """The external id system of the page's page-scoped ids: ``facebook.page.1001``."""
    if account.platform == "instagram":
        return f"instagram.account.{account.page_id}".lower()
    return f"facebook.page.{account.page_id}".lower()


def _when(value: Any, default: datetime, *, millis: bool = False) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if millis else value, tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("+0000", "+00:00"))
        except ValueError:
            return default
    return default


def _id(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value)
    return None


def _attachments(message: dict[str, Any]) -> str:
    kinds = [
        str(a.get("type") or "file")
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    ]
    return " ".join(f"[{kind}]" for kind in kinds)


def parse(account: Account, change: Change) -> Inbound | None:
    """The message or comment of ``change``; None for what is not one (an echo of the page's
    own message, a read receipt, an edit, the page's own comment)."""
    value = change.value
    if change.field == "messages":
        message = value.get("message")
        if not isinstance(message, dict) or message.get("is_echo"):
            return None
        sender = _id((value.get("sender") or {}).get("id"))
        mid = _id(message.get("mid"))
        if sender is None or mid is None:
            raise PermanentFailure("the message has no sender id or no mid")
        if sender == account.page_id:
            return None
        text = str(message.get("text") or "").strip() or _attachments(message) or "[empty]"
        when = _when(value.get("timestamp"), change.time, millis=True)
        return Inbound("message", mid, sender, None, text, None, when, True)
    if change.field == "feed":
        kind = FEED_ITEMS.get(str(value.get("item")))
        if kind is None or value.get("verb") != "add":
            return None
        author = value.get("from") or {}
        sender = _id(author.get("id"))
        if sender is None or sender == account.page_id:
            return None
        key = _id(value.get("comment_id") if kind == "comment" else value.get("post_id"))
        if key is None:
            raise PermanentFailure(f"the {kind} has no id")
        parent = (
            _id(value.get("parent_id")) or _id(value.get("post_id")) if kind == "comment" else None
        )
        text = str(value.get("message") or "").strip() or "[no text]"
        when = _when(value.get("created_time"), change.time)
        return Inbound(kind, key, sender, author.get("name"), text, parent, when, False)
    if change.field in ("comments", "mention"):
        author = value.get("from") or {}
        sender = _id(author.get("id"))
        key = _id(value.get("id") or value.get("comment_id"))
        if key is None:
            raise PermanentFailure(f"the {change.field} change has no comment id")
        if sender is None:
            raise PermanentFailure(f"the {change.field} change names no sender")
        if sender == account.page_id:
            return None
        kind = "comment" if change.field == "comments" else "mention"
        parent = _id((value.get("media") or {}).get("id")) or _id(value.get("media_id"))
        text = str(value.get("text") or "").strip() or "[no text]"
        name = author.get("username") or author.get("name")
        return Inbound(kind, key, sender, name, text, parent, change.time, False)
    return None


def _profile(app: Crm, account: Account, item: Inbound) -> dict[str, Any]:
    """What Graph says of a page-scoped sender (only a private message's sender has a PSID)."""
    if not item.private or not settings_of(app).fetch_profiles:
        return {}
    fields = (
        "name,username,profile_pic"
        if account.platform == "instagram"
        else "name,first_name,last_name,profile_pic"
    )
    try:
        return graph_client(app, account).get(f"/{item.sender_id}", {"fields": fields})
    except GraphError as error:
        if error.transient:
            raise
        return {}


def _names(profile: dict[str, Any], item: Inbound, account: Account) -> dict[str, str]:
    first = str(profile.get("first_name") or "").strip()
    last = str(profile.get("last_name") or "").strip()
    if first or last:
        return {"first_name": first, "last_name": last} if first else {"last_name": last}
    name = str(profile.get("name") or item.sender_name or profile.get("username") or "").strip()
    if " " in name:
        first, last = name.rsplit(" ", 1)
        return {"first_name": first, "last_name": last}
    if name:
        return {"last_name": name}
    # Nothing to match on: a name no other party has (never merged into a stranger).
    return {"last_name": f"{account.platform} user {item.sender_id}"}


def fetch(app: Crm, account: Account, change: Change) -> dict[str, Any] | None:
    """The handler's network part, run with no transaction open: the Graph profile of a
    sender not known yet by page-scoped id (``{}`` when Graph has none to give); None when
    there is nothing to fetch (no message, one stored before, a known sender)."""
    item = parse(account, change)
    if item is None:
        return None
    with app.read() as conn:
        if _stored(conn, account, item) or _known(conn, account, item) is not None:
            return None
    return _profile(app, account, item)


def _stored(conn: Connection, account: Account, item: Inbound) -> bool:
    return (
        conn.execute(
            select(message_table.c.id).where(
                message_table.c.page_id == account.page_id,
                message_table.c.external_id == item.external_id,
            )
        ).first()
        is not None
    )


def _known(conn: Connection, account: Account, item: Inbound) -> int | None:
    found: int | None = linked_parties(conn, sender_system(account), [item.sender_id]).get(
        item.sender_id
    )
    return found


def resolve_sender(
    tx: Transaction, account: Account, item: Inbound, profile: dict[str, Any] | None = None
) -> tuple[int, str | None]:
    """The sender's party and display name: by page-scoped id, else through intake and its
    identity matching (``resolve_party``, the page vouching for its own id of the sender, who
    needs no email, phone or address then), which links the page-scoped id to the party.
    ``profile``: what Graph said of the sender (see :func:`fetch`); no Graph call here."""
    system = sender_system(account)
    known = _known(tx.conn, account, item)
    if known is not None:
        return known, item.sender_name
    profile = profile or {}
    names = _names(profile, item, account)
    display = " ".join(v for v in (names.get("first_name"), names.get("last_name")) if v)
    resolution = resolve_party(
        tx, names, source=SOURCE, system=system, external_id=item.sender_id, vouched=True
    )
    if resolution.party_id is None:
        if resolution.outcome == "hidden":
            raise PermanentFailure(
                "the sender's page-scoped id belongs to a party the system may not see"
            )
        findings = resolution.intake.findings if resolution.intake else ()
        reasons = ", ".join(f.message for f in findings) or resolution.outcome
        raise PermanentFailure(f"the sender was not taken in: {reasons}")
    return resolution.party_id, item.sender_name or display or None


def _thread(
    tx: Transaction, account: Account, item: Inbound, party_id: int, name: str | None
) -> int:
    """The thread of this sender and page, its times brought up to date; its id."""
    table = conversation_table
    row = tx.conn.execute(
        select(table.c.id, table.c.last_inbound_at).where(
            table.c.page_id == account.page_id, table.c.sender_id == item.sender_id
        )
    ).first()
    if row is None:
        return int(
            tx.conn.execute(
                insert(table)
                .values(
                    account_id=account.id,
                    platform=account.platform,
                    page_id=account.page_id,
                    sender_id=item.sender_id,
                    sender_name=name,
                    party_id=party_id,
                    last_inbound_at=item.occurred_at if item.private else None,
                    last_message_at=item.occurred_at,
                    created_at=utcnow(),
                    version=1,
                )
                .returning(table.c.id)
            ).scalar_one()
        )
    values: dict[str, Any] = {"party_id": party_id, "version": table.c.version + 1}
    if name:
        values["sender_name"] = name
    if item.private and (row.last_inbound_at is None or row.last_inbound_at < item.occurred_at):
        values["last_inbound_at"] = item.occurred_at
    tx.conn.execute(update(table).where(table.c.id == row.id).values(values))
    tx.conn.execute(
        update(table)
        .where(table.c.id == row.id, table.c.last_message_at < item.occurred_at)
        .values(last_message_at=item.occurred_at)
    )
    return int(row.id)


def take_change(
    tx: Transaction, account: Account, change: Change, fetched: dict[str, Any] | None
) -> None:
    """The webhooks part's handler of ``messages``, ``feed``, ``comments`` and ``mention``;
    ``fetched``: what :func:`fetch` brought (database work only here)."""
    item = parse(account, change)
    if item is None:
        return
    if _stored(tx.conn, account, item):
        return
    party_id, name = resolve_sender(tx, account, item, fetched)
    thread = _thread(tx, account, item, party_id, name)
    message_id = tx.conn.execute(
        insert(message_table)
        .values(
            conversation_id=thread,
            party_id=party_id,
            page_id=account.page_id,
            direction="inbound",
            kind=item.kind,
            external_id=item.external_id,
            parent_id=item.parent_id,
            text=item.text,
            occurred_at=item.occurred_at,
            created_by=tx.actor.username,
        )
        .returning(message_table.c.id)
    ).scalar_one()
    platform = "Instagram" if account.platform == "instagram" else "Facebook"
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": party_id,
                "channel": CHANNEL,
                "direction": "inbound",
                "occurred_at": item.occurred_at,
                "subject": f"{platform} {item.kind} to {account.name}"[:500],
                "summary": item.text[:4000],
                "refs": [{"kind": REF_KIND, "id": str(message_id)}],
            },
            source=SOURCE,
        ),
    )
    _offer_complaint(tx, account, item, party_id, name, message_id, thread)


def _offer_complaint(
    tx: Transaction,
    account: Account,
    item: Inbound,
    party_id: int,
    name: str | None,
    message_id: int,
    thread: int,
) -> None:
    settings = settings_of(tx.app)
    if not settings.complaint_detection:
        return
    matched = complaint_words(item.text, settings.complaint_words)
    if not matched or not tx.hooks.implementers("social_complaint"):
        return
    # A complaint told in several messages is one complaint: a thread whose complaint was
    # taken on within the window refers the new message to it instead of offering it again.
    earlier = tx.conn.execute(
        select(message_table.c.complaint_ref)
        .where(
            message_table.c.conversation_id == thread,
            message_table.c.id != message_id,
            message_table.c.complaint_ref.is_not(None),
            message_table.c.occurred_at >= item.occurred_at - COMPLAINT_WINDOW,
        )
        .order_by(message_table.c.id.desc())
        .limit(1)
    ).scalar()
    if earlier is not None:
        tx.conn.execute(
            update(message_table)
            .where(message_table.c.id == message_id)
            .values(complaint_ref=earlier)
        )
        return
    complaint = Complaint(
        party_id=party_id,
        platform=account.platform,
        page_id=account.page_id,
        kind=item.kind,
        text=item.text,
        sender_name=name,
        message_id=message_id,
        conversation_id=thread,
        matched=matched,
    )
    reference = tx.hooks.call("social_complaint", tx=tx, complaint=complaint)
    if reference:
        tx.conn.execute(
            update(message_table)
            .where(message_table.c.id == message_id)
            .values(complaint_ref=str(reference)[:100])
        )
