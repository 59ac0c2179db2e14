"""The idoc part's JSON API under ``/p/erp_sap/``: the IDoc files taken in, and an order's
ORDERS05 IDoc."""

from __future__ import annotations

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import (
    ConfigurationError,
    Page,
    Transaction,
    ValidationError,
    parse_whole_number,
    require,
    utcnow,
)
from crmkit.web import Param, actor_of, check_query, crm_of, json_response, operation, read_as
from crmkit_erp_sap.idoc.access import IDOC_EXPORT, IDOC_IMPORT, IDOC_READ
from crmkit_erp_sap.idoc.files import IdocFile, IdocFileDetail, file_detail, list_files
from crmkit_erp_sap.idoc.intake import import_inbox, sap_system
from crmkit_erp_sap.idoc.orders_out import orders05
from crmkit_erp_sap.idoc.tables import FILE_STATUSES

PAGE_LIMIT = 200
XML = "application/xml"


@operation(
    "The IDoc files taken in or written, newest first, a page at a time",
    response=Page[IdocFile],
    query=(
        Param("status", str, f"Only files of this status ({', '.join(FILE_STATUSES)})"),
        Param("cursor", str, "The next_cursor of the page before"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
    ),
)
def erp_sap_list_idoc_files(request: Request) -> Response:
    check_query(request, ("status", "cursor", "limit"))
    status = request.query_params.get("status")
    if status is not None and status not in FILE_STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(FILE_STATUSES)}")
    raw = request.query_params.get("limit")
    limit = 50 if raw is None else parse_whole_number("limit", raw, minimum=1, maximum=PAGE_LIMIT)
    cursor = request.query_params.get("cursor")

    def work(tx: Transaction) -> Page[IdocFile]:
        return list_files(tx, status=status, cursor=cursor, limit=limit)

    return json_response(crm_of(request), read_as(request, IDOC_READ, work))


@operation(
    "An IDoc file with each of its IDocs: applied, unchanged or failed and why",
    response=IdocFileDetail,
    errors=(404,),
)
def erp_sap_get_idoc_file(request: Request) -> Response:
    check_query(request)
    file_id: int = request.path_params["file_id"]
    found = read_as(request, IDOC_READ, lambda tx: file_detail(tx, file_id))
    return json_response(crm_of(request), found)


@operation(
    "Take in the files waiting in the inbox now (as the job does); the files taken in",
    response=list[IdocFile],
    description="No inbox set: an empty list. Each file's status says whether it was imported."
    " An inbox set to what is no folder: 503, saying so.",
    errors=(503,),
)
async def erp_sap_import_idoc_files(request: Request) -> Response:
    check_query(request)
    crm, actor = crm_of(request), actor_of(request)
    require(crm.host, actor, IDOC_IMPORT)
    # The intake commits a transaction per file and moves files: off the event loop.
    try:
        taken = await anyio.to_thread.run_sync(import_inbox, crm, actor)
    except ConfigurationError as error:  # the server's set-up, not the request, is wrong
        raise HTTPException(503, str(error)) from None
    return json_response(crm, taken)


@operation(
    "An sfa order as an ORDERS05 IDoc (XML), to hand to SAP",
    media_type=XML,
    errors=(404, 409),
    description="An order the user does not see (or no sfa plugin): 404. A customer without "
    "a SAP customer number in the IDoc system: 409.",
)
def erp_sap_order_orders05(request: Request) -> Response:
    check_query(request)
    order_id: int = request.path_params["order_id"]

    def work(tx: Transaction) -> bytes:
        return orders05(tx.app, tx.conn, tx.actor, order_id, sap_system(tx.app), utcnow())

    content = read_as(request, IDOC_EXPORT, work)
    disposition = f'attachment; filename="ORDERS05-{order_id}.xml"'
    return Response(content, media_type=XML, headers={"Content-Disposition": disposition})


ROUTES: list[BaseRoute] = [
    Route("/idoc-files", erp_sap_list_idoc_files, methods=["GET"]),
    Route("/idoc-files/import", erp_sap_import_idoc_files, methods=["POST"]),
    Route("/idoc-files/{file_id:id}", erp_sap_get_idoc_file, methods=["GET"]),
    Route("/orders/{order_id:id}/orders05.xml", erp_sap_order_orders05, methods=["GET"]),
]
