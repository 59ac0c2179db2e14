"""Replies to messages and comments, and page posts: queued through the channels plugin's
transports, delivered to Graph after commit by its delivery job.

Transports (registered through ``channels_transports``): ``facebook.messenger`` and
``instagram.messenger`` (``POST /{page-id}/messages`` with ``recipient.id``,
``messaging_type`` and the text), ``facebook.comment`` (``POST /{comment-id}/comments``),
``instagram.comment`` (``POST /{comment-id}/replies``) and ``facebook.post``
(``POST /{page-id}/feed``). A Graph error marked transient (a rate limit, Graph down, a
dead token waiting for the page to be connected again) is tried again later, at the time
Graph gave when it gave one; another fails the message with Graph's reason; a call that
timed out after it went out is ``unknown`` and never sent again by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from crmkit_channels import Delivery, Later, Never, Sent, Transport, Unknown

from crmkit import Crm, utcnow
from crmkit_social.accounts.graph import GraphClient, GraphError, graph_client
from crmkit_social.accounts.model import account_by_page

MESSENGER = {"facebook": "facebook.messenger", "instagram": "instagram.messenger"}
COMMENT = {"facebook": "facebook.comment", "instagram": "instagram.comment"}
POST = "facebook.post"
CHANNEL = "social"


def _message(client: GraphClient, row: Any) -> dict[str, Any]:
    payload = row.payload
    data: dict[str, Any] = {
        "recipient": {"id": row.recipient},
        "messaging_type": payload.get("messaging_type", "RESPONSE"),
        "message": {"text": row.body},
    }
    if payload.get("tag"):
        data["tag"] = payload["tag"]
    return client.post(f"/{payload['page_id']}/messages", data)


def _comment(client: GraphClient, row: Any) -> dict[str, Any]:
    edge = "replies" if client.account.platform == "instagram" else "comments"
    return client.post(f"/{row.recipient}/{edge}", {"message": row.body})


def _post(client: GraphClient, row: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"message": row.body}
    if row.payload.get("link"):
        data["link"] = row.payload["link"]
    return client.post(f"/{row.recipient}/feed", data)


def _deliverer(
    call: Callable[[GraphClient, Any], dict[str, Any]],
) -> Callable[[Any, Any], Delivery]:
    def deliver(app: Crm, row: Any) -> Delivery:
        page_id = str(row.payload.get("page_id") or "")
        with app.read() as conn:
            account = account_by_page(conn, page_id)
        if account is None:
            return Never(f"page {page_id} is not connected")
        if not account.active:
            return Never(f"the page {account.name} ({page_id}) is not active")
        try:
            answer = call(graph_client(app, account), row)
        except GraphError as error:
            if error.status == 0 and "timed out" in error.message:
                # It may have reached Graph: never sent a second time by itself.
                return Unknown(str(error))
            if error.transient:
                retry_at = (
                    utcnow() + timedelta(seconds=error.retry_after)
                    if error.retry_after is not None
                    else None
                )
                return Later(str(error), retry_at)
            return Never(str(error))
        receipt = answer.get("message_id") or answer.get("id")
        return Sent(str(receipt) if receipt else None)

    return deliver


def transports(app: Crm) -> list[Transport]:
    """The social plugin's transports, at the rates of ``[plugins.social.conversations]``."""
    settings = app.settings_of["social"].conversations
    messages, comments = _deliverer(_message), _deliverer(_comment)
    return [
        Transport(MESSENGER["facebook"], messages, CHANNEL, settings.messages_per_second),
        Transport(MESSENGER["instagram"], messages, CHANNEL, settings.messages_per_second),
        Transport(COMMENT["facebook"], comments, CHANNEL, settings.comments_per_second),
        Transport(COMMENT["instagram"], comments, CHANNEL, settings.comments_per_second),
        Transport(POST, _deliverer(_post), CHANNEL, settings.posts_per_second),
    ]
