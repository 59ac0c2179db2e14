"""The leads part's pages: the leads taken (of the parties one sees), the forms, and each
form's field mapping, which an integrator edits there."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, Transaction, is_allowed, parse_whole_number
from crmkit.web import Refusal, actor_of, check_query, crm_of, page_response, read_as, submit
from crmkit_social.leads import forms, records
from crmkit_social.leads.access import FORM_WRITE, LEAD_READ
from crmkit_social.leads.intake import settings_of
from crmkit_social.leads.mapping import TARGETS
from crmkit_social.leads.tables import lead

BASE = "/p/social/page/leads"
FORMS_BASE = "/p/social/page/lead-forms"
MENU = [MenuItem("Lead Ads", BASE, LEAD_READ, order=76)]
LIST_LIMIT = 100
SAMPLED_LEADS = 50


def form_url(form_id: str) -> str:
    return f"{FORMS_BASE}/{form_id}"


def leads_page(request: Request) -> Response:
    """The newest leads one sees, of one form when ``?form_id=`` says so."""
    check_query(request, ("form_id", "cursor"))
    form_id = request.query_params.get("form_id") or None
    cursor = request.query_params.get("cursor") or None
    found = read_as(
        request,
        LEAD_READ,
        lambda tx: records.list_leads(tx, form_id=form_id, cursor=cursor, limit=LIST_LIMIT),
    )
    return page_response(
        request, "social/leads/leads.html", leads=found, form_id=form_id, forms_base=FORMS_BASE
    )


def lead_page(request: Request) -> Response:
    lead_id: int = request.path_params["lead_id"]
    found = read_as(request, LEAD_READ, lambda tx: records.get_lead(tx, lead_id))
    return page_response(request, "social/leads/lead.html", lead=found, base=BASE)


def forms_page(request: Request) -> Response:
    check_query(request)
    settings = settings_of(crm_of(request))
    found = read_as(request, LEAD_READ, lambda tx: forms.list_forms(tx.conn, settings))
    return page_response(request, "social/leads/forms.html", lead_forms=found, base=FORMS_BASE)


def _seen_fields(tx: Transaction, form_id: str) -> list[str]:
    """The field names and disclaimer keys of the form's latest leads (names, not answers)."""
    rows = tx.conn.execute(
        select(lead.c.raw)
        .where(lead.c.form_id == form_id)
        .order_by(lead.c.id.desc())
        .limit(SAMPLED_LEADS)
    ).scalars()
    names: dict[str, None] = {}
    for raw in rows:
        for item in raw.get("field_data") or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names[item["name"]] = None
        for item in raw.get("custom_disclaimer_responses") or []:
            if isinstance(item, dict) and isinstance(item.get("checkbox_key"), str):
                names[item["checkbox_key"]] = None
    return list(names)


def form_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """A form's mapping: each field seen or mapped, the target in force, and where it comes
    from (the form's own mapping or the defaults)."""
    form_id = forms.check_form_id(request.path_params["form_id"])
    settings = settings_of(crm_of(request))

    def work(tx: Transaction) -> tuple[forms.LeadForm, list[str]]:
        return forms.get_form(tx.conn, settings, form_id), _seen_fields(tx, form_id)

    form, seen = read_as(request, LEAD_READ, work)
    names = list(dict.fromkeys([*form.fields, *seen]))
    rows = [
        {
            "name": name,
            "target": form.targets.get(name, ""),
            "own": name in form.fields,
            "default": forms.defaults(settings).get(name, ""),
        }
        for name in names
    ]
    return page_response(
        request,
        "social/leads/form.html",
        status=status,
        form=form,
        rows=rows,
        targets=TARGETS,
        base=FORMS_BASE,
        action=form_url(form_id),
        may_write=is_allowed(crm_of(request).host, actor_of(request), FORM_WRITE),
        values=values or {},
        error=error,
        error_field=getattr(error, "field", None),
    )


def _changes(settings: Any, fields: dict[str, str]) -> tuple[dict[str, Any], int]:
    """The mapping change a posted form asks for: a target typed for each field (blank, or
    the default's: the form keeps none of its own), and a new field."""
    given: dict[str, Any] = {}
    default = forms.defaults(settings)
    for key, value in fields.items():
        if not key.startswith("target."):
            continue
        name, target = key.removeprefix("target."), value.strip()
        given[name] = None if not target or target == default.get(name) else target
    new_name, new_target = fields.get("new_name", "").strip(), fields.get("new_target", "").strip()
    if new_name:
        given[new_name] = new_target or None
    version = parse_whole_number("version", fields.get("version", "0") or "0", minimum=0)
    return {"fields": given, "name": fields.get("name") or None}, version


async def post_form(request: Request) -> Response:
    form_id = forms.check_form_id(request.path_params["form_id"])
    settings = settings_of(crm_of(request))

    def save(tx: Transaction, fields: dict[str, str]) -> str:
        data, version = _changes(settings, fields)
        forms.change_form(tx, settings, form_id, data, version)
        return form_url(form_id)

    return await submit(request, FORM_WRITE, save, form_page)


ROUTES: list[BaseRoute] = [
    Route("/page/leads", leads_page, methods=["GET"]),
    Route("/page/leads/{lead_id:id}", lead_page, methods=["GET"]),
    Route("/page/lead-forms", forms_page, methods=["GET"]),
    Route("/page/lead-forms/{form_id}", form_page, methods=["GET"]),
    Route("/page/lead-forms/{form_id}", post_form, methods=["POST"]),
]
