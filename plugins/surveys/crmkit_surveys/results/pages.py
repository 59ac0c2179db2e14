"""The results page of a survey: headline NPS and CSAT with their intervals, distributions and
monthly trends as server-drawn SVG charts, a cross-tab, a text search and the CSV link.

A refused cross-tab or search says why in its own section; the rest of the page still shows.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import CrmError, Transaction, ValidationError, parse_whole_number
from crmkit.web import page_response, read_as
from crmkit_surveys.results import service
from crmkit_surveys.results.access import RESULTS_READ
from crmkit_surveys.results.aggregates import Figures, Filters, QuestionResult, Trend
from crmkit_surveys.results.charts import BarChart, LineChart, bar_chart, line_chart
from crmkit_surveys.results.crosstab import DIMENSIONS, MAX_SEGMENTS
from crmkit_surveys.results.inputs import FILTERS, check_params, optional_key, read_filters
from crmkit_surveys.results.search import search_answers

TEMPLATE = "surveys/results/page.html"
PAGE_PARAMS = ("question", "by", "segments", "q", "cursor")
HITS_PER_PAGE = 20


def results_url(survey_id: int) -> str:
    return f"/p/surveys/page/surveys/{survey_id}/results"


@frozen
class QuestionView:
    """A question on the page: its figures and its distribution's chart (None for text)."""

    result: QuestionResult
    chart: BarChart | None


@frozen
class TrendView:
    trend: Trend
    chart: LineChart
    measure: str


def distribution(result: QuestionResult) -> BarChart | None:
    """The bar chart of a question's answers: per score, or per option and "other"."""
    f = result.figures
    if f.scores:
        items = [(str(s.score), s.count) for s in f.scores]
    elif result.kind in ("single", "multiple"):
        items = [(o.label, o.count) for o in f.options]
        if f.other:
            items.append(("Other", f.other))
    else:
        return None
    return bar_chart(f"Answers to {result.key}: {result.text}", items)


def _measure(kind: str, figures: Figures) -> float | None:
    if kind == "nps":
        return None if figures.nps is None else figures.nps.score
    if kind == "csat":
        return None if figures.csat is None else figures.csat.percent
    return None if figures.mean is None else figures.mean.mean


def trend_view(trend: Trend) -> TrendView:
    """The line chart of a scored question's monthly NPS, CSAT (%) or mean."""
    scale = trend.scale or (0, 1)
    low, high, measure = {
        "nps": (-100.0, 100.0, "NPS"),
        "csat": (0.0, 100.0, "CSAT %"),
    }.get(trend.kind, (float(scale[0]), float(scale[1]), "mean"))
    items = [(p.period, _measure(trend.kind, p.figures)) for p in trend.points]
    title = f"{measure} of {trend.question} per month"
    return TrendView(trend, line_chart(title, items, low, high), measure)


def _segments(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) > MAX_SEGMENTS:
        raise ValidationError("segments", f"at most {MAX_SEGMENTS} segments")
    return [parse_whole_number("segments", part, minimum=1) for part in parts]


def _context(tx: Transaction, survey_id: int, params: Any, filters: Filters) -> dict[str, Any]:
    results = service.results_of(tx, survey_id, filters)
    trends = service.trends_of(tx, survey_id, None, "month", filters).trends
    context: dict[str, Any] = {
        "results": results,
        "questions": [QuestionView(q, distribution(q)) for q in results.questions],
        "trends": [trend_view(t) for t in trends],
        "dimensions": DIMENSIONS,
        "params": params,
        "crosstab": None,
        "crosstab_error": None,
        "hits": None,
        "search_error": None,
    }
    question, by = params.get("question"), params.get("by")
    if question or by:
        try:
            context["crosstab"] = service.crosstab_of(
                tx,
                survey_id,
                optional_key(params, "question") or "",
                by or "",
                filters,
                _segments(params.get("segments") or "") if by == "segment" else (),
            )
        except CrmError as exc:
            context["crosstab_error"] = exc
    if params.get("q"):
        try:
            context["hits"] = search_answers(
                tx,
                survey_id,
                params["q"],
                filters=filters,
                cursor=params.get("cursor"),
                limit=HITS_PER_PAGE,
            )
        except ValidationError as exc:
            context["search_error"] = exc
    return context


def results_page(request: Request) -> Response:
    """A survey's results."""
    params = request.query_params
    check_params(params, (*FILTERS, *PAGE_PARAMS))
    filters = read_filters(params)
    survey_id: int = request.path_params["survey_id"]
    context = read_as(request, RESULTS_READ, lambda tx: _context(tx, survey_id, params, filters))
    kept = {name: params[name] for name in FILTERS if params.get(name)}
    query = f"?{urlencode(kept)}" if kept else ""
    hits = context["hits"]
    more = {**kept, "q": params.get("q"), "cursor": hits.next_cursor} if hits else {}
    return page_response(
        request,
        TEMPLATE,
        **context,
        csv_url=f"/p/surveys/surveys/{survey_id}/export.csv{query}",
        page_url=results_url(survey_id),
        filters=kept,
        more_url=f"{results_url(survey_id)}?{urlencode(more)}" if more.get("cursor") else None,
    )


ROUTES: list[BaseRoute] = [
    Route("/page/surveys/{survey_id:id}/results", results_page, methods=["GET"]),
]
