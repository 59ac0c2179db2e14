"""The API of a person's data request: everything held on a party, as one JSON document.

Erasure is the ``DELETE`` of the prospect or customer (:mod:`crmkit.web.api`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit.core.db import Transaction
from crmkit.core.permissions import require
from crmkit.core.privacy import KERNEL_SECTIONS, export_on_request, export_text
from crmkit.core.visible_records import visible_party
from crmkit.web.context import actor_of, crm_of
from crmkit.web.listing import check_parameters
from crmkit.web.openapi import operation

EXPORT = "core:party.export"


@operation(
    "Everything held on a prospect or customer, for their data request",
    response=dict[str, Any],
    errors=(404,),
    description=(
        f"One JSON document, keys sorted: the kernel's sections ({', '.join(KERNEL_SECTIONS)})"
        " and those of each plugin. Needs core:party.export on the party; each export is"
        " recorded in the party's audit trail (who and when, not what)."
    ),
)
async def party_export(request: Request) -> Response:
    crm, actor = crm_of(request), actor_of(request)
    check_parameters(request.query_params, ())
    party_id = request.path_params["party_id"]

    def work(tx: Transaction) -> str:
        entity = visible_party(crm, tx.conn, actor, party_id)
        require(crm.host, actor, EXPORT, entity, conn=tx.conn)
        return export_text(export_on_request(tx, party_id))

    text = await crm.write(work, actor)
    return Response(
        text,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="party-{party_id}-export.json"',
            # Personal data: no cache on the way may keep a copy.
            "Cache-Control": "no-store",
        },
    )


ROUTES: list[BaseRoute] = [
    Route("/parties/{party_id:id}/export", party_export, methods=["GET"], name="api_party_export"),
]
"""Below ``/api/v1``, where :mod:`crmkit.web.app` mounts them with the other API routes."""
