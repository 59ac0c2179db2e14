"""The plans part's pages: the list of plans, a plan's targets against actuals, the plan form.

The form has one row per target (the plan's, and a few blank ones to add more); a blank row
is left out. A refused form shows again with what was typed and the reason, storing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, is_allowed, parse_whole_number, user_table, utcnow
from crmkit.web import Refusal, RefusedForm, actor_of, crm_of, page_response, read_as, submit
from crmkit_campaigns.plans import service
from crmkit_campaigns.plans.access import PLAN_READ, PLAN_WRITE
from crmkit_campaigns.plans.routes import progress_of
from crmkit_campaigns.plans.service import METRICS, TARGET_FIELDS, Plan

MENU = [MenuItem("Marketing plans", "/p/campaigns/plans/page", PLAN_READ, order=62)]
BLANK_ROWS = 3
"""Blank target rows the form offers, to add targets."""
_ROW_FIELD = re.compile(r"targets\[([0-9]{1,3})\]\.([a-z_]+)")
COUNTS = tuple(m for m in METRICS if m != "revenue")


def _users(conn: Connection) -> list[Any]:
    return list(
        conn.execute(
            select(user_table.c.id, user_table.c.display_name)
            .where(user_table.c.active.is_(True))
            .order_by(user_table.c.display_name)
        )
    )


def plans_page(request: Request) -> Response:
    """Every plan, latest first."""
    plans = read_as(request, PLAN_READ, lambda tx: service.list_plans(tx.conn))
    crm, actor = crm_of(request), actor_of(request)
    return page_response(
        request,
        "campaigns/plans/list.html",
        plans=plans,
        may_write=is_allowed(crm.host, actor, PLAN_WRITE),
    )


def plan_page(request: Request) -> Response:
    """A plan's targets beside their actuals, deviations highlighted."""
    progress = progress_of(request, request.path_params["plan_id"])
    crm, actor = crm_of(request), actor_of(request)
    owners = read_as(request, PLAN_READ, lambda tx: {u.id: u.display_name for u in _users(tx.conn)})
    return page_response(
        request,
        "campaigns/plans/page.html",
        progress=progress,
        owners=owners,
        may_write=is_allowed(crm.host, actor, PLAN_WRITE),
    )


def _values_of(found: Plan) -> dict[str, str]:
    values = {
        "name": found.name,
        "description": found.description,
        "owner_id": "" if found.owner_id is None else str(found.owner_id),
        "start": found.start,
        "end": found.end,
    }
    for i, item in enumerate(found.targets):
        for name in TARGET_FIELDS:
            value = getattr(item, name)
            values[f"targets[{i}].{name}"] = "" if value is None else str(value)
    return values


def _rows(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The form's target rows in order, blank ones left out."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        found = _ROW_FIELD.fullmatch(key)
        if found is not None and found[2] in TARGET_FIELDS:
            rows.setdefault(int(found[1]), {})[found[2]] = value.strip()
    return [rows[i] for i in sorted(rows) if any(rows[i].values())]


def _compacted(form: Mapping[str, str]) -> dict[str, str]:
    """The form as typed, its target rows renumbered without the blank ones (as refusals name them)."""
    values = {k: v for k, v in form.items() if _ROW_FIELD.fullmatch(k) is None}
    for i, row in enumerate(_rows(form)):
        values.update({f"targets[{i}].{name}": value for name, value in row.items()})
    return values


def _target_of(position: int, row: Mapping[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {name: row.get(name) or None for name in TARGET_FIELDS}
    raw = row.get("value", "")
    if raw and item["metric"] in COUNTS:
        # A count is typed as digits; a revenue amount stays text, as the JSON API takes it.
        item["value"] = parse_whole_number(f"targets[{position}].value", raw)
    return item


def _plan_data(form: Mapping[str, str]) -> dict[str, Any]:
    owner = form.get("owner_id", "").strip()
    return {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "owner_id": parse_whole_number("owner_id", owner, minimum=1) if owner else None,
        "start": form.get("start", "").strip(),
        "end": form.get("end", "").strip(),
        "targets": [_target_of(i, row) for i, row in enumerate(_rows(form))],
    }


def _form(
    request: Request,
    values: Mapping[str, str],
    *,
    found: Plan | None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    rows = len({m[1] for k in values if (m := _ROW_FIELD.fullmatch(k)) is not None})
    users = read_as(request, PLAN_WRITE, lambda tx: _users(tx.conn))
    return page_response(
        request,
        "campaigns/plans/form.html",
        status=status,
        found=found,
        values=values,
        rows=rows + BLANK_ROWS,
        metrics=METRICS,
        users=users,
        error=error,
        error_field=getattr(error, "field", None),
    )


def new_plan_form(request: Request) -> Response:
    today = utcnow().date()
    values = {"start": f"{today.year}-01", "end": f"{today.year}-12"}
    return _form(request, values, found=None)


def edit_plan_form(request: Request) -> Response:
    found = read_as(
        request, PLAN_WRITE, lambda tx: service.get_plan(tx.conn, request.path_params["plan_id"])
    )
    return _form(request, _values_of(found), found=found)


async def _post(request: Request, found: Plan | None) -> Response:
    """Store the posted plan (a new one, or ``found`` changed) and go to its page."""

    def save(tx: Transaction, form: dict[str, str]) -> str:
        data = _plan_data(form)
        if found is None:
            plan_id = service.create_plan(tx, data).id
        else:
            raw = form.get("version", "")
            version = parse_whole_number("version", raw, minimum=1) if raw else None
            plan_id = service.update_plan(tx, found.id, data, version).id
        return f"/p/campaigns/plans/{plan_id}/page"

    def refused(request: Request, form: dict[str, str], error: Refusal, status: int) -> Response:
        # The service names target rows as numbered without the blank ones; an unreadable form
        # names the field as posted.
        shown = form if isinstance(error, RefusedForm) else _compacted(form)
        return _form(request, shown, found=found, error=error, status=status)

    return await submit(request, PLAN_WRITE, save, refused)


async def post_new_plan(request: Request) -> Response:
    return await _post(request, None)


async def post_edit_plan(request: Request) -> Response:
    found = read_as(
        request, PLAN_WRITE, lambda tx: service.get_plan(tx.conn, request.path_params["plan_id"])
    )
    return await _post(request, found)


ROUTES: list[BaseRoute] = [
    Route("/plans/page", plans_page),
    Route("/plans/new/page", new_plan_form),
    Route("/plans/new/page", post_new_plan, methods=["POST"]),
    Route("/plans/{plan_id:id}/page", plan_page),
    Route("/plans/{plan_id:id}/edit/page", edit_plan_form),
    Route("/plans/{plan_id:id}/edit/page", post_edit_plan, methods=["POST"]),
]
