"""Web pages: the pipeline board by stage, an opportunity's page, "my activities"; their forms.

Stage changes and completions are plain form posts (no drag and drop); a refused
change shows the page again with the reason, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConflictError,
    MenuItem,
    NotFound,
    ValidationError,
    get_party,
    is_allowed,
    parse_whole_number,
    party_table,
    require,
    user_table,
    utcnow,
    visible,
)
from crmkit.web import actor_of, crm_of, page_response, read_form, render_panels
from crmkit_sfa.pipeline import activities, fields, pipelines, service
from crmkit_sfa.pipeline.routes import (
    create_opportunity_as_actor,
    visible_activity,
    visible_opportunity,
)
from crmkit_sfa.pipeline.tables import opportunity, stage_change
from crmkit_sfa.quotes.paging import MAX_LIMIT
from crmkit_sfa.quotes.quotations import list_quotations

BOARD_CARDS = 50
"""Per stage, the board shows the soonest-closing open opportunities."""

MENU = [
    MenuItem("Pipeline", "/p/sfa/board", "sfa:opportunity.read", order=40),
    MenuItem("My activities", "/p/sfa/activities/mine", "sfa:activity.read", order=41),
]


def _names(conn: Connection, table: Any, column: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = conn.execute(select(table.c.id, column).where(table.c.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


def _version(form: dict[str, str]) -> int | None:
    raw = form.get("version", "")
    return parse_whole_number("version", raw, minimum=1) if raw else None


def board(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The open opportunities of one pipeline the actor may see, in a column per stage."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:opportunity.read")
    with crm.read() as conn:
        known = pipelines.all_pipelines(crm, conn)
        key = request.query_params.get("pipeline", known[0].key)
        chosen = pipelines.require_pipeline(crm, conn, key)
        columns = []
        for stage in chosen.stages:
            rows = conn.execute(
                select(opportunity)
                .where(
                    opportunity.c.pipeline == chosen.key,
                    opportunity.c.status == "open",
                    opportunity.c.stage == stage.key,
                    visible(crm.host, actor, "sfa.opportunity", opportunity),
                )
                .order_by(opportunity.c.expected_close.is_(None), opportunity.c.expected_close)
                .limit(BOARD_CARDS)
            )
            columns.append((stage, [service.opportunity_of(row) for row in rows]))
        cards = [card for _, stage_cards in columns for card in stage_cards]
        parties = _names(conn, party_table, party_table.c.display_name, {c.party_id for c in cards})
        owners = _names(conn, user_table, user_table.c.display_name, {c.owner_id for c in cards})
    return page_response(
        request,
        "sfa/pipeline_board.html",
        status=status,
        pipeline=chosen,
        pipelines=known,
        columns=columns,
        parties=parties,
        owners=owners,
        error=error,
    )


def opportunity_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    """One opportunity: its fields, stage form, activities, quotations and stage history."""
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        deal = visible_opportunity(request, conn, "sfa:opportunity.read")
        pipeline = pipelines.pipeline_of(crm, deal.pipeline, conn)
        history = conn.execute(
            select(stage_change)
            .where(stage_change.c.opportunity_id == deal.id)
            .order_by(stage_change.c.changed_at, stage_change.c.id)
        ).all()
        planned = activities.activities_of_opportunity(conn, deal.id)
        here = pipeline.stage(deal.stage)
        unmet = (
            service.unmet_exit_criteria(conn, deal, here) if here and deal.status == "open" else []
        )
        party = _names(conn, party_table, party_table.c.display_name, {deal.party_id})
        people = {deal.owner_id, *(h.changed_by for h in history)}
        users = _names(conn, user_table, user_table.c.display_name, people)
        may_quote = is_allowed(crm.host, actor, "sfa:quote.write", deal, conn=conn)
        offers = (
            list_quotations(crm, conn, actor, opportunity_id=deal.id, limit=MAX_LIMIT).items
            if is_allowed(crm.host, actor, "sfa:quote.read")
            else None
        )
        offered = crm.host.call("sfa_opportunity_panels", app=crm, actor=actor, opportunity=deal)
        panels = render_panels(conn, [panel for found in offered for panel in found])
    return page_response(
        request,
        "sfa/pipeline_opportunity.html",
        status=status,
        deal=deal,
        pipeline=pipeline,
        history=history,
        activities=planned,
        party_name=party.get(deal.party_id, ""),
        users=users,
        unmet=[why for _, why in unmet],
        quotations=offers,
        may_quote=may_quote,
        panels=panels,
        error=error,
        now=utcnow(),
    )


def my_activities(request: Request, error: str | None = None, status: int = 200) -> Response:
    """The actor's planned activities, soonest due first; overdue ones are marked."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:activity.read")
    with crm.read() as conn:
        mine = [] if actor.user_id is None else activities.activities_of_owner(conn, actor.user_id)
        parties = _names(conn, party_table, party_table.c.display_name, {a.party_id for a in mine})
    return page_response(
        request,
        "sfa/pipeline_activities.html",
        status=status,
        activities=mine,
        parties=parties,
        now=utcnow(),
        error=error,
    )


async def _post(
    request: Request, act: Callable[[dict[str, str]], str], refused: Callable[..., Response]
) -> Response:
    """Run ``act`` on the posted form; go where it says, or show ``refused`` with the reason."""
    form = await read_form(request)
    try:
        target = await run_in_threadpool(act, form)
    except (ValidationError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return await run_in_threadpool(refused, request, str(exc), status)
    return RedirectResponse(target, status_code=303)


def _back(form: dict[str, str], default: str) -> str:
    """Where to go after a form: a page of this plugin, never elsewhere."""
    target = form.get("next", "")
    return target if target.startswith("/p/sfa/") and "//" not in target else default


async def post_stage_form(request: Request) -> Response:
    """The board's and the opportunity page's stage select."""

    def move(form: dict[str, str]) -> str:
        crm, actor = crm_of(request), actor_of(request)
        with crm.transaction(actor) as tx:
            deal = visible_opportunity(request, tx.conn, "sfa:opportunity.write")
            service.change_stage(tx, deal.id, form.get("stage"), _version(form))
        return _back(form, f"/p/sfa/opportunities/{deal.id}/page")

    form_next = request.query_params.get("from")
    return await _post(request, move, board if form_next == "board" else opportunity_page)


async def post_close_form(request: Request) -> Response:
    """Win or lose the opportunity from its page."""

    def close(form: dict[str, str]) -> str:
        crm, actor = crm_of(request), actor_of(request)
        with crm.transaction(actor) as tx:
            deal = visible_opportunity(request, tx.conn, "sfa:opportunity.write")
            if form.get("outcome") == "won":
                service.mark_won(tx, deal.id, _version(form))
            elif form.get("outcome") == "lost":
                service.mark_lost(tx, deal.id, form.get("lost_reason"), _version(form))
            else:
                raise ValidationError("outcome", "expected won or lost")
        return f"/p/sfa/opportunities/{deal.id}/page"

    return await _post(request, close, opportunity_page)


async def post_complete_form(request: Request) -> Response:
    """Mark an activity done from "my activities" or the opportunity page."""

    def complete(form: dict[str, str]) -> str:
        crm, actor = crm_of(request), actor_of(request)
        with crm.transaction(actor) as tx:
            item = visible_activity(request, tx.conn, "sfa:activity.write")
            activities.complete_activity(tx, item.id, form.get("outcome"), _version(form))
        return _back(form, "/p/sfa/activities/mine")

    return await _post(request, complete, my_activities)


def party_actions(entity_type: str, entity: Any) -> list[MenuItem]:
    """On a prospect's or customer's page: start an opportunity with them."""
    if entity_type not in ("prospect", "customer") or entity.id is None:
        return []
    url = f"/p/sfa/opportunities/new?party_id={entity.id}"
    return [MenuItem("New opportunity", url, "sfa:opportunity.write")]


OPPORTUNITY_FORM = ("title", "amount", "currency", "expected_close", "pipeline", "source")


def new_opportunity(
    request: Request,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    """The form of a new opportunity with the party ``?party_id=``."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, "sfa:opportunity.write")
    party_id = fields.query_id("party_id", request.query_params.get("party_id"), required=True)
    assert party_id is not None
    with crm.read() as conn:
        party = get_party(conn, party_id)
        if not is_allowed(crm.host, actor, "core:party.read", party, conn=conn):
            raise NotFound(f"party {party_id} does not exist")
        known = pipelines.all_pipelines(crm, conn)
    return page_response(
        request,
        "sfa/pipeline_new.html",
        status=status,
        party_id=party.id,
        party_name=party.display_name,
        pipelines=known,
        values=values or {"currency": crm.settings_of["sfa"].pipeline.default_currency},
        error=error,
        error_field=error.field if error else None,
    )


async def post_new_opportunity(request: Request) -> Response:
    form = await read_form(request)

    def create() -> service.Opportunity:
        data: dict[str, Any] = {k: form[k] for k in OPPORTUNITY_FORM if form.get(k, "").strip()}
        data["party_id"] = fields.query_id(
            "party_id", request.query_params.get("party_id"), required=True
        )
        return create_opportunity_as_actor(request, data)

    try:
        created = await run_in_threadpool(create)
    except ValidationError as exc:
        return await run_in_threadpool(new_opportunity, request, form, exc, 422)
    return RedirectResponse(f"/p/sfa/opportunities/{created.id}/page", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/opportunities/new", new_opportunity),
    Route("/opportunities/new", post_new_opportunity, methods=["POST"]),
    Route("/board", board),
    Route("/opportunities/{opportunity_id:id}/page", opportunity_page),
    Route("/activities/mine", my_activities),
    Route("/opportunities/{opportunity_id:id}/stage-form", post_stage_form, methods=["POST"]),
    Route("/opportunities/{opportunity_id:id}/close-form", post_close_form, methods=["POST"]),
    Route("/activities/{activity_id:id}/complete-form", post_complete_form, methods=["POST"]),
]
