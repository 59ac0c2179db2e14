"""Taking the leads of a form that no webhook announced: ``GET /{form_id}/leads`` page by
page, each lead not taken yet taken as the ``leadgen`` handler takes it (once per leadgen
id: a lead the webhook brings later, or a second run, finds its row and does nothing).

For the time the webhook subscription was down, or leads from before the page was
connected. Each lead is a transaction of its own: a failure keeps those taken before it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from attrs import define, field

from crmkit import Crm, ValidationError
from crmkit_social.accounts.graph import graph_client
from crmkit_social.accounts.model import account_by_page
from crmkit_social.leads.intake import LEAD_FIELDS, form_name_of, take_lead, taken
from crmkit_social.webhooks.model import PermanentFailure

PAGE_SIZE = 100
MAX_PAGES = 1000


@define
class Backfilled:
    """How many leads were taken, were known already, and failed (with the reasons)."""

    taken: int = 0
    known: int = 0
    failed: list[str] = field(factory=list)


def backfill(app: Crm, page_id: str, form_id: str, since: datetime | None = None) -> Backfilled:
    """Take every lead of ``form_id`` (of the page ``page_id``) created after ``since`` that
    was not taken yet. ``GraphError`` when Graph fails (run it again later: nothing is taken
    twice); ``ValidationError`` naming ``page`` for a page that is not connected."""
    with app.read() as conn:
        account = account_by_page(conn, page_id)
    if account is None or not account.active:
        raise ValidationError("page", f"page {page_id} is not a connected, active page")
    client = graph_client(app, account)
    params: dict[str, Any] = {"fields": LEAD_FIELDS, "limit": PAGE_SIZE}
    if since is not None:
        when = int(since.timestamp())
        params["filtering"] = json.dumps(
            [{"field": "time_created", "operator": "GREATER_THAN", "value": when}]
        )
    done = Backfilled()
    form_name = form_name_of(app, account, form_id)  # asked once, outside any transaction
    for _ in range(MAX_PAGES):
        answer = client.get(f"{form_id}/leads", params)
        for item in answer.get("data") or []:
            leadgen_id = str(item.get("id") or "")[:100] if isinstance(item, dict) else ""
            if not leadgen_id:
                continue
            try:
                with app.transaction() as tx:
                    tx.hold(f"social.lead.{leadgen_id}")
                    if taken(tx.conn, leadgen_id) is not None:
                        done.known += 1
                        continue
                    take_lead(
                        tx, account, {"form_id": form_id}, item, leadgen_id, form_name=form_name
                    )
                    done.taken += 1
            except PermanentFailure as failure:
                done.failed.append(f"{leadgen_id}: {failure.reason}")
        paging = answer.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            break
        params = {**params, "after": after}
    return done
