"""The earning part's page: enrolling a customer from their party page's loyalty panel.

The panel is rendered without the request, so it cannot carry the form's CSRF token: its
"Enrol" link leads here, to a form that does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    NotFound,
    Party,
    Transaction,
    ValidationError,
    parse_whole_number,
    seen_party,
)
from crmkit.web import Refusal, check_query, page_response, read_as, submit
from crmkit_loyalty.earning.access import MEMBER_WRITE
from crmkit_loyalty.ledger import service as ledger
from crmkit_loyalty.ledger.tables import member
from crmkit_loyalty.programmes.tables import programme

TEMPLATE = "loyalty/earning/enrol.html"


def _customer(tx: Transaction, party_id: int) -> Party:
    party = seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    if party.role != "customer":
        raise NotFound(f"customer {party_id} does not exist")
    return party


def _open_programmes(tx: Transaction, party_id: int) -> list[Any]:
    joined = select(member.c.programme_id).where(member.c.party_id == party_id)
    return list(
        tx.conn.execute(
            select(programme.c.id, programme.c.name)
            .where(programme.c.status == "active", programme.c.id.not_in(joined))
            .order_by(programme.c.name)
        )
    )


def _form(
    request: Request,
    values: dict[str, str],
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    party_id: int = request.path_params["party_id"]

    def load(tx: Transaction) -> tuple[Party, list[Any]]:
        return _customer(tx, party_id), _open_programmes(tx, party_id)

    party, programmes = read_as(request, MEMBER_WRITE, load)
    return page_response(
        request,
        TEMPLATE,
        status=status,
        party=party,
        programmes=programmes,
        values=values,
        error=error,
        error_field=getattr(error, "field", None),
    )


def enrol_form(request: Request) -> Response:
    """Which programme to enrol the customer in (the panel's link preselects one)."""
    check_query(request, ("programme_id",))
    return _form(request, {"programme_id": request.query_params.get("programme_id", "")})


async def post_enrol(request: Request) -> Response:
    party_id: int = request.path_params["party_id"]

    def act(tx: Transaction, form: dict[str, str]) -> str:
        _customer(tx, party_id)
        programme_id = parse_whole_number(
            "programme_id", form.get("programme_id", "").strip(), minimum=1
        )
        if programme_id not in {p.id for p in _open_programmes(tx, party_id)}:
            raise ValidationError(
                "programme_id", "is no active programme the customer may still join"
            )
        made = ledger.enrol(tx, programme_id, party_id)
        return f"/p/loyalty/page/members/{made.id}"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        return _form(request, form, error, status)

    return await submit(request, MEMBER_WRITE, act, refused)


ROUTES: list[BaseRoute] = [
    Route("/page/parties/{party_id:id}/enrol", enrol_form),
    Route("/page/parties/{party_id:id}/enrol", post_enrol, methods=["POST"]),
]
