"""The results part's JSON API under /p/campaigns/: results, costs and responses of a campaign.

Refusals are problem documents (RFC 9457) naming the field; nothing is stored.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, check_fields, require, utcnow
from crmkit.web import actor_of, crm_of, json_response, operation, read_object
from crmkit_campaigns.campaigns.definition import get_campaign
from crmkit_campaigns.results import costs, responses
from crmkit_campaigns.results.access import RESULTS_READ
from crmkit_campaigns.results.bodies import CostInput, ResponseInput
from crmkit_campaigns.results.links import read_member_token
from crmkit_campaigns.results.report import read_results

RESPONSE_FIELDS = ("token", "person", "message", "consents")


def _campaign_id(request: Request) -> int:
    campaign_id: int = request.path_params["campaign_id"]
    return campaign_id


@operation(
    "A campaign's results: members by status, the funnel per channel and variant, costs, "
    "budget, attributed revenue and ROI by model",
    description="Only members and conversions of parties the actor sees count.",
)
def get_results(request: Request) -> Response:
    crm = crm_of(request)
    return json_response(crm, read_results(crm, actor_of(request), _campaign_id(request)))


@operation("A campaign's costs, oldest first")
def list_costs(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), RESULTS_READ)
    with crm.read() as conn:
        get_campaign(conn, _campaign_id(request))  # NotFound for a campaign that does not exist
        found = costs.costs_of(conn, _campaign_id(request))
    return json_response(crm, [c.as_json() for c in found])


@operation(
    "Enter a cost of a campaign",
    request=CostInput,
    status=201,
    description="A cost over the budget is stored; the results flag over_budget.",
)
async def post_cost(request: Request) -> Response:
    body = await read_object(request)
    crm = crm_of(request)
    added = await crm.write(
        lambda tx: costs.add_cost(tx, _campaign_id(request), body), actor_of(request)
    )
    return json_response(crm, added.as_json(), 201)


@operation("Remove a cost entered by mistake", status=204)
async def delete_cost(request: Request) -> Response:
    crm = crm_of(request)
    cost_id: int = request.path_params["cost_id"]
    await crm.write(
        lambda tx: costs.delete_cost(tx, _campaign_id(request), cost_id), actor_of(request)
    )
    return Response(status_code=204)


@operation(
    "Record a response to a campaign from a landing page",
    request=ResponseInput,
    status=201,
    description="The person is taken in through the prospect intake with the source "
    "campaign:<id>; a member's token (tampered: 404) names the member instead. party_id is "
    "null when intake handed the person to a colleague.",
)
async def post_response(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, RESPONSE_FIELDS)
    crm, actor = crm_of(request), actor_of(request)
    campaign_id = _campaign_id(request)
    # Taking a person in changes parties: the same right as the kernel's prospect API.
    require(crm.host, actor, "core:party.write")
    member_id = _member_of_token(crm, body)
    client = request.client.host if request.client else "unknown"

    def record(tx: Transaction) -> Any:
        evidence = (
            f"response to campaign {campaign_id} over the API by {actor.username} "
            f"from {client} at {utcnow().isoformat()}"
        )
        return responses.record_response(
            tx,
            campaign_id,
            via="api",
            member_id=member_id,
            person=body.get("person"),
            message=body.get("message"),
            consents=body.get("consents") or [],
            evidence=evidence,
        )

    stored = await crm.write(record, actor)
    return json_response(crm, stored, 201)


def _member_of_token(crm: Any, body: dict[str, Any]) -> int | None:
    """The member the body's ``token`` names (NotFound for a token this CRM did not sign),
    or None without a token. A token names the person: a ``person`` beside it is refused."""
    token = body.get("token")
    if token is None:
        return None
    if not isinstance(token, str):
        raise ValidationError("token", "expected the token of the member's response link")
    if body.get("person") is not None:
        raise ValidationError("person", "give a member's token or a person, not both")
    return read_member_token(crm, token)


ROUTES: list[BaseRoute] = [
    Route("/campaigns/{campaign_id:id}/results", get_results, methods=["GET"]),
    Route("/campaigns/{campaign_id:id}/costs", list_costs, methods=["GET"]),
    Route("/campaigns/{campaign_id:id}/costs", post_cost, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/costs/{cost_id:id}", delete_cost, methods=["DELETE"]),
    Route("/campaigns/{campaign_id:id}/responses", post_response, methods=["POST"]),
]
