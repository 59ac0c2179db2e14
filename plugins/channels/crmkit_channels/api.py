"""JSON routes under ``/p/channels/``: the message log of each channel and resending a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from attrs import frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, ValidationError, parse_whole_number
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_object
from crmkit_channels import message_log, resend
from crmkit_channels.message_log import LoggedEmail, LoggedSms
from crmkit_channels.outbox import Outbound
from crmkit_channels.sms_outbox import SmsOutbound

MAX_LIMIT = 200
RESEND_NOTE = (
    "Only a failed or unknown message is sent again, as a new message linked to it by "
    "resent_from_id, and only once. An unknown one may have reached the recipient (the worker "
    "stopped while the carrier had it): it needs confirm_duplicate true, else 422 naming that "
    "field. 404 for a message of a party the user may not see; 409 for one not failed or "
    "unknown, or resent already."
)


@frozen
class ResendInput:
    """The body of a resend."""

    # The OpenAPI document then requires only the fields without a default.
    __json_input__: ClassVar[bool] = True

    confirm_duplicate: bool = False
    """The user accepts that an ``unknown`` message may arrive twice."""


def _list_params(statuses: tuple[str, ...]) -> tuple[Param, ...]:
    return (
        Param("party_id", int, "Only this party's (404 if the user may not see it)"),
        Param("status", str, f"Only in this state: {', '.join(statuses)}"),
        Param("cursor", str, "The next_cursor of the previous page"),
        Param("limit", int, f"At most this many (1 to {MAX_LIMIT}, default 50)"),
    )


def _paging(request: Request) -> dict[str, Any]:
    params = request.query_params
    party_id = params.get("party_id")
    limit = params.get("limit")
    return {
        "party_id": None
        if party_id is None
        else parse_whole_number("party_id", party_id, minimum=1),
        "status": params.get("status"),
        "cursor": params.get("cursor"),
        "limit": 50
        if limit is None
        else parse_whole_number("limit", limit, minimum=1, maximum=MAX_LIMIT),
    }


def _list(request: Request, lister: Callable[..., Page[Any]]) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        return json_response(crm, lister(crm.host, conn, actor, **_paging(request)))


def _one(request: Request, channel: str, key: str) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = message_log.get_message(crm.host, conn, actor, channel, request.path_params[key])
    return json_response(crm, found)


async def _resend(request: Request, work: Callable[..., Any], key: str) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request) if await request.body() else {}
    unknown = sorted(set(body) - {"confirm_duplicate"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    confirmed = body.get("confirm_duplicate", False)
    if not isinstance(confirmed, bool):
        raise ValidationError("confirm_duplicate", "expected true or false")

    def run() -> Any:
        with crm.transaction(actor) as tx:
            return work(tx, request.path_params[key], confirm_duplicate=confirmed)

    return json_response(crm, await run_in_threadpool(run), 201)


@operation(
    "The emails to the parties the user may see, newest first",
    response=Page[LoggedEmail],
    query=_list_params(message_log.EMAIL_STATUSES),
)
def get_emails(request: Request) -> Response:
    return _list(request, message_log.list_emails)


@operation("One email with its delivery state", response=LoggedEmail, errors=(404,))
def get_email(request: Request) -> Response:
    return _one(request, "email", "email_id")


@operation(
    "Send a failed or unknown email again, as a new email",
    request=ResendInput,
    response=Outbound,
    status=201,
    errors=(404, 409),
    description=RESEND_NOTE,
)
async def post_email_resend(request: Request) -> Response:
    return await _resend(request, resend.resend_email, "email_id")


@operation(
    "The text messages to the parties the user may see, newest first",
    response=Page[LoggedSms],
    query=_list_params(message_log.SMS_STATUSES),
)
def get_sms_list(request: Request) -> Response:
    return _list(request, message_log.list_sms)


@operation("One text message with its delivery state", response=LoggedSms, errors=(404,))
def get_sms(request: Request) -> Response:
    return _one(request, "sms", "sms_id")


@operation(
    "Send a failed or unknown text message again, as a new one",
    request=ResendInput,
    response=SmsOutbound,
    status=201,
    errors=(404, 409),
    description=RESEND_NOTE,
)
async def post_sms_resend(request: Request) -> Response:
    return await _resend(request, resend.resend_sms, "sms_id")


ROUTES: list[BaseRoute] = [
    Route("/emails", get_emails, methods=["GET"]),
    Route("/emails/{email_id:id}", get_email, methods=["GET"]),
    Route("/emails/{email_id:id}/resend", post_email_resend, methods=["POST"]),
    Route("/sms", get_sms_list, methods=["GET"]),
    Route("/sms/{sms_id:id}", get_sms, methods=["GET"]),
    Route("/sms/{sms_id:id}/resend", post_sms_resend, methods=["POST"]),
]
