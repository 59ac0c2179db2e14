"""The definitions part's JSON API under /p/surveys/: surveys, their versions, publishing."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import NotFound, Transaction, ValidationError, parse_whole_number
from crmkit.web import (
    Param,
    check_query,
    crm_of,
    json_response,
    operation,
    optional_version,
    read_as,
    read_object,
    write_as,
)
from crmkit_surveys.definitions import service
from crmkit_surveys.definitions.access import SURVEY_READ, SURVEY_WRITE
from crmkit_surveys.definitions.bodies import (
    DraftInput,
    StatusChange,
    SurveyChanges,
    SurveyInput,
    VersionView,
    view_of,
)
from crmkit_surveys.definitions.model import Survey
from crmkit_surveys.definitions.service import SurveySummary, VersionSummary
from crmkit_surveys.definitions.tables import STATUSES


@operation(
    "Surveys by name, with counts of versions and completed responses",
    response=list[SurveySummary],
    query=(Param("status", str, f"Only surveys in this status: {', '.join(STATUSES)}"),),
)
def list_surveys(request: Request) -> Response:
    check_query(request, ("status",))
    status = request.query_params.get("status")
    found = read_as(request, SURVEY_READ, lambda tx: service.list_surveys(tx.conn, status=status))
    return json_response(crm_of(request), found)


@operation(
    "Create a survey with a draft version 1", request=SurveyInput, response=Survey, status=201
)
async def post_survey(request: Request) -> Response:
    body = await read_object(request)
    created = await write_as(request, SURVEY_WRITE, lambda tx: service.create_survey(tx, body))
    return json_response(crm_of(request), created, 201)


@operation("A survey", response=Survey, errors=(404,))
def get_survey(request: Request) -> Response:
    check_query(request, ())
    survey_id = request.path_params["survey_id"]
    found = read_as(request, SURVEY_READ, lambda tx: service.get_survey(tx.conn, survey_id))
    return json_response(crm_of(request), found)


@operation(
    "Change a survey's name, description or owner",
    request=SurveyChanges,
    response=Survey,
    errors=(404, 409),
)
async def patch_survey(request: Request) -> Response:
    body = await read_object(request)
    version = optional_version(body)
    body.pop("version", None)

    def work(tx: Transaction) -> Survey:
        return service.update_survey(tx, request.path_params["survey_id"], body, version)

    return json_response(crm_of(request), await write_as(request, SURVEY_WRITE, work))


@operation(
    "Delete a survey nobody was invited to nor answered (409 otherwise: close it instead)",
    query=(Param("version", int, "The version last read", required=True),),
    status=204,
    errors=(404, 409),
)
async def delete_survey(request: Request) -> Response:
    check_query(request, ("version",))
    raw = request.query_params.get("version")
    version = None if raw is None else parse_whole_number("version", raw, minimum=1)
    await write_as(
        request,
        SURVEY_WRITE,
        lambda tx: service.delete_survey(tx, request.path_params["survey_id"], version),
    )
    return Response(status_code=204)


@operation("A survey's versions, newest first", response=list[VersionSummary], errors=(404,))
def list_versions(request: Request) -> Response:
    check_query(request, ())
    survey_id = request.path_params["survey_id"]
    found = read_as(request, SURVEY_READ, lambda tx: service.list_versions(tx.conn, survey_id))
    return json_response(crm_of(request), found)


@operation("A survey version with its definition", response=VersionView, errors=(404,))
def get_version(request: Request) -> Response:
    check_query(request, ())
    survey_id, version_id = request.path_params["survey_id"], request.path_params["version_id"]

    def work(tx: Transaction) -> VersionView:
        found = service.get_version(tx.conn, version_id)
        if found.survey_id != survey_id:
            service.get_survey(tx.conn, survey_id)
            raise NotFound(f"survey {survey_id} has no version {version_id}")
        return view_of(found)

    return json_response(crm_of(request), read_as(request, SURVEY_READ, work))


@operation(
    "Save the survey's draft definition (a new draft version when the latest is published)",
    request=DraftInput,
    response=VersionView,
    errors=(404, 409),
)
async def put_draft(request: Request) -> Response:
    body = await read_object(request)
    unknown = sorted(set(body) - {"version", "definition"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    if "definition" not in body:
        raise ValidationError("definition", "is required")
    version = optional_version(body)

    def work(tx: Transaction) -> VersionView:
        saved = service.save_definition(
            tx, request.path_params["survey_id"], body["definition"], version
        )
        return view_of(saved)

    return json_response(crm_of(request), await write_as(request, SURVEY_WRITE, work))


async def _change_status(
    request: Request, act: Callable[[Transaction, int, int | None], Survey]
) -> Response:
    body = await read_object(request)
    unknown = sorted(set(body) - {"version"})
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    version = optional_version(body)

    def work(tx: Transaction) -> Survey:
        return act(tx, request.path_params["survey_id"], version)

    return json_response(crm_of(request), await write_as(request, SURVEY_WRITE, work))


@operation(
    "Publish the survey's draft version: it is frozen, and new invitations and answers use it",
    request=StatusChange,
    response=Survey,
    errors=(404, 409),
)
async def publish_survey(request: Request) -> Response:
    return await _change_status(request, service.publish)


@operation(
    "Close a survey: no new invitations nor answers",
    request=StatusChange,
    response=Survey,
    errors=(404, 409),
)
async def close_survey(request: Request) -> Response:
    return await _change_status(request, service.close)


@operation(
    "Open a closed survey to invitations and answers again",
    request=StatusChange,
    response=Survey,
    errors=(404, 409),
)
async def reopen_survey(request: Request) -> Response:
    return await _change_status(request, service.reopen)


ROUTES: list[BaseRoute] = [
    Route("/surveys", list_surveys),
    Route("/surveys", post_survey, methods=["POST"]),
    Route("/surveys/{survey_id:id}", get_survey),
    Route("/surveys/{survey_id:id}", patch_survey, methods=["PATCH"]),
    Route("/surveys/{survey_id:id}", delete_survey, methods=["DELETE"]),
    Route("/surveys/{survey_id:id}/versions", list_versions),
    Route("/surveys/{survey_id:id}/versions/{version_id:id}", get_version),
    Route("/surveys/{survey_id:id}/draft", put_draft, methods=["PUT"]),
    Route("/surveys/{survey_id:id}/publish", publish_survey, methods=["POST"]),
    Route("/surveys/{survey_id:id}/close", close_survey, methods=["POST"]),
    Route("/surveys/{survey_id:id}/reopen", reopen_survey, methods=["POST"]),
]
