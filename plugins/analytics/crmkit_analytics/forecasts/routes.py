"""The forecasts part's JSON API: ``GET /p/analytics/forecasts/figures``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, utcnow
from crmkit.web import Param, actor_of, check_query, crm_of, json_response, operation, read_as
from crmkit_analytics.forecasts import service
from crmkit_analytics.forecasts.access import READ

QUERY = ("grain", "start", "periods", "territory", "team")


@frozen
class Filters:
    grain: str
    first: date | None
    periods: int | None
    territory: str
    team: str


def filters_of(query: Mapping[str, str]) -> Filters:
    """The forecast a query asks for; bad values are refused naming the parameter."""
    grain = query.get("grain") or "month"
    if grain not in service.GRAINS:
        raise ValidationError("grain", f"expected one of {', '.join(service.GRAINS)}")
    first = None
    raw = (query.get("start") or "").strip()
    if raw:
        try:
            year, month = (int(part) for part in raw.split("-", 1))
            first = date(year, month, 1)
        except ValueError:
            raise ValidationError("start", "expected a month as YYYY-MM") from None
    periods = query.get("periods")
    return Filters(
        grain=grain,
        first=first,
        periods=None
        if not periods
        else parse_whole_number("periods", periods, minimum=1, maximum=36),
        territory=(query.get("territory") or "").strip(),
        team=(query.get("team") or "").strip(),
    )


def forecast_of(request: Request) -> service.Forecast:
    crm, actor = crm_of(request), actor_of(request)
    filters = filters_of(request.query_params)

    def work(tx: Transaction) -> service.Forecast:
        return service.forecast(
            crm,
            tx.conn,
            actor,
            today=utcnow().date(),
            first=filters.first,
            periods=filters.periods,
            grain=filters.grain,
            territory=filters.territory,
            team=filters.team,
        )

    return read_as(request, READ, work)


@operation(
    "Sales and lead forecasts per period against targets and plans",
    response=service.Forecast,
    query=(
        Param("grain", str, "month (default) or quarter"),
        Param("start", str, "The first month shown, YYYY-MM (default: this month)"),
        Param("periods", int, "How many periods (1 to 36; default from settings)"),
        Param("territory", str, "Only this territory (one of the user's)"),
        Param("team", str, "Only this team (the user's own)"),
    ),
    errors=(403,),
    description=(
        "Per period: revenue won plus the weighted pipeline expected to close, the seasonal "
        "baseline from history, the forecast (the larger), the targets and the gap "
        "(forecast - target); new leads likewise, per lead source too. Figures of the records "
        "the user may see."
    ),
)
def get_forecast(request: Request) -> Response:
    check_query(request, QUERY)
    return json_response(crm_of(request), forecast_of(request))


ROUTES: list[BaseRoute] = [
    Route("/forecasts/figures", get_forecast, methods=["GET"]),
]
