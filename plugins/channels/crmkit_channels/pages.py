"""Server-rendered pages: a party's messages, the log of a channel, with their delivery states, and resending one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import ConflictError, MenuItem, ValidationError, parse_whole_number, seen_party
from crmkit.web import actor_of, crm_of, page_response, read_form
from crmkit_channels import message_log, resend
from crmkit_channels.access import MESSAGE_READ
from crmkit_channels.message_log import EMAIL_STATUSES, SMS_STATUSES

SHOWN = 100
"""Messages of each channel on the page; the JSON API pages through all of them."""
LOG = "/p/channels/message-log"
MENU = [MenuItem("Messages", LOG, MESSAGE_READ.name, order=70)]


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


def log_page(request: Request) -> Response:
    """One channel's messages to the parties the actor sees, newest first, by delivery state and party."""
    crm, actor = crm_of(request), actor_of(request)
    given = {k: v for k, v in request.query_params.items() if v}
    channel = given.get("channel", "email")
    if channel not in ("email", "sms"):
        raise ValidationError("channel", "expected email or sms")
    party_id = None
    if "party_id" in given:
        party_id = parse_whole_number("party_id", given["party_id"], minimum=1)
    listing = message_log.list_emails if channel == "email" else message_log.list_sms
    with crm.read() as conn:
        party = None if party_id is None else seen_party(crm.host, conn, actor, party_id)
        page = listing(
            crm.host,
            conn,
            actor,
            party_id=party_id,
            status=given.get("status"),
            cursor=given.get("cursor"),
            limit=SHOWN,
        )

    def link(**changes: str | None) -> str:
        query = {k: v for k, v in {**given, **changes}.items() if v}
        return f"{LOG}?{urlencode(query)}"

    return page_response(
        request,
        "channels/message_log.html",
        channel=channel,
        party=party,
        state=given.get("status"),
        states=EMAIL_STATUSES if channel == "email" else SMS_STATUSES,
        messages=page.items,
        next_cursor=page.next_cursor,
        link=link,
        back=link(),
    )


def _back(form: dict[str, str], party_id: int) -> str:
    """Where a resend form returns: the log page it was sent from, else the party's messages."""
    back = form.get("back", "")
    if back.startswith(f"{LOG}?") or back == LOG:
        return back
    return f"/p/channels/parties/{party_id}/messages"


async def _resend(request: Request, channel: str) -> Response:
    """Resend the email or SMS (``channel``) the form names; back to the page the form was on."""
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
        status = 409 if isinstance(exc, ConflictError) else 422  # as the JSON API answers
        return await run_in_threadpool(_messages_page, request, party_id, exc.message, status)
    return RedirectResponse(_back(form, party_id), status_code=303)


async def resend_email_post(request: Request) -> Response:
    """The resend form of an email."""
    return await _resend(request, "email")


async def resend_sms_post(request: Request) -> Response:
    """The resend form of a text message."""
    return await _resend(request, "sms")


ROUTES: list[BaseRoute] = [
    Route("/message-log", log_page, methods=["GET"]),
    Route("/parties/{party_id:id}/messages", messages_page, methods=["GET"]),
    Route("/emails/{message_id:id}/resend-form", resend_email_post, methods=["POST"]),
    Route("/sms/{message_id:id}/resend-form", resend_sms_post, methods=["POST"]),
]
