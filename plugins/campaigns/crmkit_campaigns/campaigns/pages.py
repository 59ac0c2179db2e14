"""The campaigns part's pages: the list, a campaign's page with its members by status and its
actions, and the form that defines or changes a campaign.

Every form is a plain post; a refused one shows the form (or the page) again with what was
typed and why, having stored nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    Transaction,
    ValidationError,
    is_allowed,
    parse_whole_number,
    require,
    user_table,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, submit
from crmkit_campaigns.campaigns import definition, form, lifecycle, members
from crmkit_campaigns.campaigns.access import CAMPAIGN_READ, CAMPAIGN_SEND, CAMPAIGN_WRITE
from crmkit_campaigns.campaigns.lifecycle import CANCELLABLE, PAUSABLE, STARTABLE, TARGETABLE
from crmkit_campaigns.campaigns.tables import CHANNELS, MEMBER_STATUSES, STATUSES

MENU = [MenuItem("Campaigns", "/p/campaigns/campaigns/page", CAMPAIGN_READ, order=60)]
SHOWN_MEMBERS = 50


def campaign_url(campaign_id: int) -> str:
    """The page of a campaign."""
    return f"/p/campaigns/campaigns/{campaign_id}/page"


def campaign_list(request: Request) -> Response:
    """Campaigns newest first, of one status when asked."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, CAMPAIGN_READ)
    status = request.query_params.get("status") or None
    with crm.read() as conn:
        found = definition.list_campaigns(conn, status=status)
    return page_response(
        request,
        "campaigns/campaigns/list.html",
        campaigns=found,
        statuses=STATUSES,
        shown_status=status,
        may_write=is_allowed(crm.host, actor, CAMPAIGN_WRITE),
    )


def campaign_page(request: Request, error: Refusal | None = None, status: int = 200) -> Response:
    """One campaign: its definition, its members by status (those the reader sees), its actions."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, CAMPAIGN_READ)
    campaign_id = request.path_params["campaign_id"]
    shown_status = request.query_params.get("member_status") or None
    with crm.read() as conn:
        found = definition.get_campaign(conn, campaign_id)
        counts = members.member_counts(conn, crm.host, actor, campaign_id)
        listed = members.list_members(
            conn,
            crm.host,
            actor,
            campaign_id,
            status=shown_status if shown_status in MEMBER_STATUSES else None,
            limit=SHOWN_MEMBERS,
        )
        owner = _user_names(conn).get(found.owner_id or 0, "-")
    may_send = is_allowed(crm.host, actor, CAMPAIGN_SEND)
    actions = {
        "target": found.status in TARGETABLE and found.kind == "one_off",
        "start": found.status in STARTABLE,
        "pause": found.status in PAUSABLE,
        "resume": found.status == "paused",
        "cancel": found.status in CANCELLABLE,
    }
    return page_response(
        request,
        "campaigns/campaigns/page.html",
        status=status,
        campaign=found,
        counts=counts,
        members=listed,
        member_status=shown_status,
        owner=owner,
        actions=[name for name, allowed in actions.items() if allowed] if may_send else [],
        may_write=is_allowed(crm.host, actor, CAMPAIGN_WRITE)
        and found.status not in ("cancelled", "completed"),
        error=error,
        error_field=getattr(error, "field", None),
    )


def campaign_form(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form of a new campaign, or of a stored one's changes (``campaign_id`` in the path)."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, CAMPAIGN_WRITE)
    campaign_id = request.path_params.get("campaign_id")
    found = None
    with crm.read() as conn:
        if campaign_id is not None:
            found = definition.get_campaign(conn, campaign_id)
        users = _user_names(conn)
    if values is None:
        values = form.fields_of(found) if found is not None else form.new_fields()
    return page_response(
        request,
        "campaigns/campaigns/form.html",
        status=status,
        campaign=found,
        values=values,
        slots=[form.slot_field(slot, "") for slot in range(form.slot_count(values))],
        channels=CHANNELS,
        users=users,
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_new(request: Request) -> Response:
    def create(tx: Transaction, fields: dict[str, str]) -> str:
        settings = tx.app.settings_of["campaigns"].campaigns
        data = form.definition_of(fields, settings.default_time_zone)
        with _naming_slots(fields):
            return campaign_url(definition.create_campaign(tx, data).id)

    return await submit(request, CAMPAIGN_WRITE, create, campaign_form)


async def post_edit(request: Request) -> Response:
    campaign_id = request.path_params["campaign_id"]

    def change(tx: Transaction, fields: dict[str, str]) -> str:
        current = definition.get_campaign(tx.conn, campaign_id)
        data = form.definition_of(fields, current.time_zone)
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        if current.status != "draft":
            # Only what may change outside a draft is taken; the rest of the form is shown read-only.
            data = {k: v for k, v in data.items() if k in definition.RUNNING_FIELDS}
            data.update({k: None for k in definition.RUNNING_FIELDS if k not in data})
        else:
            # A field left blank is cleared; the kind and trigger are not on the form.
            kept = ("kind", "trigger")
            data.update({k: None for k in definition.FIELDS if k not in data and k not in kept})
        with _naming_slots(fields):
            definition.update_campaign(tx, campaign_id, data, version=version)
        return campaign_url(campaign_id)

    return await submit(request, CAMPAIGN_WRITE, change, campaign_form)


@contextmanager
def _naming_slots(fields: dict[str, str]) -> Iterator[None]:
    """A refusal naming a variant (``variants[0].text``) names the form's field (``v2_text``)."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(form.slot_of_field(fields, exc.field), exc.reason) from None


def _action_form(act: Callable[..., Any]) -> Callable[[Request], Any]:
    """A button of the campaign's page: the action, then back to the page."""

    async def endpoint(request: Request) -> Response:
        campaign_id = request.path_params["campaign_id"]

        def run(tx: Transaction, fields: dict[str, str]) -> str:
            version = parse_whole_number("version", fields.get("version", ""), minimum=1)
            act(tx, campaign_id, version=version)
            return campaign_url(campaign_id)

        def again(
            request: Request, values: dict[str, str], error: Refusal, status: int
        ) -> Response:
            return campaign_page(request, error, status)

        return await submit(request, CAMPAIGN_SEND, run, again)

    return endpoint


def _user_names(conn: Any) -> dict[int, str]:
    rows = conn.execute(
        select(user_table.c.id, user_table.c.display_name).where(user_table.c.active.is_(True))
    )
    return {row.id: row.display_name for row in rows}


ROUTES: list[BaseRoute] = [
    Route("/campaigns/page", campaign_list),
    Route("/campaigns/new", campaign_form),
    Route("/campaigns/new", post_new, methods=["POST"]),
    Route("/campaigns/{campaign_id:id}/page", campaign_page),
    Route("/campaigns/{campaign_id:id}/edit", campaign_form),
    Route("/campaigns/{campaign_id:id}/edit", post_edit, methods=["POST"]),
    *(
        Route(f"/campaigns/{{campaign_id:id}}/{name}-form", _action_form(act), methods=["POST"])
        for name, act in (
            ("target", lifecycle.target),
            ("start", lifecycle.start),
            ("pause", lifecycle.pause),
            ("resume", lifecycle.resume),
            ("cancel", lifecycle.cancel),
        )
    ),
]
