"""The formats part's pages: the document log and one document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, ValidationError, parse_whole_number
from crmkit.web import check_query, page_response, read_as
from crmkit_dms.formats import log
from crmkit_dms.formats.access import DOCUMENT_READ

BASE = "/p/dms/page/documents"
MENU = [MenuItem("Lead documents", BASE, DOCUMENT_READ, order=64)]
PAGE_SIZE = 50


def documents_page(request: Request) -> Response:
    """The newest documents, in and out, with how many leads each brought or sent."""
    check_query(request, ("before", "direction"))
    raw = request.query_params.get("before") or None
    before = None if raw is None else parse_whole_number("before", raw, minimum=1)
    direction = request.query_params.get("direction") or None
    error = None
    if direction is not None and direction not in log.DIRECTIONS:
        # A stale link or a typed address: the page, unfiltered, saying why.
        error = ValidationError("direction", "expected in or out")
        direction = None
    found = read_as(
        request,
        DOCUMENT_READ,
        lambda tx: log.list_documents(tx.conn, before=before, limit=PAGE_SIZE, direction=direction),
    )
    older = found[-1]["id"] if len(found) == PAGE_SIZE else None
    return page_response(
        request,
        "dms/formats/documents.html",
        status=200 if error is None else 422,
        documents=found,
        direction=direction,
        older=older,
        error=error,
    )


def document_page(request: Request) -> Response:
    check_query(request)
    document_id: int = request.path_params["document_id"]
    found = read_as(request, DOCUMENT_READ, lambda tx: log.get_document(tx.conn, document_id))
    return page_response(request, "dms/formats/document.html", document=found)


ROUTES: list[BaseRoute] = [
    Route("/page/documents", documents_page, methods=["GET"]),
    Route("/page/documents/{document_id:id}", document_page, methods=["GET"]),
]
