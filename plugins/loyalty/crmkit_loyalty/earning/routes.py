"""The earning part's JSON API: referrals, under /p/loyalty/referrals."""

from __future__ import annotations

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import ValidationError, parse_whole_number
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    read_as,
    read_object,
    write_as,
)
from crmkit_loyalty.earning import referrals
from crmkit_loyalty.earning.access import MEMBER_READ, REFERRAL_WRITE
from crmkit_loyalty.earning.model import Referral


@frozen
class ReferralInput:
    """Member ``member_id`` referred party ``party_id`` (a prospect, or a customer who has not
    ordered yet)."""

    member_id: int
    party_id: int


@operation(
    "Record that a member referred a prospect or a new customer",
    request=ReferralInput,
    response=Referral,
    status=201,
    errors=(409,),
    description=(
        "422 naming member_id or party_id for a member or party you do not see, the member "
        "themselves, a customer who has ordered or a member of the programme already; 409 when "
        "the party was referred in the programme already, or the member is not active."
    ),
)
async def loyalty_post_referral(request: Request) -> Response:
    data = await read_object(request)
    made = await write_as(request, REFERRAL_WRITE, lambda tx: referrals.record_referral(tx, data))
    return json_response(crm_of(request), made, 201)


@operation(
    "A member's referrals, newest first",
    response=list[Referral],
    query=(Param("member_id", int, "The member whose referrals to list (required)"),),
    errors=(404,),
    description="404 for a member whose party you do not see; parties you do not see are left out.",
)
def loyalty_list_referrals(request: Request) -> Response:
    check_query(request, ("member_id",))
    raw = request.query_params.get("member_id")
    if raw is None:
        raise ValidationError("member_id", "is required")
    member_id = parse_whole_number("member_id", raw, minimum=1)
    found = read_as(request, MEMBER_READ, lambda tx: referrals.referrals_of(tx, member_id))
    return json_response(crm_of(request), found)


ROUTES: list[BaseRoute] = [
    Route("/referrals", loyalty_post_referral, methods=["POST"]),
    Route("/referrals", loyalty_list_referrals),
]
