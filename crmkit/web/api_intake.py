"""The API of prospect intake: taking prospects in, the review queue of possible duplicates, merge logs.

``POST /api/v1/prospects`` runs the intake pipeline: 201 with the new prospect
(outcome ``created``, or ``review`` when it waits in the review queue), 200 with
the party it was merged into (``merged``), or a 422 problem listing the hard
findings (``rejected``; nothing is stored).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from attrs import frozen
from sqlalchemy import Select, and_, or_, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Prospect
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.intake.findings import Finding, hard
from crmkit.core.intake.merge_log import MergeLogEntry, merges_of
from crmkit.core.intake.pipeline import IntakeResult, take_in
from crmkit.core.intake.review import MatchReview, decide, get_review, list_reviews
from crmkit.core.intake.scoring import Band
from crmkit.core.pagination import Page
from crmkit.core.parties import get_party
from crmkit.core.permissions import require, visible
from crmkit.core.tables import party
from crmkit.core.visible_records import DEFAULT_LIMIT, visible_party
from crmkit.web import api_bodies as bodies
from crmkit.web.api import KEY_PARAM, check_owner
from crmkit.web.context import actor_of, crm_of
from crmkit.web.idempotency import run_post
from crmkit.web.listing import check_parameters, int_parameter
from crmkit.web.openapi import Param, operation
from crmkit.web.payloads import json_response, only_fields, read_object
from crmkit.web.problems import PROBLEM_JSON

if TYPE_CHECKING:
    from crmkit.app import Crm
    from crmkit.core.actors import Actor

API = "/api/v1"
SOURCE = "api"
"""The source of a prospect posted to the API without one of its own."""


@frozen
class IntakeAnswer:
    """What became of a prospect posted: the party it is now, with its findings and score."""

    outcome: Literal["created", "matched", "merged", "review"]
    party: Prospect | Customer | None
    """None when it was handed to the owner of a matching party (``IntakeResult.handed_over``)."""
    findings: list[Finding]
    quality: int
    score: int
    band: Band
    reviews: list[int]
    """Review queue entries opened for it (outcome ``review``)."""


@frozen
class ReviewDecision:
    """A person's decision on a possible duplicate."""

    decision: Literal["merge", "dismiss"]
    __json_input__ = True


class ProspectRejected(ValidationError):
    """A prospect failed a hard check; nothing was stored."""

    def __init__(self, result: IntakeResult) -> None:
        failed = hard(result.findings)
        super().__init__(
            failed[0].field or "prospect",
            "; ".join(f"{f.code}: {f.message}" for f in failed),
        )
        self.result = result


def rejected_problem(exc: ProspectRejected) -> Response:
    document = {
        "title": exc.title,
        "status": 422,
        "detail": f"the prospect was rejected: {exc.reason}",
        "field": exc.field,
        "findings": [f.as_json() for f in exc.result.findings],
    }
    return JSONResponse(document, 422, media_type=PROBLEM_JSON)


@operation(
    "Take a prospect in: checked, matched against every party, scored and assigned",
    request=bodies.ProspectInput,
    response=IntakeAnswer,
    status=201,
    answers={200: IntakeAnswer},
    query=(KEY_PARAM,),
    description="201: taken in as a new prospect (outcome created or review); "
    "200: merged into the party answered (outcome merged), or the party answered already"
    " has all of it (outcome matched: nothing is written).",
)
async def create_prospect(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    data = await read_object(request)

    def work(tx: Transaction) -> IntakeAnswer:
        require(crm.host, actor, "core:party.write")
        check_owner(tx.conn, data)
        result = take_in(
            tx,
            data,
            source=SOURCE,
            region=crm.settings.default_region,
            settings=crm.settings.intake,
            vouched=True,
        )
        if result.outcome == "rejected":
            raise ProspectRejected(result)
        assert result.party_id is not None
        stored = None if result.handed_over else get_party(tx.conn, result.party_id)
        assert stored is None or isinstance(stored, Prospect | Customer)
        return IntakeAnswer(
            outcome=result.outcome,
            party=stored,
            findings=list(result.findings),
            quality=result.quality,
            score=result.score,
            band=result.band,
            reviews=list(result.reviews),
        )

    try:
        return await run_post(
            request,
            work,
            status=lambda body: 200 if body["outcome"] in ("matched", "merged") else 201,
            location=_location,
        )
    except ProspectRejected as exc:
        return rejected_problem(exc)


def _location(body: dict[str, Any]) -> str | None:
    shown = body["party"]
    return None if shown is None else f"{API}/{shown['role']}s/{shown['id']}"


@operation("The parties merged into this one, oldest first", response=list[MergeLogEntry])
def party_merges(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    with crm.read() as conn:
        entity = visible_party(crm, conn, actor, request.path_params["party_id"])
        assert entity.id is not None
        return json_response(crm, merges_of(conn, entity.id))


@operation(
    "Possible duplicates waiting for a decision (or decided), oldest first",
    response=Page[MatchReview],
    query=(
        Param("status", str, "open (the default), merged or dismissed"),
        Param("limit", int, "Most items on the page (1-500)"),
        Param("cursor", str, "next_cursor of the previous page"),
    ),
)
def reviews(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    params = request.query_params
    check_parameters(params, ("status", "limit", "cursor"))
    require(crm.host, actor, "core:party.merge")
    with crm.read() as conn:
        page = list_reviews(
            conn,
            status=params.get("status", "open"),
            cursor=params.get("cursor"),
            limit=int_parameter(params, "limit", DEFAULT_LIMIT),
            parties=visible_party_ids(crm, actor),
        )
    return json_response(crm, page)


def visible_party_ids(crm: Crm, actor: Actor) -> Select[Any]:
    """The ids of the parties ``actor`` may see, prospects and customers."""
    return select(party.c.id).where(
        or_(
            *(
                and_(party.c.role == role, visible(crm.host, actor, role, party))
                for role in ("prospect", "customer")
            )
        )
    )


def decide_review(
    crm: Crm, actor: Actor, tx: Transaction, review_id: int, decision: Any
) -> MatchReview:
    """Decide a review as ``actor``, who must be allowed to merge both parties."""
    review = get_review(tx.conn, review_id)
    for party_id in (review.candidate_id, review.existing_id):
        try:
            entity = visible_party(crm, tx.conn, actor, party_id)
        except NotFound:
            # As the queue lists it: a review of a party the actor may not see is not there.
            raise NotFound(f"match review {review_id} does not exist") from None
        require(crm.host, actor, "core:party.merge", entity, conn=tx.conn)
    return decide(tx, review, decision)


@operation(
    "Decide on a possible duplicate: merge it into the existing party, or dismiss it",
    request=ReviewDecision,
    response=MatchReview,
    errors=(404, 409),
)
async def review_decision(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    review_id = request.path_params["review_id"]
    data = await read_object(request)
    only_fields(data, ("decision",))

    def work(tx: Transaction) -> MatchReview:
        return decide_review(crm, actor, tx, review_id, data.get("decision"))

    return await run_post(request, work)


ROUTES: list[BaseRoute] = [
    Route("/prospects", create_prospect, methods=["POST"], name="api_create_prospect"),
    Route("/parties/{party_id:id}/merges", party_merges, methods=["GET"], name="api_merges"),
    Route("/match-reviews", reviews, methods=["GET"], name="api_match_reviews"),
    Route(
        "/match-reviews/{review_id:id}",
        review_decision,
        methods=["POST"],
        name="api_match_review",
    ),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the kernel API."""
