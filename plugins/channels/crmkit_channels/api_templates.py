"""JSON routes under ``/p/channels/templates``: stored templates and previews for a party."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from attrs import field, frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import ValidationError, require
from crmkit.web import Param, actor_of, crm_of, json_response, operation, read_object
from crmkit_channels import stored_templates
from crmkit_channels.preview import Preview, preview
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.stored_templates import TEMPLATE_READ, StoredTemplate

T = TypeVar("T")
TEXT = {"json": {"maxLength": stored_templates.MAX_TEXT}}


@frozen
class TemplateInput:
    """A new template: ``email`` with ``subject``, ``text`` and optional ``html``, or ``sms`` with ``body``."""

    # The OpenAPI document then requires only the fields without a default.
    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    channel: str = field(metadata={"json": {"enum": ["email", "sms"]}})
    subject: str | None = field(default=None, metadata=TEXT)
    text: str | None = field(default=None, metadata=TEXT)
    html: str | None = field(default=None, metadata=TEXT)
    body: str | None = field(default=None, metadata=TEXT)


@frozen
class TemplateChange:
    """The template's new name and texts, and the version last read (a stale one: 409)."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str = field(metadata={"json": {"maxLength": 100}})
    subject: str | None = field(default=None, metadata=TEXT)
    text: str | None = field(default=None, metadata=TEXT)
    html: str | None = field(default=None, metadata=TEXT)
    body: str | None = field(default=None, metadata=TEXT)


@frozen
class VersionInput:
    """The version last read (a stale one: 409)."""

    version: int


@frozen
class PreviewInput:
    """The template (by name, the settings' or a stored one), the party, the message's variables."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    party_id: int
    variables: dict[str, Any] = field(factory=dict)


def _settings(request: Request) -> ChannelsSettings:
    settings: ChannelsSettings = crm_of(request).settings_of["channels"]
    return settings


async def _write(request: Request, work: Callable[..., T], *args: Any) -> T:
    crm, actor = crm_of(request), actor_of(request)

    def run() -> T:
        with crm.transaction(actor) as tx:
            return work(tx, *args)

    return await run_in_threadpool(run)


def _version(body: dict[str, Any]) -> int:
    version = body.pop("version", None)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("version", "required: the version last read, a whole number")
    return version


@operation(
    "The templates: the settings' (read-only, id null) and the stored ones",
    response=list[StoredTemplate],
    query=(Param("include_archived", bool, "Also archived stored templates"),),
)
def get_templates(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), TEMPLATE_READ.name)
    archived = request.query_params.get("include_archived") == "true"
    with crm.read() as conn:
        found = stored_templates.list_templates(conn, _settings(request), include_archived=archived)
    return json_response(crm, found)


@operation(
    "Store a new template; a template that does not parse is refused naming the field",
    request=TemplateInput,
    response=StoredTemplate,
    status=201,
    errors=(409,),
)
async def post_template(request: Request) -> Response:
    body = await read_object(request)
    created = await _write(request, stored_templates.create_template, _settings(request), body)
    return json_response(crm_of(request), created, 201)


@operation("One stored template", response=StoredTemplate, errors=(404,))
def get_template(request: Request) -> Response:
    crm = crm_of(request)
    require(crm.host, actor_of(request), TEMPLATE_READ.name)
    with crm.read() as conn:
        found = stored_templates.get_template(conn, request.path_params["template_id"])
    return json_response(crm, found)


@operation(
    "Change a stored template's name and texts (a new version)",
    request=TemplateChange,
    response=StoredTemplate,
    errors=(404, 409),
)
async def put_template(request: Request) -> Response:
    body = await read_object(request)
    version = _version(body)
    changed = await _write(
        request,
        stored_templates.update_template,
        _settings(request),
        request.path_params["template_id"],
        version,
        body,
    )
    return json_response(crm_of(request), changed)


@operation(
    "Archive a stored template: kept, no longer sent",
    request=VersionInput,
    response=StoredTemplate,
    errors=(404, 409),
)
async def post_archive(request: Request) -> Response:
    body = await read_object(request)
    archived = await _write(
        request,
        stored_templates.archive_template,
        request.path_params["template_id"],
        _version(body),
    )
    return json_response(crm_of(request), archived)


@operation(
    "Render a template for a party the user may see, sending nothing",
    request=PreviewInput,
    response=Preview,
    errors=(404,),
    description="The HTML is returned as text: show it escaped or in a sandboxed frame. "
    "422 names the field whose template does not render, e.g. for a variable not given.",
)
async def post_preview(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    body = await read_object(request)
    party_id = body.get("party_id")
    if isinstance(party_id, bool) or not isinstance(party_id, int):
        raise ValidationError("party_id", "expected a party id")

    def run() -> Preview:
        with crm.read() as conn:
            found = stored_templates.named_template(conn, _settings(request), body.get("name"))
            return preview(crm.host, conn, actor, found, party_id, body.get("variables", {}))

    return json_response(crm, await run_in_threadpool(run))


ROUTES: list[BaseRoute] = [
    Route("/templates", get_templates, methods=["GET"]),
    Route("/templates", post_template, methods=["POST"]),
    Route("/templates/preview", post_preview, methods=["POST"]),
    Route("/templates/{template_id:id}", get_template, methods=["GET"]),
    Route("/templates/{template_id:id}", put_template, methods=["PUT"]),
    Route("/templates/{template_id:id}/archive", post_archive, methods=["POST"]),
]
