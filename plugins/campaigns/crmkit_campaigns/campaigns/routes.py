"""JSON routes under ``/p/campaigns/campaigns``: define campaigns, target, start, pause,
resume and cancel them, and read their members.

Reading needs ``campaigns:campaign.read``, defining ``campaigns:campaign.write`` and the
actions ``campaigns:campaign.send``. Members are listed and counted only for the parties
the reader sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, read_choice
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_campaigns.campaigns import definition, lifecycle, members
from crmkit_campaigns.campaigns.access import CAMPAIGN_READ, CAMPAIGN_SEND, CAMPAIGN_WRITE
from crmkit_campaigns.campaigns.bodies import ActionInput, CampaignInput
from crmkit_campaigns.campaigns.lifecycle import Targeting
from crmkit_campaigns.campaigns.model import Campaign, MemberCounts
from crmkit_campaigns.campaigns.tables import MEMBER_STATUSES

MEMBER_LIMIT = 500


def _campaign_id(request: Request) -> int:
    campaign_id: int = request.path_params["campaign_id"]
    return campaign_id


@operation(
    "Campaigns, newest first",
    response=list[Campaign],
    query=(
        Param("status", str, "Only this status (draft, scheduled, sending, paused, ...)"),
        Param("kind", str, "one_off or triggered"),
    ),
)
def list_campaigns(request: Request) -> Response:
    check_query(request, ("status", "kind"))
    params = request.query_params
    found = read_as(
        request,
        CAMPAIGN_READ,
        lambda tx: definition.list_campaigns(
            tx.conn, status=params.get("status"), kind=params.get("kind")
        ),
    )
    return json_response(crm_of(request), found)


@operation(
    "Define a campaign (a draft)",
    request=CampaignInput,
    response=Campaign,
    status=201,
    description="Refused (422, naming the field) when anything cannot be taken: a template "
    "that does not render, splits that do not sum to 100, an unknown time zone.",
)
async def post_campaign(request: Request) -> Response:
    body = await read_object(request)
    made = await write_as(request, CAMPAIGN_WRITE, lambda tx: definition.create_campaign(tx, body))
    return json_response(crm_of(request), made, 201)


@operation("One campaign with its messages", response=Campaign)
def get_campaign(request: Request) -> Response:
    found = read_as(
        request, CAMPAIGN_READ, lambda tx: definition.get_campaign(tx.conn, _campaign_id(request))
    )
    return json_response(crm_of(request), found)


@operation(
    "Change a campaign",
    request=CampaignInput,
    response=Campaign,
    errors=(409,),
    description="Who gets which message changes only in a draft (422 naming the field); "
    "a stale version or a finished campaign is a 409.",
)
async def patch_campaign(request: Request) -> Response:
    data = await read_object(request)
    version = optional_version(data)
    changes = {name: value for name, value in data.items() if name != "version"}

    def change(tx: Transaction) -> Campaign:
        return definition.update_campaign(tx, _campaign_id(request), changes, version=version)

    changed = await write_as(request, CAMPAIGN_WRITE, change)
    return json_response(crm_of(request), changed)


@operation("Delete a draft campaign", status=204, errors=(409,))
async def delete_campaign(request: Request) -> Response:
    await write_as(
        request, CAMPAIGN_WRITE, lambda tx: definition.delete_campaign(tx, _campaign_id(request))
    )
    return Response(status_code=204)


def _action(
    act: Callable[..., Any], summary: str, response: Any, description: str
) -> Callable[[Request], Any]:
    @operation(
        summary, request=ActionInput, response=response, errors=(409,), description=description
    )
    async def endpoint(request: Request) -> Response:
        data = await read_object(request) if await request.body() else {}
        unknown = sorted(set(data) - {"version"})
        if unknown:
            raise ValidationError(unknown[0], "unknown field")
        version = optional_version(data)
        done = await write_as(
            request, CAMPAIGN_SEND, lambda tx: act(tx, _campaign_id(request), version=version)
        )
        return json_response(crm_of(request), done)

    endpoint.__name__ = f"post_{act.__name__}"
    return endpoint


post_target = _action(
    lifecycle.target,
    "Enter the members of the campaign's segment or list",
    Targeting,
    "Only parties the user sees, that consent on one of the campaign's channels and have an "
    "address or number, become members. None at all is refused: 422 naming target.",
)
post_start = _action(
    lifecycle.start,
    "Start a draft: sending from starts_at",
    Campaign,
    "Each message is rendered for one member first (422 naming variants[i] if it does not "
    "render); a campaign without members is refused (422 naming target); not a draft: 409.",
)
post_pause = _action(
    lifecycle.pause, "Pause a scheduled or sending campaign", Campaign, "Otherwise 409."
)
post_resume = _action(lifecycle.resume, "Resume a paused campaign", Campaign, "Otherwise 409.")
post_cancel = _action(
    lifecycle.cancel,
    "Cancel a campaign: members not yet queued become cancelled",
    Campaign,
    "A cancelled or completed campaign: 409.",
)


@operation("How many of a campaign's members are at each status", response=MemberCounts)
def get_counts(request: Request) -> Response:
    counts = read_as(
        request,
        CAMPAIGN_READ,
        lambda tx: members.member_counts(tx.conn, tx.hooks, tx.actor, _campaign_id(request)),
    )
    return json_response(crm_of(request), counts)


@operation(
    "A campaign's members, by id",
    response=list[members.Member],
    query=(
        Param("status", str, "Only this status"),
        Param("after", int, "Only members after this member id (the last one of the page before)"),
        Param("limit", int, f"At most this many (1 to {MEMBER_LIMIT}, default 100)"),
    ),
)
def list_members(request: Request) -> Response:
    check_query(request, ("status", "after", "limit"))
    params = request.query_params
    status = (
        read_choice("status", params["status"], MEMBER_STATUSES) if "status" in params else None
    )
    after = parse_whole_number("after", params["after"]) if "after" in params else 0
    limit = (
        parse_whole_number("limit", params["limit"], minimum=1, maximum=MEMBER_LIMIT)
        if "limit" in params
        else 100
    )
    found = read_as(
        request,
        CAMPAIGN_READ,
        lambda tx: members.list_members(
            tx.conn,
            tx.hooks,
            tx.actor,
            _campaign_id(request),
            status=status,
            after=after,
            limit=limit,
        ),
    )
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/campaigns", list_campaigns),
    Route("/campaigns", post_campaign, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}", get_campaign),
    Route("/campaigns/{campaign_id:id}", patch_campaign, methods=["PATCH"]),
    Route("/campaigns/{campaign_id:id}", delete_campaign, methods=["DELETE"]),
    Route("/campaigns/{campaign_id:id}/target", post_target, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/start", post_start, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/pause", post_pause, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/resume", post_resume, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/cancel", post_cancel, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/counts", get_counts),
    Route("/campaigns/{campaign_id:id}/members", list_members),
]
