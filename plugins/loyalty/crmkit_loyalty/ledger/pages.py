"""The ledger part's pages: the members list and a member's page (balance, tier, ledger,
redeem and adjust forms, redemptions to cancel).

A redeem form carries a reference made when the page is shown: posted twice (a double click,
a reload), it redeems once. A refused form shows the page again with what was typed and why,
having stored nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    MenuItem,
    NotFound,
    Transaction,
    ValidationError,
    is_allowed,
    parse_whole_number,
    utcnow,
)
from crmkit.web import Refusal, actor_of, check_query, crm_of, page_response, read_as, submit
from crmkit_loyalty.ledger import adjustments, members, redemptions
from crmkit_loyalty.ledger.access import LEDGER_ADJUST, MEMBER_READ, MEMBER_WRITE
from crmkit_loyalty.programmes.service import rewards_of
from crmkit_loyalty.programmes.tables import programme, tier

MENU = [MenuItem("Members", "/p/loyalty/page/members", MEMBER_READ, order=71)]
PAGE_SIZE = 50


def _optional_id(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name) or None
    return None if raw is None else parse_whole_number(name, raw, minimum=1)


def members_page(request: Request) -> Response:
    """The members the user sees, newest first, filtered by programme, tier or a search."""
    check_query(request, ("programme_id", "tier_id", "q", "cursor"))
    programme_id = _optional_id(request, "programme_id")
    tier_id = _optional_id(request, "tier_id")
    q = request.query_params.get("q") or None

    def work(tx: Transaction) -> dict[str, Any]:
        page = members.list_members(
            tx,
            programme_id=programme_id,
            tier_id=tier_id,
            q=q,
            cursor=request.query_params.get("cursor"),
            limit=PAGE_SIZE,
        )
        programmes = tx.conn.execute(
            select(programme.c.id, programme.c.name).order_by(programme.c.name)
        ).all()
        tiers = tx.conn.execute(
            select(tier.c.id, tier.c.name, programme.c.name.label("programme_name"))
            .join(programme, programme.c.id == tier.c.programme_id)
            .order_by(programme.c.name, tier.c.rank)
        ).all()
        return {"page": page, "programmes": programmes, "tiers": tiers}

    found = read_as(request, MEMBER_READ, work)
    filters = {"programme_id": programme_id, "tier_id": tier_id, "q": q or ""}
    return page_response(request, "loyalty/ledger/members.html", filters=filters, **found)


def _member_page(
    request: Request,
    values: dict[str, str] | None = None,
    *,
    form: str | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    member_id: int = request.path_params["member_id"]
    check_query(request, ("cursor", "redemptions_cursor"))
    cursor = request.query_params.get("cursor")
    redemptions_cursor = request.query_params.get("redemptions_cursor")

    def work(tx: Transaction) -> dict[str, Any]:
        detail = members.member_detail(tx, member_id, utcnow())
        rewards = [
            r
            for r in rewards_of(tx.conn, detail.member.programme_id, active_only=True)
            if r.min_tier_rank <= detail.tier_rank
            and r.points <= detail.member.balance
            and (r.stock is None or r.stock > 0)
        ]
        every_reward = rewards_of(tx.conn, detail.member.programme_id, active_only=False)
        return {
            "detail": detail,
            "entries": members.entries_of(tx, member_id, cursor=cursor, limit=PAGE_SIZE),
            "redemptions": members.redemptions_of(
                tx, member_id, cursor=redemptions_cursor, limit=PAGE_SIZE
            ),
            "rewards": rewards,
            "reward_names": {r.id: r.name for r in every_reward},
        }

    found = read_as(request, MEMBER_READ, work)
    crm, actor = crm_of(request), actor_of(request)
    shown = dict(values or {})
    shown.setdefault("reference", uuid.uuid4().hex)
    return page_response(
        request,
        "loyalty/ledger/member.html",
        status=status,
        values=shown,
        form=form,
        error=error,
        error_field=getattr(error, "field", None),
        may_redeem=is_allowed(crm.host, actor, MEMBER_WRITE),
        may_adjust=is_allowed(crm.host, actor, LEDGER_ADJUST),
        **found,
    )


def member_page(request: Request) -> Response:
    return _member_page(request)


def _refused(form_name: str) -> Any:
    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _member_page(request, form, form=form_name, error=error, status=status)

    return refused


def _back(member_id: int) -> str:
    return f"/p/loyalty/page/members/{member_id}"


async def post_redeem(request: Request) -> Response:
    member_id: int = request.path_params["member_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        members.visible_member(tx, member_id)
        reward = form.get("reward_id", "").strip()
        points = form.get("points", "").strip()
        redemptions.redeem(
            tx,
            member_id,
            reward_id=parse_whole_number("reward_id", reward, minimum=1) if reward else None,
            points=_signed("points", points) if points and not reward else None,
            reference=form.get("reference", ""),
            note=form.get("note", "").strip() or None,
        )
        return _back(member_id)

    return await submit(request, MEMBER_WRITE, act, _refused("redeem"))


def _signed(field: str, text: str) -> int:
    """A whole number typed in a form, perhaps with a minus sign (refused by the service, then)."""
    negative = text.startswith("-")
    value = parse_whole_number(field, text[1:] if negative else text)
    return -value if negative else value


async def post_adjust(request: Request) -> Response:
    member_id: int = request.path_params["member_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        members.visible_member(tx, member_id)
        try:
            adjustments.adjust(
                tx,
                member_id,
                _signed("adjust_points", form.get("adjust_points", "").strip()),
                reason=form.get("reason", ""),
                key=form.get("reference") or None,
            )
        except ValidationError as refused:
            # The form's field is adjust_points, beside the redeem form's points.
            field = "adjust_points" if refused.field == "points" else refused.field
            raise ValidationError(field, refused.reason) from None
        return _back(member_id)

    return await submit(request, LEDGER_ADJUST, act, _refused("adjust"))


async def post_cancel(request: Request) -> Response:
    member_id: int = request.path_params["member_id"]
    redemption_id: int = request.path_params["redemption_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        members.visible_member(tx, member_id)
        found = redemptions.get_redemption(tx.conn, redemption_id)
        if found.member_id != member_id:
            raise NotFound(f"redemption {redemption_id} does not exist")
        redemptions.cancel(tx, redemption_id)
        return _back(member_id)

    return await submit(request, MEMBER_WRITE, act, _refused("cancel"))


ROUTES: list[BaseRoute] = [
    Route("/page/members", members_page),
    Route("/page/members/{member_id:id}", member_page),
    Route("/page/members/{member_id:id}/redeem", post_redeem, methods=["POST"]),
    Route("/page/members/{member_id:id}/adjust", post_adjust, methods=["POST"]),
    Route(
        "/page/members/{member_id:id}/redemptions/{redemption_id:id}/cancel",
        post_cancel,
        methods=["POST"],
    ),
]
