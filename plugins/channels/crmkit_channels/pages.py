"""Server-rendered pages: a party's messages with their delivery states, and resending one."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ConflictError, MenuItem, ValidationError
from crmkit.web import actor_of, crm_of, page_response, read_form
from crmkit_channels import message_log, resend
from crmkit_channels.access import MESSAGE_READ, seen_party

SHOWN = 100
"""Messages of each channel on the page; the JSON API pages through all of them."""


def party_actions(entity_type: str, entity: Any) -> list[MenuItem]:
    """On a prospect's or customer's page: a link to their messages."""
    if entity_type not in ("prospect", "customer") or entity.id is None:
        return []
    return [MenuItem("Messages", f"/p/channels/parties/{entity.id}/messages", MESSAGE_READ.name)]


def _messages_page(
    request: Request, party_id: int, error: str | None = None, status: int = 200
) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        party = seen_party(crm.host, conn, actor, party_id)
        emails = message_log.list_emails(crm.host, conn, actor, party_id=party_id, limit=SHOWN)
        texts = message_log.list_sms(crm.host, conn, actor, party_id=party_id, limit=SHOWN)
    return page_response(
        request,
        "channels/party_messages.html",
        status=status,
        party=party,
        emails=emails.items,
        texts=texts.items,
        more=emails.next_cursor is not None or texts.next_cursor is not None,
        error=error,
    )


def messages_page(request: Request) -> Response:
    """The party's emails and text messages, newest first, with a resend form on the failed ones."""
    return _messages_page(request, request.path_params["party_id"])


async def _resend(request: Request, channel: str) -> Response:
    """Resend the email or SMS (``channel``) the form names; back to its party's messages."""
    form = await read_form(request)
    crm, actor = crm_of(request), actor_of(request)
    message_id = request.path_params["message_id"]
    work = resend.resend_email if channel == "email" else resend.resend_sms
    confirmed = form.get("confirm_duplicate") == "yes"

    def run() -> int:
        with crm.transaction(actor) as tx:
            return int(work(tx, message_id, confirm_duplicate=confirmed).party_id)

    def party_of() -> int:
        with crm.read() as conn:
            return int(message_log.get_message(crm.host, conn, actor, channel, message_id).party_id)

    try:
        party_id = await run_in_threadpool(run)
    except (ValidationError, ConflictError) as exc:
        party_id = await run_in_threadpool(party_of)
        return await run_in_threadpool(_messages_page, request, party_id, exc.message, 422)
    return RedirectResponse(f"/p/channels/parties/{party_id}/messages", status_code=303)


async def resend_email_post(request: Request) -> Response:
    """The resend form of an email."""
    return await _resend(request, "email")


async def resend_sms_post(request: Request) -> Response:
    """The resend form of a text message."""
    return await _resend(request, "sms")


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/messages", messages_page, methods=["GET"]),
    Route("/emails/{message_id:id}/resend-form", resend_email_post, methods=["POST"]),
    Route("/sms/{message_id:id}/resend-form", resend_sms_post, methods=["POST"]),
]
