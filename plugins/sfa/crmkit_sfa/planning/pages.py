"""Web pages of planning: the targets of a period with their attainment, and the forecast."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConflictError,
    MenuItem,
    ValidationError,
    is_allowed,
    parse_whole_number,
    require,
    utcnow,
)
from crmkit.web import actor_of, crm_of, page_response, read_form
from crmkit_sfa.planning import forecast, targets
from crmkit_sfa.planning.access import EVERY_SCOPE, READ, WRITE
from crmkit_sfa.planning.routes import period_from, scope_from, visible_targets
from crmkit_sfa.planning.scopes import SCOPE_KINDS, check_scope

MENU = [
    MenuItem("Targets", "/p/sfa/planning/targets", READ, order=62),
    MenuItem("Forecast", "/p/sfa/planning/forecast", READ, order=63),
]


FORM_FIELDS = ("scope", "scope_key", "measure", "value", "currency", "owner_id")


def targets_page(
    request: Request,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The period's targets the actor may see: target, actual, attainment, gap and run-rate.

    Those who may set targets find a form for a new one under the table.
    """
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, READ)
    period = period_from(request)
    with crm.read() as conn:
        rows = visible_targets(crm, conn, actor, period, None, utcnow().date())
    return page_response(
        request,
        "sfa/planning_targets.html",
        status=status,
        period=period,
        rows=rows,
        may_set=is_allowed(crm.host, actor, WRITE),
        error=error,
        values=form or {"measure": "amount", "currency": "EUR"},
    )


def _target_data(form: dict[str, str], period: str) -> dict[str, Any]:
    """The API body a target form stands for: empty fields left out, ids as numbers."""
    data: dict[str, Any] = {k: form[k] for k in FORM_FIELDS if form.get(k, "").strip()}
    data["period"] = period
    if data.get("measure") == "count":
        data.pop("currency", None)  # the form offers a currency for amounts only
    if "owner_id" in data:
        data["owner_id"] = parse_whole_number("owner_id", data["owner_id"].strip(), minimum=1)
    return data


async def post_target_form(request: Request) -> Response:
    """Set a target from the targets page; a refused one shows the page again with the reason."""
    crm, actor = crm_of(request), actor_of(request)
    form = await read_form(request)
    period = period_from(request)

    def save() -> None:
        require(crm.host, actor, WRITE)
        with crm.transaction(actor) as tx:
            targets.create_target(tx, _target_data(form, period.key))

    try:
        await run_in_threadpool(save)
    except (ValidationError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return await run_in_threadpool(targets_page, request, str(exc), form, status)
    return RedirectResponse(f"/p/sfa/planning/targets?period={period.key}", status_code=303)


def forecast_page(request: Request) -> Response:
    """The forecast of a period for a scope, with the change since last week."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, READ)
    period, scope = period_from(request), scope_from(request, actor)
    check_scope(crm, actor, scope)
    with crm.read() as conn:
        result = forecast.forecast(
            conn, period, scope, crm.settings_of["sfa"].planning, utcnow().date()
        )
    return page_response(
        request,
        "sfa/planning_forecast.html",
        period=period,
        scope=scope,
        scope_kinds=SCOPE_KINDS if is_allowed(crm.host, actor, EVERY_SCOPE) else (),
        forecast=result,
    )


ROUTES: list[BaseRoute] = [
    Route("/planning/targets", targets_page),
    Route("/planning/targets", post_target_form, methods=["POST"]),
    Route("/planning/forecast", forecast_page),
]
