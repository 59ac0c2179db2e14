"""The invitations part's JSON API under ``/p/surveys/``: sends, a survey's invitations, its
open link, after-event rules; and the public open link ``/p/surveys/o/{token}``.

Reading needs ``surveys:survey.read``; sending and open links ``surveys:send.write``; rules
``surveys:rule.write``. Invitations are listed and counted only for the parties the reader
sees (and the anonymous ones).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, parse_whole_number, read_choice
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_surveys.invitations import listing, open_links, rules, sends
from crmkit_surveys.invitations.access import RULE_WRITE, SEND_WRITE, SURVEY_READ
from crmkit_surveys.invitations.bodies import PreviewInput, RuleInput, SendInput
from crmkit_surveys.invitations.model import AudienceSize, InvitationItem, OpenLink, Rule, Send
from crmkit_surveys.invitations.open_page import ROUTES as PUBLIC_ROUTES
from crmkit_surveys.invitations.seen_audience import as_seen
from crmkit_surveys.invitations.tables import INVITATION_STATUSES

INVITATION_LIMIT = 500


def _survey_id(request: Request) -> int:
    survey_id: int = request.path_params["survey_id"]
    return survey_id


@operation(
    "A survey's sends, newest first",
    response=list[Send],
    description="A send to parties named by id lists only those the reader sees "
    "(audience.party_ids) and counts the others (audience.hidden_parties).",
)
def list_sends(request: Request) -> Response:
    check_query(request)
    found = read_as(
        request,
        SURVEY_READ,
        lambda tx: as_seen(tx, sends.list_sends(tx.conn, _survey_id(request))),
    )
    return json_response(crm_of(request), found)


@operation(
    "Send the survey's published version to an audience",
    request=SendInput,
    response=Send,
    status=201,
    errors=(409,),
    description="Invites, in one transaction, the audience's parties the sender sees that have "
    "an address for the channel and consent for the invitations' purpose and were not invited "
    "to the survey within the quiet period; the others count as skipped. 422 naming the field "
    "for bad input (an unknown segment, a text without {{ survey_url }}); 409 when the survey "
    "is not active with a published version.",
)
async def post_send(request: Request) -> Response:
    body = await read_object(request)
    made = await write_as(
        request, SEND_WRITE, lambda tx: sends.create_send(tx, _survey_id(request), body)
    )
    return json_response(crm_of(request), made, 201)


@operation(
    "How many parties a send would reach now, sending nothing",
    request=PreviewInput,
    response=AudienceSize,
)
async def post_preview(request: Request) -> Response:
    body = await read_object(request)
    found = read_as(
        request, SEND_WRITE, lambda tx: sends.audience_size(tx, _survey_id(request), body)
    )
    return json_response(crm_of(request), found)


@operation("One send of a survey", response=Send)
def get_send(request: Request) -> Response:
    check_query(request)
    send_id: int = request.path_params["send_id"]
    found = read_as(
        request,
        SURVEY_READ,
        lambda tx: as_seen(tx, [sends.get_send(tx.conn, _survey_id(request), send_id)])[0],
    )
    return json_response(crm_of(request), found)


@operation(
    "A survey's invitations, by id",
    response=list[InvitationItem],
    query=(
        Param("status", str, f"Only this status ({', '.join(INVITATION_STATUSES)})"),
        Param("after", int, "Only invitations after this id (the last one of the page before)"),
        Param("limit", int, f"At most this many (1 to {INVITATION_LIMIT}, default 100)"),
    ),
    description="Only invitations of parties the reader sees, and anonymous ones of open links.",
)
def list_invitations(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request, ("status", "after", "limit"))
    params = request.query_params
    status = (
        read_choice("status", params["status"], INVITATION_STATUSES) if "status" in params else None
    )
    after = parse_whole_number("after", params["after"]) if "after" in params else 0
    limit = (
        parse_whole_number("limit", params["limit"], minimum=1, maximum=INVITATION_LIMIT)
        if "limit" in params
        else 100
    )
    found = read_as(
        request,
        SURVEY_READ,
        lambda tx: listing.list_invitations(
            tx.conn, crm.host, actor, _survey_id(request), status=status, after=after, limit=limit
        ),
    )
    return json_response(crm, found)


@operation("How many of a survey's invitations are at each status", response=dict[str, int])
def get_counts(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_query(request)
    found = read_as(
        request,
        SURVEY_READ,
        lambda tx: listing.status_counts(tx.conn, crm.host, actor, _survey_id(request)),
    )
    return json_response(crm, found)


@operation(
    "Make (or rotate) the survey's open link",
    response=OpenLink,
    status=201,
    errors=(409,),
    description="The link is shown only here: only its hash is kept. The link it replaces "
    "opens nothing any more. 409 for a survey that is not active with a published version.",
)
async def post_open_link(request: Request) -> Response:
    made = await write_as(
        request, SEND_WRITE, lambda tx: open_links.make_open_link(tx, _survey_id(request))
    )
    return json_response(crm_of(request), made, 201)


@operation("Withdraw the survey's open link", status=204)
async def delete_open_link(request: Request) -> Response:
    await write_as(
        request, SEND_WRITE, lambda tx: open_links.revoke_open_link(tx, _survey_id(request))
    )
    return Response(status_code=204)


@operation(
    "After-event rules, by id",
    response=list[Rule],
    query=(Param("survey_id", int, "Only the rules of this survey"),),
)
def list_rules(request: Request) -> Response:
    check_query(request, ("survey_id",))
    given = request.query_params.get("survey_id")
    survey_id = parse_whole_number("survey_id", given, minimum=1) if given is not None else None
    found = read_as(request, SURVEY_READ, lambda tx: rules.list_rules(tx.conn, survey_id))
    return json_response(crm_of(request), found)


@operation(
    "Define an after-event rule",
    request=RuleInput,
    response=Rule,
    status=201,
    description="422 naming the field: an event type the CRM does not register, conditions "
    "that are not lists of values, a text without {{ survey_url }}, an unknown survey.",
)
async def post_rule(request: Request) -> Response:
    body = await read_object(request)
    made = await write_as(request, RULE_WRITE, lambda tx: rules.create_rule(tx, body))
    return json_response(crm_of(request), made, 201)


@operation("One after-event rule", response=Rule)
def get_rule(request: Request) -> Response:
    check_query(request)
    rule_id: int = request.path_params["rule_id"]
    found = read_as(request, SURVEY_READ, lambda tx: rules.get_rule(tx.conn, rule_id))
    return json_response(crm_of(request), found)


@operation(
    "Change an after-event rule",
    request=RuleInput,
    response=Rule,
    errors=(409,),
    description=(
        "Any of the fields, with the version read (required: 422 without it); a stale one is a 409."
    ),
)
async def patch_rule(request: Request) -> Response:
    data = await read_object(request)
    version = optional_version(data)
    changes = {name: value for name, value in data.items() if name != "version"}
    rule_id: int = request.path_params["rule_id"]

    def change(tx: Transaction) -> Rule:
        return rules.update_rule(tx, rule_id, changes, version=version)

    changed = await write_as(request, RULE_WRITE, change)
    return json_response(crm_of(request), changed)


@operation(
    "Delete an after-event rule",
    status=204,
    description="Its invitations still waiting for their delay are deleted; sent ones stay.",
)
async def delete_rule(request: Request) -> Response:
    rule_id: int = request.path_params["rule_id"]
    await write_as(request, RULE_WRITE, lambda tx: rules.delete_rule(tx, rule_id))
    return Response(status_code=204)


ROUTES: list[BaseRoute] = [
    *PUBLIC_ROUTES,
    Route("/surveys/{survey_id:id}/sends", list_sends),
    Route("/surveys/{survey_id:id}/sends", post_send, methods=["POST"]),
    Route("/surveys/{survey_id:id}/sends/preview", post_preview, methods=["POST"]),
    Route("/surveys/{survey_id:id}/sends/{send_id:id}", get_send),
    Route("/surveys/{survey_id:id}/invitations", list_invitations),
    Route("/surveys/{survey_id:id}/invitations/counts", get_counts),
    Route("/surveys/{survey_id:id}/open-link", post_open_link, methods=["POST"]),
    Route("/surveys/{survey_id:id}/open-link", delete_open_link, methods=["DELETE"]),
    Route("/rules", list_rules),
    Route("/rules", post_rule, methods=["POST"]),
    Route("/rules/{rule_id:id}", get_rule),
    Route("/rules/{rule_id:id}", patch_rule, methods=["PATCH"]),
    Route("/rules/{rule_id:id}", delete_rule, methods=["DELETE"]),
]
