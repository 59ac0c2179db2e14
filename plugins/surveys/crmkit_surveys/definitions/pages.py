"""The definitions part's pages: the list of surveys, a survey with its versions and the
other parts' pages, a version's preview, and the editor.

The editor takes the definition as JSON (docs/definitions.md) and shows each page and
question in each language beside it; a refused definition shows again as typed, with
the place that is wrong, storing nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select
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
    require,
    user_table,
)
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, submit
from crmkit_surveys.answering.access import RESPONSE_READ
from crmkit_surveys.definitions import service
from crmkit_surveys.definitions.access import SURVEY_READ, SURVEY_WRITE
from crmkit_surveys.definitions.language import read_definition, to_json
from crmkit_surveys.definitions.model import Definition, Survey, SurveyVersion
from crmkit_surveys.results.access import RESULTS_READ

BASE = "/p/surveys/page/surveys"
MENU = [MenuItem("Surveys", BASE, SURVEY_READ, order=64)]
PARTS = (
    ("Sends", "/sends", SURVEY_READ),
    ("Responses", "/responses", RESPONSE_READ),
    ("Results", "/results", RESULTS_READ),
)
"""The other parts' pages of a survey, under its page's address, with the permission each
page asks: a link is shown only to those who may open it."""
RULES = "/p/surveys/page/rules"
"""After-event rules are global, not per survey."""


def survey_url(survey_id: int) -> str:
    return f"{BASE}/{survey_id}"


def _users(conn: Connection) -> dict[int, str]:
    rows = conn.execute(select(user_table.c.id, user_table.c.display_name))
    return {row.id: row.display_name for row in rows}


def _may_write(request: Request) -> bool:
    return is_allowed(crm_of(request).host, actor_of(request), SURVEY_WRITE)


def surveys_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """Every survey, by name; the form of a new one for those who may write."""
    surveys = read_as(request, SURVEY_READ, lambda tx: service.list_surveys(tx.conn))
    return page_response(
        request,
        "surveys/definitions/list.html",
        status=status,
        surveys=surveys,
        may_write=_may_write(request),
        values=values or {"default_language": "en"},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_new_survey(request: Request) -> Response:
    def create(tx: Transaction, fields: dict[str, str]) -> str:
        data = {
            "name": fields.get("name", ""),
            "description": fields.get("description", ""),
            "default_language": fields.get("default_language", "").strip(),
        }
        return f"{survey_url(service.create_survey(tx, data).id)}/edit"

    return await submit(request, SURVEY_WRITE, create, surveys_page)


def survey_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """A survey: its details, its versions, what may be done with it, the other parts' pages."""
    survey_id = request.path_params["survey_id"]

    def work(tx: Transaction) -> tuple[Survey, list[service.VersionSummary], dict[int, str]]:
        found = service.get_survey(tx.conn, survey_id)
        return found, service.list_versions(tx.conn, survey_id), _users(tx.conn)

    found, versions, users = read_as(request, SURVEY_READ, work)
    has_draft = bool(versions) and versions[0].status == "draft"
    return page_response(
        request,
        "surveys/definitions/survey.html",
        status=status,
        survey=found,
        versions=versions,
        owner=None if found.owner_id is None else users.get(found.owner_id),
        has_draft=has_draft,
        parts=[
            (label, path)
            for label, path, permission in PARTS
            if is_allowed(crm_of(request).host, actor_of(request), permission)
        ],
        rules_url=RULES,
        base=survey_url(survey_id),
        may_write=_may_write(request),
        values=values or {"name": found.name, "description": found.description or ""},
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_details(request: Request) -> Response:
    survey_id = request.path_params["survey_id"]

    def change(tx: Transaction, fields: dict[str, str]) -> str:
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        data = {"name": fields.get("name", ""), "description": fields.get("description", "")}
        service.update_survey(tx, survey_id, data, version)
        return survey_url(survey_id)

    return await submit(request, SURVEY_WRITE, change, survey_page)


def _action(act: Callable[[Transaction, int, int | None], Any]) -> Callable[[Request], Any]:
    """A button of the survey's page: the action at the version shown, then back to the page."""

    async def endpoint(request: Request) -> Response:
        survey_id = request.path_params["survey_id"]

        def run(tx: Transaction, fields: dict[str, str]) -> str:
            version = parse_whole_number("version", fields.get("version", ""), minimum=1)
            act(tx, survey_id, version)
            return survey_url(survey_id)

        def again(
            request: Request, values: dict[str, str], error: Refusal, status: int
        ) -> Response:
            return survey_page(request, None, error, status)

        return await submit(request, SURVEY_WRITE, run, again)

    return endpoint


async def post_delete(request: Request) -> Response:
    survey_id = request.path_params["survey_id"]

    def run(tx: Transaction, fields: dict[str, str]) -> str:
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        service.delete_survey(tx, survey_id, version)
        return BASE

    def again(request: Request, values: dict[str, str], error: Refusal, status: int) -> Response:
        return survey_page(request, None, error, status)

    return await submit(request, SURVEY_WRITE, run, again)


def version_page(request: Request) -> Response:
    """One version's questions, page by page, in each of its languages."""
    survey_id, version_id = request.path_params["survey_id"], request.path_params["version_id"]

    def work(tx: Transaction) -> tuple[Survey, SurveyVersion]:
        found = service.get_survey(tx.conn, survey_id)
        version = service.get_version(tx.conn, version_id)
        if version.survey_id != survey_id:
            raise NotFound(f"survey {survey_id} has no version {version_id}")
        return found, version

    found, version = read_as(request, SURVEY_READ, work)
    return page_response(
        request,
        "surveys/definitions/version.html",
        survey=found,
        version=version,
        definition=version.definition,
        text=json.dumps(to_json(version.definition), indent=2, ensure_ascii=False),
    )


def _typed(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError("definition", f"not JSON: {exc}") from None


def _preview(text: str) -> Definition | None:
    """What the typed text defines, to preview; None if it defines nothing valid yet."""
    try:
        return read_definition(_typed(text))
    except ValidationError:
        return None


def editor_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The survey's latest version as JSON beside its preview; saving makes it the draft."""
    require(crm_of(request).host, actor_of(request), SURVEY_WRITE)
    survey_id = request.path_params["survey_id"]

    def work(tx: Transaction) -> tuple[Survey, SurveyVersion]:
        return service.get_survey(tx.conn, survey_id), service.latest_version(tx.conn, survey_id)

    found, latest = read_as(request, SURVEY_WRITE, work)
    if values is None:
        text = json.dumps(to_json(latest.definition), indent=2, ensure_ascii=False)
        values = {"definition": text, "version": str(found.version)}
    preview = _preview(values.get("definition", "")) or latest.definition
    return page_response(
        request,
        "surveys/definitions/editor.html",
        status=status,
        survey=found,
        latest=latest,
        definition=preview,
        values=values,
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_editor(request: Request) -> Response:
    survey_id = request.path_params["survey_id"]

    def save(tx: Transaction, fields: dict[str, str]) -> str:
        version = parse_whole_number("version", fields.get("version", ""), minimum=1)
        service.save_definition(tx, survey_id, _typed(fields.get("definition", "")), version)
        return survey_url(survey_id)

    return await submit(request, SURVEY_WRITE, save, editor_page)


ROUTES: list[BaseRoute] = [
    Route("/page/surveys", surveys_page),
    Route("/page/surveys", post_new_survey, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}", survey_page),
    Route("/page/surveys/{survey_id:id}/details", post_details, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/publish", _action(service.publish), methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/close", _action(service.close), methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/reopen", _action(service.reopen), methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/delete", post_delete, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/edit", editor_page),
    Route("/page/surveys/{survey_id:id}/edit", post_editor, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/versions/{version_id:id}", version_page),
]
