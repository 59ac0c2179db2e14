"""Server-rendered pages of the template library: the templates, writing and changing one, a preview for a real party.

The settings' templates are shown read-only, as the JSON API lists them; a stored
one is previewed with the texts of its form, before they are saved.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConflictError,
    MenuItem,
    NotFound,
    ValidationError,
    is_allowed,
    parse_whole_number,
    require,
)
from crmkit.web import actor_of, crm_of, page_response, read_form
from crmkit_channels import stored_templates
from crmkit_channels.preview import Preview, preview
from crmkit_channels.settings import ChannelsSettings
from crmkit_channels.stored_templates import (
    FIELDS,
    TEMPLATE_READ,
    TEMPLATE_WRITE,
    StoredTemplate,
)

LIBRARY = "/p/channels/template-library"
MENU = [MenuItem("Templates", LIBRARY, TEMPLATE_READ.name, order=71)]


def _settings(request: Request) -> ChannelsSettings:
    settings: ChannelsSettings = crm_of(request).settings_of["channels"]
    return settings


def library_page(request: Request) -> Response:
    """The settings' templates and the stored ones; archived ones on request."""
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, TEMPLATE_READ.name)
    archived = request.query_params.get("archived") == "yes"
    with crm.read() as conn:
        found = stored_templates.list_templates(conn, _settings(request), include_archived=archived)
    return page_response(
        request,
        "channels/template_library.html",
        templates=found,
        archived=archived,
        may_write=is_allowed(crm.host, actor, TEMPLATE_WRITE.name),
    )


def _values(template: StoredTemplate | None) -> dict[str, str]:
    if template is None:
        return {}
    texts = {name: getattr(template, name) or "" for name in FIELDS[template.channel]}
    return {"name": template.name, **texts}


def _page(
    request: Request,
    template: StoredTemplate | None,
    channel: str,
    *,
    form: dict[str, str] | None = None,
    error: ValidationError | ConflictError | None = None,
    shown: Preview | None = None,
    status: int = 200,
) -> Response:
    """A template's page: its form (read-only for the settings' or a reader), and a preview."""
    crm, actor = crm_of(request), actor_of(request)
    editable = (template is None or template.source == "database") and is_allowed(
        crm.host, actor, TEMPLATE_WRITE.name
    )
    return page_response(
        request,
        "channels/template.html",
        status=status,
        current=template,
        channel=channel,
        fields=FIELDS[channel],
        editable=editable,
        values={"variables": "{}", **_values(template), **(form or {})},
        error=error,
        error_field=getattr(error, "field", None),
        preview=shown,
    )


def new_template_page(request: Request) -> Response:
    """An empty form for a new email (``?channel=email``) or text message template."""
    require(crm_of(request).host, actor_of(request), TEMPLATE_WRITE.name)
    channel = request.query_params.get("channel", "email")
    if channel not in FIELDS:
        raise ValidationError("channel", "expected email or sms")
    return _page(request, None, channel)


async def create_template_post(request: Request) -> Response:
    """Store the new template and show it; a refused one shows the form again with the reason."""
    crm, actor = crm_of(request), actor_of(request)
    form = await read_form(request)
    channel = form.get("channel", "")
    data = {name: form.get(name, "") for name in ("name", "channel", *FIELDS.get(channel, ()))}

    def save() -> StoredTemplate:
        with crm.transaction(actor) as tx:
            return stored_templates.create_template(tx, _settings(request), data)

    try:
        created = await run_in_threadpool(save)
    except (ValidationError, ConflictError) as exc:
        if channel not in FIELDS:
            raise
        status = 409 if isinstance(exc, ConflictError) else 422
        return await run_in_threadpool(
            _page, request, None, channel, form=form, error=exc, status=status
        )
    return RedirectResponse(f"{LIBRARY}/{created.id}", status_code=303)


def _stored(request: Request) -> StoredTemplate:
    require(crm_of(request).host, actor_of(request), TEMPLATE_READ.name)
    with crm_of(request).read() as conn:
        return stored_templates.get_template(conn, request.path_params["template_id"])


def template_page(request: Request) -> Response:
    """A stored template: its form for those who may write templates, and a preview form."""
    found = _stored(request)
    return _page(request, found, found.channel)


def settings_template_page(request: Request) -> Response:
    """A template of the settings (``?name=``), read-only, with a preview form."""
    require(crm_of(request).host, actor_of(request), TEMPLATE_READ.name)
    with crm_of(request).read() as conn:
        found = stored_templates.named_template(
            conn, _settings(request), request.query_params.get("name")
        )
    return _page(request, found, found.channel)


async def save_template_post(request: Request) -> Response:
    """Save the form's name and texts as the template's next version (or archive it)."""
    crm, actor = crm_of(request), actor_of(request)
    form = await read_form(request)
    found = await run_in_threadpool(_stored, request)
    template_id = request.path_params["template_id"]

    def save() -> None:
        version = parse_whole_number("version", form.get("version", ""), minimum=1)
        with crm.transaction(actor) as tx:
            if form.get("archive") == "yes":
                stored_templates.archive_template(tx, template_id, version)
            else:
                data = {name: form.get(name, "") for name in ("name", *FIELDS[found.channel])}
                stored_templates.update_template(tx, _settings(request), template_id, version, data)

    try:
        await run_in_threadpool(save)
    except (ValidationError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 422
        return await run_in_threadpool(
            _page, request, found, found.channel, form=form, error=exc, status=status
        )
    return RedirectResponse(f"{LIBRARY}/{template_id}", status_code=303)


def _variables(text: str) -> dict[str, Any]:
    try:
        given = json.loads(text or "{}")
    except ValueError:
        given = None
    if not isinstance(given, dict):
        raise ValidationError("variables", 'expected a JSON object, such as {"number": 7}')
    return given


async def preview_post(request: Request) -> Response:
    """Render the template, with the form's texts for a stored one, for the party the form names."""
    crm, actor = crm_of(request), actor_of(request)
    form = await read_form(request)

    def template() -> StoredTemplate:
        if "template_id" in request.path_params:
            return _stored(request)
        with crm.read() as conn:
            return stored_templates.named_template(conn, _settings(request), form.get("name"))

    found = await run_in_threadpool(template)

    def render() -> Preview:
        party_id = parse_whole_number("party_id", form.get("party_id", "").strip(), minimum=1)
        variables = _variables(form.get("variables", ""))
        shown = found
        # A writer previews the texts of the form; a reader's form carries none.
        if found.source == "database" and is_allowed(crm.host, actor, TEMPLATE_WRITE.name):
            shown = stored_templates.draft(_settings(request), found, form)
        with crm.read() as conn:
            try:
                return preview(crm.host, conn, actor, shown, party_id, variables)
            except NotFound as exc:
                raise ValidationError("party_id", str(exc)) from None

    try:
        rendered = await run_in_threadpool(render)
    except ValidationError as exc:
        return await run_in_threadpool(
            _page, request, found, found.channel, form=form, error=exc, status=422
        )
    return await run_in_threadpool(_page, request, found, found.channel, form=form, shown=rendered)


ROUTES: list[BaseRoute] = [
    Route("/template-library", library_page, methods=["GET"]),
    Route("/template-library/new", new_template_page, methods=["GET"]),
    Route("/template-library/new", create_template_post, methods=["POST"]),
    Route("/template-library/settings", settings_template_page, methods=["GET"]),
    Route("/template-library/settings/preview", preview_post, methods=["POST"]),
    Route("/template-library/{template_id:id}", template_page, methods=["GET"]),
    Route("/template-library/{template_id:id}", save_template_post, methods=["POST"]),
    Route("/template-library/{template_id:id}/preview", preview_post, methods=["POST"]),
]
