"""The triggers part's JSON API under /p/campaigns/triggers: the triggers offered, and per
triggered campaign its preview, its runs and running it now.

Triggered campaigns themselves are defined through ``/p/campaigns/campaigns`` (``kind``
``triggered`` and a ``trigger``), started, paused and cancelled there.
"""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, utcnow
from crmkit.web import actor_of, check_query, crm_of, json_response, operation, read_as
from crmkit_campaigns.campaigns.access import CAMPAIGN_READ, CAMPAIGN_SEND
from crmkit_campaigns.triggers import service
from crmkit_campaigns.triggers.registry import available_triggers
from crmkit_campaigns.triggers.service import TriggerPreview, TriggerRun


@frozen
class TriggerInfo:
    """A trigger a campaign can start from: its name, label and parameters (name: kind)."""

    name: str
    label: str
    parameters: Mapping[str, str]


@operation("The triggers after-sales campaigns can start from", response=list[TriggerInfo])
def list_triggers(request: Request) -> Response:
    check_query(request)
    crm = crm_of(request)
    offered = read_as(request, CAMPAIGN_READ, lambda tx: available_triggers(crm))
    infos = [TriggerInfo(t.name, t.label, dict(t.parameters)) for t in offered.values()]
    return json_response(crm, sorted(infos, key=lambda t: t.name))


@operation(
    "What a run of the triggered campaign would consider today: occurrences due, a sample",
    response=TriggerPreview,
    errors=(404,),
    description="Counted over the parties the caller sees; consent is checked when entering.",
)
def get_preview(request: Request) -> Response:
    check_query(request)
    crm, actor = crm_of(request), actor_of(request)
    campaign_id = request.path_params["campaign_id"]

    def work(tx: Transaction) -> TriggerPreview:
        return service.preview(crm, tx.conn, actor, campaign_id, utcnow())

    return json_response(crm, read_as(request, CAMPAIGN_READ, work))


@operation("The triggered campaign's latest runs", response=list[TriggerRun], errors=(404,))
def list_runs(request: Request) -> Response:
    check_query(request)
    campaign_id = request.path_params["campaign_id"]
    runs = read_as(request, CAMPAIGN_READ, lambda tx: service.runs_of(tx.conn, campaign_id))
    return json_response(crm_of(request), runs)


@operation(
    "Run the triggered campaign now, as the daily job does",
    response=TriggerRun,
    errors=(404, 409),
    description="Enters today's due occurrences as the campaign's owner; 409 unless it is active.",
)
async def post_run(request: Request) -> Response:
    check_query(request)
    crm = crm_of(request)
    campaign_id = request.path_params["campaign_id"]
    # The permission first: the run itself acts as the campaign's owner, not as the caller.
    read_as(request, CAMPAIGN_SEND, lambda tx: service.runs_of(tx.conn, campaign_id, limit=1))
    ran = await run_in_threadpool(service.run_campaign, crm, campaign_id, utcnow())
    return json_response(crm, ran, 201)


ROUTES: list[BaseRoute] = [
    Route("/triggers", list_triggers),
    Route("/triggers/campaigns/{campaign_id:id}/preview", get_preview),
    Route("/triggers/campaigns/{campaign_id:id}/runs", list_runs),
    Route("/triggers/campaigns/{campaign_id:id}/run", post_run, methods=["POST"]),
]
