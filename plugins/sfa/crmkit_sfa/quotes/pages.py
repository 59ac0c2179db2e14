"""Web pages of the order book: the quotation editor and the printable quotation.

The editor is a plain form (no script): a draft's terms and lines are edited
in place and sent; a sent one is revised, accepted or rejected, one button
each. Errors re-render the form with what was typed and the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConflictError,
    CrmError,
    MenuItem,
    ValidationError,
    get_party,
    is_allowed,
    parse_whole_number,
    utcnow,
)
from crmkit.web import actor_of, crm_of, page_response, read_form
from crmkit_sfa.pipeline.service import get_opportunity
from crmkit_sfa.quotes import catalogue, orders, quotations
from crmkit_sfa.quotes.paging import MAX_LIMIT
from crmkit_sfa.quotes.quotations import MAX_LINES, Quotation

BLANK_LINES = 3
"""Empty rows under a draft's lines, for adding products without a script."""
LINE_INPUTS = (
    "product_code",
    "description",
    "quantity",
    "unit_price",
    "discount",
    "tax_rate",
    "requested_date",
)
ACTIONS: dict[str, Callable[..., Any]] = {
    "send": quotations.send_quotation,
    "reject": quotations.reject_quotation,
    "accept": orders.accept_quotation,
}


def _rows(form: dict[str, str], input_name: str = r"\w+") -> set[int]:
    """The numbers of the form's line rows having an ``input_name`` input."""
    # Row numbers as the editor writes them (its lines and blank rows): any other is not its field.
    return {
        int(m.group(1))
        for name in form
        if (m := re.fullmatch(rf"line-(0|[1-9][0-9]{{0,2}})-{input_name}", name))
        and int(m.group(1)) < MAX_LINES + BLANK_LINES
    }


def _filled_rows(form: dict[str, str]) -> list[int]:
    """The form's line rows that name a product, in order (blank rows are skipped)."""
    rows = _rows(form, "product_code")
    return [i for i in sorted(rows) if form[f"line-{i}-product_code"].strip()]


def _changes(form: dict[str, str]) -> dict[str, Any]:
    price_list = form.get("price_list_id", "")
    lines = []
    for i in _filled_rows(form):
        row = {name: form.get(f"line-{i}-{name}", "").strip() for name in LINE_INPUTS}
        lines.append({name: value for name, value in row.items() if value})
    return {
        "valid_until": form.get("valid_until") or None,
        "terms": form.get("terms") or None,
        "price_list_id": parse_whole_number("price_list_id", price_list, minimum=1)
        if price_list
        else None,
        "lines": lines,
    }


def _form_field(error_field: str, form: dict[str, str] | None) -> str:
    """The form input a service's field names: ``lines[1].quantity`` is the second filled row's."""
    found = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", error_field)
    if found is None or form is None:
        return error_field
    rows = _filled_rows(form)
    index = int(found.group(1))
    row = rows[index] if index < len(rows) else index
    return f"line-{row}-{found.group(2)}"


def _form_values(found: Quotation) -> dict[str, str]:
    values = {
        "valid_until": found.valid_until.isoformat(),
        "terms": found.terms or "",
        "price_list_id": str(found.price_list_id or ""),
    }
    for i, line in enumerate(found.lines):
        values.update(
            {
                f"line-{i}-product_code": line.product_code,
                f"line-{i}-description": line.description,
                f"line-{i}-quantity": str(line.quantity),
                f"line-{i}-unit_price": str(line.unit_price),
                f"line-{i}-discount": str(line.discount),
                f"line-{i}-tax_rate": str(line.tax_rate),
                f"line-{i}-requested_date": line.requested_date.isoformat()
                if line.requested_date
                else "",
            }
        )
    return values


def _editor(
    request: Request,
    quotation_id: int,
    *,
    values: dict[str, str] | None = None,
    error: CrmError | None = None,
    status: int = 200,
) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.visible_quotation(crm, conn, actor, quotation_id)
        deal = get_opportunity(conn, found.opportunity_id)
        party = get_party(conn, found.party_id)
        versions = quotations.versions_of(conn, found.number)
        placed = orders.order_of_quotation(conn, found.id)
        price_lists = catalogue.list_price_lists(conn, valid_on=utcnow().date())
        products = catalogue.list_products(conn)
        may = {
            action: is_allowed(crm.host, actor, f"sfa:quote.{action}", deal, conn=conn)
            for action in ("write", "accept")
        }
    shown = values if values is not None else _form_values(found)
    rows = max(len(found.lines), _max_row(shown) + 1) + (
        BLANK_LINES if found.status == "draft" else 0
    )
    return page_response(
        request,
        "sfa/quotes_editor.html",
        status=status,
        quotation=found,
        opportunity=deal,
        party=party,
        versions=versions,
        order=placed,
        price_lists=price_lists,
        products=products,
        may=may,
        values=shown,
        rows=rows,
        error=error,
        error_field=_form_field(error.field, values)
        if isinstance(error, ValidationError)
        else None,
    )


def _max_row(values: dict[str, str]) -> int:
    return max(_rows(values), default=-1)


def editor_page(request: Request) -> Response:
    """The quotation: its lines and totals, editable while a draft; its versions and order."""
    return _editor(request, request.path_params["quotation_id"])


async def editor_post(request: Request) -> Response:
    """Save a draft (``action=save``), or send, revise, accept or reject the quotation."""
    form = await read_form(request)
    quotation_id: int = request.path_params["quotation_id"]
    action = form.get("action", "save")
    crm, actor = crm_of(request), actor_of(request)

    # Only a draft's form carries its fields (disabled inputs are not sent); sending a
    # draft saves what was typed first, in the same transaction.
    edited = "valid_until" in form and action in ("save", "send")

    def act() -> int:
        with crm.transaction(actor) as tx:
            if edited:
                quotations.update_quotation(tx, quotation_id, _changes(form))
            if action == "save":
                return quotation_id
            if action == "revise":
                return quotations.revise_quotation(tx, quotation_id, {}).id
            if action not in ACTIONS:
                raise ValidationError("action", f"expected save, revise or {', '.join(ACTIONS)}")
            ACTIONS[action](tx, quotation_id)
            return quotation_id

    try:
        shown = await run_in_threadpool(act)
    except (ValidationError, ConflictError) as exc:
        status = 422 if isinstance(exc, ValidationError) else 409
        kept = form if edited else None
        return await run_in_threadpool(
            partial(_editor, request, quotation_id, values=kept, error=exc, status=status)
        )
    return RedirectResponse(f"/p/sfa/quotes/{shown}", status_code=303)


def _listing(request: Request, error: CrmError | None = None) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.list_quotations(crm, conn, actor, limit=MAX_LIMIT).items
    status = 200 if error is None else 422
    return page_response(
        request, "sfa/quotes_list.html", status=status, quotations=found, error=error
    )


def list_page(request: Request) -> Response:
    """The quotations the user may see, newest first, and a form to draft one for an opportunity."""
    return _listing(request)


async def new_quote_post(request: Request) -> Response:
    """Draft an empty quotation for the opportunity the form names; on to its editor."""
    form = await read_form(request)
    crm, actor = crm_of(request), actor_of(request)
    given = form.get("opportunity_id", "").strip()

    def draft() -> int:
        opportunity_id = parse_whole_number("opportunity_id", given, minimum=1)
        with crm.transaction(actor) as tx:
            return quotations.create_quotation(tx, {"opportunity_id": opportunity_id}).id

    try:
        created = await run_in_threadpool(draft)
    except (ValidationError, ConflictError) as exc:
        return await run_in_threadpool(_listing, request, exc)
    return RedirectResponse(f"/p/sfa/quotes/{created}", status_code=303)


def print_page(request: Request) -> Response:
    """The quotation as the customer receives it: a printable document (print it to PDF from the browser)."""
    crm, actor = crm_of(request), actor_of(request)
    with crm.read() as conn:
        found = quotations.visible_quotation(crm, conn, actor, request.path_params["quotation_id"])
        party = get_party(conn, found.party_id)
        deal = get_opportunity(conn, found.opportunity_id)
    return page_response(
        request, "sfa/quotes_print.html", quotation=found, party=party, opportunity=deal
    )


MENU = [MenuItem("Quotations", "/p/sfa/quotes", "sfa:quote.read", order=61)]

ROUTES: list[BaseRoute] = [
    Route("/quotes", list_page, methods=["GET"]),
    Route("/quotes", new_quote_post, methods=["POST"]),
    Route("/quotes/{quotation_id:id}", editor_page, methods=["GET"]),
    Route("/quotes/{quotation_id:id}", editor_post, methods=["POST"]),
    Route("/quotes/{quotation_id:id}/print", print_page, methods=["GET"]),
]
