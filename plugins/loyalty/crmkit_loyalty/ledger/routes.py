"""The ledger part's JSON API under /p/loyalty/: members, their entries, redemptions, adjustments.

Bad input is a 422 problem naming the field; a redemption beyond the balance, a reward out of
stock or above the member's tier, a reference reused for another request are 409s; a member
whose party the user does not see is 404, and lists leave it out.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    NotFound,
    Page,
    Transaction,
    check_fields,
    parse_whole_number,
    read_id,
    utcnow,
)
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
from crmkit_loyalty.ledger import adjustments, members, redemptions, service
from crmkit_loyalty.ledger.access import LEDGER_ADJUST, MEMBER_READ, MEMBER_WRITE
from crmkit_loyalty.ledger.bodies import AdjustInput, EnrolInput, RedeemInput
from crmkit_loyalty.ledger.members import MemberDetail, MemberSummary
from crmkit_loyalty.ledger.model import Entry, Member, Redemption

PAGE_LIMIT = 500
PAGING = (
    Param("cursor", str, "The next_cursor of the page before"),
    Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
)


def _paging(request: Request) -> tuple[str | None, int]:
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    return request.query_params.get("cursor"), limit


def _optional_id(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    return None if raw is None else parse_whole_number(name, raw, minimum=1)


def _member_id(request: Request) -> int:
    value: int = request.path_params["member_id"]
    return value


@operation(
    "Members of parties the user sees, newest first, a page at a time",
    response=Page[MemberSummary],
    query=(
        Param("programme_id", int, "Only members of this programme"),
        Param("tier_id", int, "Only members in this tier"),
        Param("q", str, "A member number, or part of the party's name"),
        *PAGING,
    ),
)
def loyalty_list_members(request: Request) -> Response:
    check_query(request, ("programme_id", "tier_id", "q", "cursor", "limit"))
    programme_id = _optional_id(request, "programme_id")
    tier_id = _optional_id(request, "tier_id")
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[MemberSummary]:
        return members.list_members(
            tx,
            programme_id=programme_id,
            tier_id=tier_id,
            q=request.query_params.get("q"),
            cursor=cursor,
            limit=limit,
        )

    return json_response(crm_of(request), read_as(request, MEMBER_READ, work))


@operation(
    "Enrol a party in a programme (201; 200 with the membership it has already)",
    request=EnrolInput,
    response=Member,
    status=201,
    answers={200: Member},
    errors=(404, 409),
    description="A party the user does not see, or no such programme: 404. A closed programme: 409.",
)
async def loyalty_post_member(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, ("programme_id", "party_id"))
    programme_id = read_id("programme_id", body.get("programme_id"))
    party_id = read_id("party_id", body.get("party_id"))

    def work(tx: Transaction) -> tuple[Member, bool]:
        return service.enrolment(tx, programme_id, party_id)

    made, new = await write_as(request, MEMBER_WRITE, work)
    return json_response(crm_of(request), made, 201 if new else 200)


@operation(
    "A member: balance, tier, points expiring within 90 days", response=MemberDetail, errors=(404,)
)
def loyalty_get_member(request: Request) -> Response:
    check_query(request)

    def work(tx: Transaction) -> MemberDetail:
        return members.member_detail(tx, _member_id(request), utcnow())

    return json_response(crm_of(request), read_as(request, MEMBER_READ, work))


@operation("A party's memberships, one per programme", response=list[MemberSummary], errors=(404,))
def loyalty_party_members(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]
    found = read_as(request, MEMBER_READ, lambda tx: members.memberships_of(tx, party_id))
    return json_response(crm_of(request), found)


@operation(
    "The member's ledger, newest entry first, a page at a time",
    response=Page[Entry],
    query=PAGING,
    errors=(404,),
)
def loyalty_list_entries(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Entry]:
        return members.entries_of(tx, _member_id(request), cursor=cursor, limit=limit)

    return json_response(crm_of(request), read_as(request, MEMBER_READ, work))


@operation(
    "The member's redemptions, newest first", response=Page[Redemption], query=PAGING, errors=(404,)
)
def loyalty_list_redemptions(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Redemption]:
        return members.redemptions_of(tx, _member_id(request), cursor=cursor, limit=limit)

    return json_response(crm_of(request), read_as(request, MEMBER_READ, work))


@operation(
    "Redeem a reward or an amount of points (201; 200 for a repeated reference)",
    request=RedeemInput,
    response=Redemption,
    status=201,
    answers={200: Redemption},
    errors=(404, 409),
    description="points below 1, an unknown or withdrawn reward: 422. Beyond the balance "
    "('only N points'), a reward out of stock or above the member's tier, a reference used "
    "for another request: 409, nothing changed.",
)
async def loyalty_post_redemption(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, ("reference", "reward_id", "points", "note"))
    reward_id = body.get("reward_id")
    arguments: dict[str, Any] = {
        "reference": body.get("reference"),
        "reward_id": None if reward_id is None else read_id("reward_id", reward_id),
        "points": body.get("points"),
        "note": body.get("note"),
    }

    def work(tx: Transaction) -> tuple[Redemption, bool]:
        members.visible_member(tx, _member_id(request))
        return redemptions.redeem_once(tx, _member_id(request), **arguments)

    made, new = await write_as(request, MEMBER_WRITE, work)
    return json_response(crm_of(request), made, 201 if new else 200)


@operation(
    "Cancel a redemption: its points back to their lots, the reward back in stock; once",
    response=Redemption,
    errors=(404, 409),
)
async def loyalty_post_cancel(request: Request) -> Response:
    redemption_id: int = request.path_params["redemption_id"]

    def work(tx: Transaction) -> Redemption:
        members.visible_member(tx, _member_id(request))
        found = redemptions.get_redemption(tx.conn, redemption_id)
        if found.member_id != _member_id(request):
            raise NotFound(f"redemption {redemption_id} does not exist")
        return redemptions.cancel(tx, redemption_id)

    return json_response(crm_of(request), await write_as(request, MEMBER_WRITE, work))


@operation(
    "The member's manual adjustments, newest first",
    response=Page[Entry],
    query=PAGING,
    errors=(404,),
)
def loyalty_list_adjustments(request: Request) -> Response:
    check_query(request, ("cursor", "limit"))
    cursor, limit = _paging(request)

    def work(tx: Transaction) -> Page[Entry]:
        return members.entries_of(
            tx, _member_id(request), cursor=cursor, limit=limit, source=adjustments.SOURCE
        )

    return json_response(crm_of(request), read_as(request, MEMBER_READ, work))


@operation(
    "Adjust the member's points by hand (signed points, a reason; 201; 200 for a repeated key)",
    request=AdjustInput,
    response=Entry,
    status=201,
    answers={200: Entry},
    errors=(404, 409),
    description="0 points or no reason: 422. Taking more than the balance, a key used for "
    "another adjustment: 409, nothing changed.",
)
async def loyalty_post_adjustment(request: Request) -> Response:
    body = await read_object(request)
    check_fields(body, ("points", "reason", "key"))

    def work(tx: Transaction) -> tuple[Entry, bool]:
        members.visible_member(tx, _member_id(request))
        return adjustments.adjust_once(
            tx,
            _member_id(request),
            body.get("points", 0),
            reason=body.get("reason", ""),
            key=body.get("key"),
        )

    made, new = await write_as(request, LEDGER_ADJUST, work)
    return json_response(crm_of(request), made, 201 if new else 200)


ROUTES: list[BaseRoute] = [
    Route("/members", loyalty_list_members, methods=["GET"]),
    Route("/members", loyalty_post_member, methods=["POST"]),
    Route("/members/{member_id:id}", loyalty_get_member, methods=["GET"]),
    Route("/members/{member_id:id}/entries", loyalty_list_entries, methods=["GET"]),
    Route("/members/{member_id:id}/redemptions", loyalty_list_redemptions, methods=["GET"]),
    Route("/members/{member_id:id}/redemptions", loyalty_post_redemption, methods=["POST"]),
    Route(
        "/members/{member_id:id}/redemptions/{redemption_id:id}/cancel",
        loyalty_post_cancel,
        methods=["POST"],
    ),
    Route("/members/{member_id:id}/adjustments", loyalty_list_adjustments, methods=["GET"]),
    Route("/members/{member_id:id}/adjustments", loyalty_post_adjustment, methods=["POST"]),
    Route("/parties/{party_id:id}/members", loyalty_party_members, methods=["GET"]),
]
