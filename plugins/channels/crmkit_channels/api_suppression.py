"""JSON routes under ``/p/channels/suppressions``: the suppression list, for whoever administers it."""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Page, ValidationError, parse_whole_number
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_object
from crmkit_channels import suppression
from crmkit_channels.api import MAX_LIMIT
from crmkit_channels.suppression import Suppression

NEEDS = f"Needs {suppression.ADMIN.name}."


@frozen
class SuppressionInput:
    """An address to send no email to, and why (optional)."""

    # The OpenAPI document then requires only the fields without a default.
    __json_input__: ClassVar[bool] = True
    address: str = field(metadata={"json": {"maxLength": 320}})
    detail: str | None = field(
        default=None, metadata={"json": {"maxLength": suppression.MAX_DETAIL}}
    )


@operation(
    "The suppressed email addresses, newest first",
    response=Page[Suppression],
    query=(
        Param("cursor", str, "The next_cursor of the previous page"),
        Param("limit", int, f"At most this many (1 to {MAX_LIMIT}, default 50)"),
    ),
    errors=(403,),
    description=f"{NEEDS} An entry whose party was erased shows no address: only its hash is kept.",
)
def get_suppressions(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    limit = params.get("limit")
    with crm.read() as conn:
        found = suppression.page_suppressions(
            crm.host,
            conn,
            actor,
            cursor=params.get("cursor"),
            limit=50
            if limit is None
            else parse_whole_number("limit", limit, minimum=1, maximum=MAX_LIMIT),
        )
    return json_response(crm, found)


@operation(
    "Put an email address on the suppression list: no email is sent to it any more",
    request=SuppressionInput,
    response=Suppression,
    status=201,
    errors=(403, 409),
    description=f"{NEEDS} The reason is manual; an address on the list already is a 409.",
)
async def post_suppression(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)
    unknown = sorted(set(body) - {"address", "detail"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    address, detail = body.get("address"), body.get("detail")
    if not isinstance(address, str):
        raise ValidationError("address", "required: an email address")
    if detail is not None and not isinstance(detail, str):
        raise ValidationError("detail", "expected text")

    def run() -> Suppression:
        with crm.transaction(actor) as tx:
            return suppression.add_suppression(tx, address, detail)

    return json_response(crm, await run_in_threadpool(run), 201)


@operation(
    "Take an entry off the suppression list: its address may be emailed again",
    status=204,
    errors=(403, 404),
    description=NEEDS,
)
def delete_suppression(request: Request) -> Response:
    crm = crm_of(request)
    with crm.transaction(actor_of(request)) as tx:
        suppression.remove_suppression(tx, request.path_params["entry_id"])
    return Response(status_code=204)


ROUTES: list[BaseRoute] = [
    Route("/suppressions", get_suppressions, methods=["GET"]),
    Route("/suppressions", post_suppression, methods=["POST"]),
    Route("/suppressions/{entry_id:id}", delete_suppression, methods=["DELETE"]),
]
