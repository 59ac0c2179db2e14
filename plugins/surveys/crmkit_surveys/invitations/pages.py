"""The invitations part's pages: a survey's sends with the new-send form (and a preview of its
audience), its invitations by status, its open link; the after-event rules and their form.

Every form is a plain post; a refused one shows the page again with what was typed and why,
having stored nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, is_allowed
from crmkit.web import Refusal, actor_of, crm_of, page_response, read_as, read_form, submit
from crmkit_surveys.definitions.tables import survey
from crmkit_surveys.invitations import form, listing, open_links, rules, sends
from crmkit_surveys.invitations.access import RULE_WRITE, SEND_WRITE, SURVEY_READ
from crmkit_surveys.invitations.model import AudienceSize, OpenLink
from crmkit_surveys.invitations.seen_audience import as_seen
from crmkit_surveys.invitations.survey_state import survey_state
from crmkit_surveys.invitations.tables import CHANNELS, INVITATION_STATUSES

BASE = "/p/surveys/page/surveys"
RULES = "/p/surveys/page/rules"
SHOWN = 100
"""The definitions part's "Surveys" item leads here through each survey's page."""


def sends_url(survey_id: int) -> str:
    return f"{BASE}/{survey_id}/sends"


def sends_page(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
    preview: AudienceSize | None = None,
    open_link: OpenLink | None = None,
) -> Response:
    """A survey's sends, its invitations by status, and the form of a new send."""
    crm, actor = crm_of(request), actor_of(request)
    survey_id = request.path_params["survey_id"]

    def work(tx: Transaction) -> tuple[Any, Any, Any]:
        return (
            survey_state(tx.conn, survey_id),
            as_seen(tx, sends.list_sends(tx.conn, survey_id)),
            listing.status_counts(tx.conn, crm.host, actor, survey_id),
        )

    found, made, counts = read_as(request, SURVEY_READ, work)
    shown = values or {"audience": "party_ids", "channel": "email"}
    return page_response(
        request,
        "surveys/invitations/sends.html",
        status=status,
        survey=found,
        sends=made,
        counts=counts,
        channels=CHANNELS,
        with_segments="campaigns" in crm.host.loaded,
        may_send=is_allowed(crm.host, actor, SEND_WRITE),
        values=shown,
        error=error,
        error_field=getattr(error, "field", None),
        preview=preview,
        open_link=open_link,
        base=f"{BASE}/{survey_id}",
    )


async def post_send(request: Request) -> Response:
    survey_id = request.path_params["survey_id"]

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        languages = survey_state(tx.conn, survey_id).languages
        sends.create_send(tx, survey_id, form.send_of(fields, languages))
        return sends_url(survey_id)

    return await submit(request, SEND_WRITE, act, sends_page)


async def post_preview(request: Request) -> Response:
    """The form again, with how many parties the send would reach now."""
    survey_id = request.path_params["survey_id"]
    fields = await read_form(request)

    def work(tx: Transaction) -> AudienceSize:
        data = form.send_of(fields, ())
        return sends.audience_size(
            tx, survey_id, {"audience": data["audience"], "channel": data["channel"]}
        )

    try:
        size = read_as(request, SEND_WRITE, work)
    except ValidationError as exc:
        return sends_page(request, fields, exc, 422)
    return sends_page(request, fields, preview=size)


async def post_open_link(request: Request) -> Response:
    """Make (or rotate) the open link and show it, once."""
    survey_id = request.path_params["survey_id"]
    made: list[OpenLink] = []

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        made.append(open_links.make_open_link(tx, survey_id))
        return sends_url(survey_id)

    answer = await submit(request, SEND_WRITE, act, sends_page)
    if not made:
        return answer
    return sends_page(request, open_link=made[0])


def invitations_page(request: Request) -> Response:
    """A survey's invitations (of the parties the reader sees), of one status when asked."""
    crm, actor = crm_of(request), actor_of(request)
    survey_id = request.path_params["survey_id"]
    status = request.query_params.get("status") or None
    if status not in INVITATION_STATUSES:
        status = None
    after = request.query_params.get("after", "")
    start = int(after) if after.isdigit() else 0

    def work(tx: Transaction) -> tuple[Any, Any, Any]:
        return (
            survey_state(tx.conn, survey_id),
            listing.list_invitations(
                tx.conn, crm.host, actor, survey_id, status=status, after=start, limit=SHOWN
            ),
            listing.status_counts(tx.conn, crm.host, actor, survey_id),
        )

    found, items, counts = read_as(request, SURVEY_READ, work)
    return page_response(
        request,
        "surveys/invitations/invitations.html",
        survey=found,
        invitations=items,
        counts=counts,
        shown_status=status,
        more=len(items) == SHOWN,
        base=f"{BASE}/{survey_id}",
    )


def _surveys(tx: Transaction) -> list[Any]:
    ids = tx.conn.execute(select(survey.c.id).order_by(survey.c.name)).scalars().all()
    return [survey_state(tx.conn, i) for i in ids]


def _languages(surveys: list[Any]) -> list[str]:
    return sorted({lang for s in surveys for lang in (s.default_language, *s.languages)})


def rules_page(request: Request) -> Response:
    """Every after-event rule with its survey."""
    crm, actor = crm_of(request), actor_of(request)

    def work(tx: Transaction) -> tuple[Any, Any]:
        return rules.list_rules(tx.conn), {s.id: s for s in _surveys(tx)}

    found, surveys = read_as(request, SURVEY_READ, work)
    return page_response(
        request,
        "surveys/invitations/rules.html",
        rules=found,
        surveys=surveys,
        may_write=is_allowed(crm.host, actor, RULE_WRITE),
    )


def rule_form(
    request: Request,
    values: dict[str, str] | None = None,
    error: Refusal | None = None,
    status: int = 200,
) -> Response:
    """The form of a new rule, or of a stored one (``rule_id`` in the path)."""
    crm = crm_of(request)
    rule_id = request.path_params.get("rule_id")

    def work(tx: Transaction) -> tuple[Any, Any]:
        return _surveys(tx), None if rule_id is None else rules.get_rule(tx.conn, rule_id)

    surveys, found = read_as(request, RULE_WRITE, work)
    shown = values or (form.rule_values(found) if found else {"channel": "email", "active": "on"})
    return page_response(
        request,
        "surveys/invitations/rule_form.html",
        status=status,
        rule=found,
        surveys=surveys,
        languages=_languages(surveys),
        event_types=sorted(crm.event_types),
        channels=CHANNELS,
        values=shown,
        error=error,
        error_field=getattr(error, "field", None),
    )


async def post_rule(request: Request) -> Response:
    rule_id = request.path_params.get("rule_id")

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        data = form.rule_of(fields, _languages(_surveys(tx)))
        if rule_id is None:
            rules.create_rule(tx, data)
        else:
            version = fields.get("version", "")
            rules.update_rule(
                tx, rule_id, data, version=int(version) if version.isdigit() else None
            )
        return RULES

    return await submit(request, RULE_WRITE, act, rule_form)


async def post_delete_rule(request: Request) -> Response:
    rule_id = request.path_params["rule_id"]

    def act(tx: Transaction, fields: dict[str, str]) -> str:
        rules.delete_rule(tx, rule_id)
        return RULES

    return await submit(request, RULE_WRITE, act, rule_form)


ROUTES: list[BaseRoute] = [
    Route("/page/surveys/{survey_id:id}/sends", sends_page),
    Route("/page/surveys/{survey_id:id}/sends", post_send, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/sends/preview", post_preview, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/open-link", post_open_link, methods=["POST"]),
    Route("/page/surveys/{survey_id:id}/invitations", invitations_page),
    Route("/page/rules", rules_page),
    Route("/page/rules/new", rule_form),
    Route("/page/rules/new", post_rule, methods=["POST"]),
    Route("/page/rules/{rule_id:id}", rule_form),
    Route("/page/rules/{rule_id:id}", post_rule, methods=["POST"]),
    Route("/page/rules/{rule_id:id}/delete", post_delete_rule, methods=["POST"]),
]
