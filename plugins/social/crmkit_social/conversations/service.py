"""The social inbox: threads of the parties one may see, replies and page posts.

A thread or message of a party the actor may not see is ``NotFound`` (never named). A reply
needs ``social:conversation.reply`` and the right to change the party (``core:party.write``);
a post ``social:post.create``. Replies go out as transactional messages (an answer to the
party's own message) through the channels plugin's transports; a reply to a private message
only within Meta's 24-hour window after the party's last message (7 days with the
``HUMAN_AGENT`` tag when ``human_agent_tag`` allows it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from attrs import field, frozen
from crmkit_channels import ChannelMessage, channel_states, send
from sqlalchemy import Connection, insert, select

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    read_text,
    require,
    seen_party,
    seen_party_ids,
    sees_every_party,
    utcnow,
)
from crmkit_social.accounts.model import account_by_id
from crmkit_social.accounts.tables import account_table
from crmkit_social.conversations.access import POST, READ, REPLY
from crmkit_social.conversations.inbound import settings_of
from crmkit_social.conversations.outbound import COMMENT, MESSENGER
from crmkit_social.conversations.outbound import POST as POST_TRANSPORT
from crmkit_social.conversations.tables import conversation_table, message_table, post_table

WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
MAX_TEXT = 2000
"""Messenger's limit on a message's text; comments and posts are held to it too."""
MAX_POST = 5000


@frozen
class Thread:
    """A thread of one sender with one page."""

    id: int
    platform: str
    page_id: str
    sender_id: str
    sender_name: str | None
    party_id: int
    last_inbound_at: datetime | None
    last_message_at: datetime
    reply_until: datetime | None
    """Until when a private reply may go (None: the sender never wrote privately)."""
    version: int


@frozen
class Message:
    """A message or comment of a thread; an outbound one with its delivery state."""

    id: int
    conversation_id: int
    direction: str
    kind: str
    external_id: str | None
    parent_id: str | None
    text: str
    occurred_at: datetime
    status: str | None
    """An outbound one: queued, sending, sent, failed, suppressed or unknown."""
    last_error: str | None
    complaint_ref: str | None
    created_by: str


@frozen
class ThreadDetail:
    thread: Thread
    messages: list[Message] = field(factory=list)


@frozen
class Post:
    id: int
    page_id: str
    text: str
    link: str | None
    status: str
    last_error: str | None
    receipt: str | None
    created_by: str
    created_at: datetime


def _reply_until(row: Any, human_agent: bool) -> datetime | None:
    if row.last_inbound_at is None:
        return None
    return row.last_inbound_at + (HUMAN_AGENT_WINDOW if human_agent else WINDOW)


def _thread(row: Any, human_agent: bool) -> Thread:
    return Thread(
        id=row.id,
        platform=row.platform,
        page_id=row.page_id,
        sender_id=row.sender_id,
        sender_name=row.sender_name,
        party_id=row.party_id,
        last_inbound_at=row.last_inbound_at,
        last_message_at=row.last_message_at,
        reply_until=_reply_until(row, human_agent),
        version=row.version,
    )


def list_threads(tx: Transaction, *, limit: int = 50, party_id: int | None = None) -> list[Thread]:
    """The newest threads of parties ``tx.actor`` sees (of one party when given)."""
    require(tx.hooks, tx.actor, READ, conn=tx.conn)
    table = conversation_table
    query = select(table).order_by(table.c.last_message_at.desc(), table.c.id.desc()).limit(limit)
    if party_id is not None:
        seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        query = query.where(table.c.party_id == party_id)
    elif not sees_every_party(tx.hooks, tx.actor):
        query = query.where(table.c.party_id.in_(seen_party_ids(tx.hooks, tx.actor)))
    human_agent = settings_of(tx.app).human_agent_tag
    return [_thread(row, human_agent) for row in tx.conn.execute(query)]


def _thread_row(tx: Transaction, conversation_id: int) -> Any:
    row = tx.conn.execute(
        select(conversation_table).where(conversation_table.c.id == conversation_id)
    ).first()
    if row is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    try:
        seen_party(tx.hooks, tx.conn, tx.actor, row.party_id)
    except NotFound:
        raise NotFound(f"conversation {conversation_id} does not exist") from None
    return row


def _messages(conn: Connection, where: Any) -> list[Message]:
    rows = conn.execute(select(message_table).where(where).order_by(message_table.c.id)).all()
    states = channel_states(conn, [r.outbound_id for r in rows if r.outbound_id is not None])
    found = []
    for r in rows:
        state = states.get(r.outbound_id) if r.outbound_id is not None else None
        found.append(
            Message(
                id=r.id,
                conversation_id=r.conversation_id,
                direction=r.direction,
                kind=r.kind,
                external_id=r.external_id or (state.receipt if state else None),
                parent_id=r.parent_id,
                text=r.text,
                occurred_at=r.occurred_at,
                status=state.status if state else None,
                last_error=state.last_error if state else None,
                complaint_ref=r.complaint_ref,
                created_by=r.created_by,
            )
        )
    return found


def thread_detail(tx: Transaction, conversation_id: int) -> ThreadDetail:
    require(tx.hooks, tx.actor, READ, conn=tx.conn)
    row = _thread_row(tx, conversation_id)
    human_agent = settings_of(tx.app).human_agent_tag
    messages = _messages(tx.conn, message_table.c.conversation_id == conversation_id)
    return ThreadDetail(_thread(row, human_agent), messages)


def _text(data: dict[str, Any], limit: int) -> str:
    text = read_text("text", data.get("text"), limit=limit, required=True)
    if text is None or not text.strip():
        raise ValidationError("text", "the reply is empty")
    return text


def _may_reply(tx: Transaction, party_id: int) -> None:
    party = seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    require(tx.hooks, tx.actor, REPLY, conn=tx.conn)
    require(tx.hooks, tx.actor, "core:party.write", party, conn=tx.conn)


def _store_outbound(
    tx: Transaction, thread: Any, kind: str, text: str, parent_id: str | None, outbound_id: int
) -> Message:
    now = utcnow()
    row_id = tx.conn.execute(
        insert(message_table)
        .values(
            conversation_id=thread.id,
            party_id=thread.party_id,
            page_id=thread.page_id,
            direction="outbound",
            kind=kind,
            parent_id=parent_id,
            text=text,
            occurred_at=now,
            outbound_id=outbound_id,
            created_by=tx.actor.username,
        )
        .returning(message_table.c.id)
    ).scalar_one()
    [message] = _messages(tx.conn, message_table.c.id == row_id)
    return message


def reply(tx: Transaction, conversation_id: int, data: dict[str, Any]) -> Message:
    """Reply privately to the thread's sender: ``{"text": "…"}``.

    ConflictError when Meta's messaging window is closed (24 hours after the sender's last
    message; 7 days with the ``HUMAN_AGENT`` tag when the setting allows it).
    """
    thread = _thread_row(tx, conversation_id)
    _may_reply(tx, thread.party_id)
    text = _text(data, MAX_TEXT)
    if thread.last_inbound_at is None:
        raise ConflictError(
            "the sender never wrote to the page privately: answer their comment instead"
        )
    age = utcnow() - thread.last_inbound_at
    payload: dict[str, Any] = {"page_id": thread.page_id, "messaging_type": "RESPONSE"}
    if age > WINDOW:
        if not settings_of(tx.app).human_agent_tag or age > HUMAN_AGENT_WINDOW:
            closed = thread.last_inbound_at + WINDOW
            raise ConflictError(
                f"the 24-hour messaging window closed at {closed.isoformat(timespec='minutes')}: "
                "Meta accepts a reply only within 24 hours of the customer's last message"
                + (
                    " (7 days with the HUMAN_AGENT tag)"
                    if settings_of(tx.app).human_agent_tag
                    else ""
                )
            )
        payload.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    queued = send(
        tx,
        ChannelMessage(
            transport=MESSENGER[thread.platform],
            recipient=thread.sender_id,
            body=text,
            party_id=thread.party_id,
            rate_key=thread.page_id,
            transactional=True,
            payload=payload,
        ),
    )
    return _store_outbound(tx, thread, "message", text, None, queued.id)


def reply_to_comment(tx: Transaction, message_id: int, data: dict[str, Any]) -> Message:
    """Answer a comment (or a visitor's post, or a mention) in public: ``{"text": "…"}``."""
    row = tx.conn.execute(select(message_table).where(message_table.c.id == message_id)).first()
    if row is None:
        raise NotFound(f"message {message_id} does not exist")
    thread = _thread_row(tx, row.conversation_id)
    _may_reply(tx, thread.party_id)
    if row.direction != "inbound" or row.kind == "message" or not row.external_id:
        raise ValidationError("message_id", "expected a comment, post or mention of a visitor")
    text = _text(data, MAX_TEXT)
    queued = send(
        tx,
        ChannelMessage(
            transport=COMMENT[thread.platform],
            recipient=row.external_id,
            body=text,
            party_id=thread.party_id,
            rate_key=thread.page_id,
            transactional=True,
            payload={"page_id": thread.page_id},
        ),
    )
    return _store_outbound(tx, thread, "comment", text, row.external_id, queued.id)


def create_post(tx: Transaction, data: dict[str, Any]) -> Post:
    """Publish a post on a connected Facebook page: ``{"account_id": 1, "text": "…", "link": …}``."""
    require(tx.hooks, tx.actor, POST, conn=tx.conn)
    account_id = data.get("account_id")
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationError("account_id", "expected the id of a connected page")
    account = account_by_id(tx.conn, account_id)
    if account is None:
        raise ValidationError("account_id", f"no connected page has id {account_id}")
    if account.platform != "facebook":
        raise ValidationError("account_id", "posts go to Facebook pages only")
    if not account.active:
        raise ValidationError("account_id", f"the page {account.name} is not active")
    text = read_text("text", data.get("text"), limit=MAX_POST, required=True) or ""
    if not text.strip():
        raise ValidationError("text", "the post is empty")
    link = read_text("link", data.get("link"), limit=2000)
    if link and not link.startswith(("https://", "http://")):
        raise ValidationError("link", "expected an http(s):// address")
    unknown = set(data) - {"account_id", "text", "link"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    queued = send(
        tx,
        ChannelMessage(
            transport=POST_TRANSPORT,
            recipient=account.page_id,
            body=text,
            rate_key=account.page_id,
            transactional=True,
            payload={"page_id": account.page_id, "link": link},
        ),
    )
    now = utcnow()
    post_id = tx.conn.execute(
        insert(post_table)
        .values(
            account_id=account.id,
            page_id=account.page_id,
            text=text,
            link=link,
            outbound_id=queued.id,
            created_by=tx.actor.username,
            created_at=now,
        )
        .returning(post_table.c.id)
    ).scalar_one()
    return post_of(tx, post_id)


def post_of(tx: Transaction, post_id: int) -> Post:
    row = tx.conn.execute(select(post_table).where(post_table.c.id == post_id)).first()
    if row is None:
        raise NotFound(f"post {post_id} does not exist")
    state = channel_states(tx.conn, [row.outbound_id])[row.outbound_id]
    return Post(
        id=row.id,
        page_id=row.page_id,
        text=row.text,
        link=row.link,
        status=state.status,
        last_error=state.last_error,
        receipt=state.receipt,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def list_posts(tx: Transaction, *, limit: int = 50) -> list[Post]:
    require(tx.hooks, tx.actor, POST, conn=tx.conn)
    ids = tx.conn.execute(
        select(post_table.c.id).order_by(post_table.c.id.desc()).limit(limit)
    ).scalars()
    return [post_of(tx, i) for i in ids]


def post_accounts(tx: Transaction) -> list[tuple[int, str]]:
    """The active Facebook pages a post may go to: ``(account id, name)``."""
    a = account_table
    rows = tx.conn.execute(
        select(a.c.id, a.c.name).where(a.c.platform == "facebook", a.c.active).order_by(a.c.name)
    )
    return [(r.id, r.name) for r in rows]
