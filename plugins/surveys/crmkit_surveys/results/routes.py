"""The results part's JSON API under /p/surveys/: figures, trends, cross-tabs, text search, CSV.

Refusals are problem documents naming the parameter (422); an unknown survey is 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from crmkit import Page, Transaction, ValidationError, parse_whole_number
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_as
from crmkit_surveys.results import export, service
from crmkit_surveys.results.access import RESULTS_READ
from crmkit_surveys.results.crosstab import Crosstab
from crmkit_surveys.results.inputs import (
    FILTERS,
    MAX_LIMIT,
    check_params,
    optional_key,
    optional_number,
    read_filters,
    required_key,
)
from crmkit_surveys.results.questions import survey_questions
from crmkit_surveys.results.search import Hit, ScoreFilter, search_answers

FILTER_PARAMS = (
    Param("version", int, "Only answers to this version (its id)"),
    Param("language", str, "Only responses in this language"),
    Param("from", str, "Only answers given on or after this date (YYYY-MM-DD, UTC)"),
    Param("to", str, "Only answers given on or before this date (YYYY-MM-DD, UTC)"),
    Param("partial", str, "true: count partial responses too (default false)"),
)


def _survey_id(request: Request) -> int:
    survey_id: int = request.path_params["survey_id"]
    return survey_id


@operation(
    "A survey's results: per question its distribution, NPS, CSAT or mean with 95 % intervals",
    response=service.SurveyResults,
    query=FILTER_PARAMS,
    description="Counts every response, whoever's it is; only completed ones unless partial=true.",
)
def get_results(request: Request) -> Response:
    check_params(request.query_params, FILTERS)
    filters = read_filters(request.query_params)

    def work(tx: Transaction) -> service.SurveyResults:
        return service.results_of(tx, _survey_id(request), filters)

    return json_response(crm_of(request), read_as(request, RESULTS_READ, work))


@operation(
    "A survey's figures per week, month or quarter",
    response=service.Trends,
    query=(
        Param("question", str, "A question's key (default: every scored question)"),
        Param("period", str, "week, month (default) or quarter"),
        *FILTER_PARAMS,
    ),
)
def get_trend(request: Request) -> Response:
    params = request.query_params
    check_params(params, (*FILTERS, "question", "period"))
    filters = read_filters(params)
    question = optional_key(params, "question")

    def work(tx: Transaction) -> service.Trends:
        period = params.get("period") or "month"
        return service.trends_of(tx, _survey_id(request), question, period, filters)

    return json_response(crm_of(request), read_as(request, RESULTS_READ, work))


@operation(
    "A question's figures by segment, country, role, language or send, beside the whole",
    response=Crosstab,
    query=(
        Param("question", str, "The question's key", required=True),
        Param("by", str, "segment, country, role, language or send", required=True),
        Param("segment_id", int, "A segment (by=segment; repeat for more, at most 10)"),
        *FILTER_PARAMS,
    ),
    description="A segment's cell counts the segment's parties the reader sees; "
    "by=segment needs the campaigns plugin.",
)
def get_crosstab(request: Request) -> Response:
    params = request.query_params
    check_params(params, (*FILTERS, "question", "by", "segment_id"))
    filters = read_filters(params)
    question = required_key(params, "question")
    by = required_key(params, "by")
    segment_ids = [
        parse_whole_number("segment_id", value, minimum=1) for value in params.getlist("segment_id")
    ]

    def work(tx: Transaction) -> Crosstab:
        return service.crosstab_of(tx, _survey_id(request), question, by, filters, segment_ids)

    return json_response(crm_of(request), read_as(request, RESULTS_READ, work))


@operation(
    "Free-text answers holding every word of q, newest first",
    response=Page[Hit],
    query=(
        Param("q", str, "The words, matched without case", required=True),
        Param("question", str, "Only answers to this question (its key)"),
        Param("score_question", str, "The scored question min_score and max_score look at"),
        Param("min_score", int, "Only responses with a score of at least this"),
        Param("max_score", int, "Only responses with a score of at most this"),
        Param("cursor", str, "The next_cursor of the previous page"),
        Param("limit", int, f"Hits per page, 1 to {MAX_LIMIT} (default 20)"),
        *FILTER_PARAMS,
    ),
    description="Only answers of parties the reader sees, and anonymous ones.",
)
def get_search(request: Request) -> Response:
    params = request.query_params
    known = ("q", "question", "score_question", "min_score", "max_score", "cursor", "limit")
    check_params(params, (*FILTERS, *known))
    filters = read_filters(params)
    scores = ScoreFilter(
        optional_number(params, "min_score", 10),
        optional_number(params, "max_score", 10),
        optional_key(params, "score_question"),
    )
    limit = optional_number(params, "limit", MAX_LIMIT, minimum=1) or 20

    def work(tx: Transaction) -> Page[Hit]:
        _, questions = survey_questions(tx.conn, _survey_id(request))  # NotFound if unknown
        if scores.question is not None and not any(
            q.key == scores.question and q.scored for q in questions
        ):
            raise ValidationError(
                "score_question", f"{scores.question!r} is not a scored question of the survey"
            )
        return search_answers(
            tx,
            _survey_id(request),
            params.get("q") or "",
            filters=filters,
            question=optional_key(params, "question"),
            scores=scores if scores != ScoreFilter() else None,
            cursor=params.get("cursor"),
            limit=limit,
        )

    return json_response(crm_of(request), read_as(request, RESULTS_READ, work))


@operation(
    "A survey's responses as CSV, one row per response",
    response=str,
    query=FILTER_PARAMS,
    media_type="text/csv",
    description="Only responses of parties the reader sees, and anonymous ones; cells a "
    "spreadsheet would run as formulas start with '.",
)
def get_export(request: Request) -> Response:
    check_params(request.query_params, FILTERS)
    filters = read_filters(request.query_params)
    survey_id = _survey_id(request)
    _, questions = read_as(
        request, RESULTS_READ, lambda tx: survey_questions(tx.conn, survey_id, filters.version_id)
    )
    lines = export.csv_text(crm_of(request), actor_of(request), survey_id, questions, filters)
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="survey-{survey_id}.csv"'},
    )


ROUTES: list[BaseRoute] = [
    Route("/surveys/{survey_id:id}/results", get_results, methods=["GET"]),
    Route("/surveys/{survey_id:id}/results/trend", get_trend, methods=["GET"]),
    Route("/surveys/{survey_id:id}/results/crosstab", get_crosstab, methods=["GET"]),
    Route("/surveys/{survey_id:id}/answers/search", get_search, methods=["GET"]),
    Route("/surveys/{survey_id:id}/export.csv", get_export, methods=["GET"]),
]
