"""The idoc part's pages: the IDoc files taken in, and one file with its IDocs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import MenuItem, ValidationError
from crmkit.web import check_query, page_response, read_as
from crmkit_erp_sap.idoc.access import IDOC_READ
from crmkit_erp_sap.idoc.files import file_detail, list_files
from crmkit_erp_sap.idoc.tables import FILE_STATUSES

MENU = [MenuItem("IDoc files", "/p/erp_sap/page/idoc-files", IDOC_READ, order=86)]
PAGE_SIZE = 50


def idoc_files_page(request: Request) -> Response:
    """The files newest first, filtered by status."""
    check_query(request, ("status", "cursor"))
    status = request.query_params.get("status") or None
    if status is not None and status not in FILE_STATUSES:
        raise ValidationError("status", f"expected one of {', '.join(FILE_STATUSES)}")
    cursor = request.query_params.get("cursor")
    page = read_as(
        request,
        IDOC_READ,
        lambda tx: list_files(tx, status=status, cursor=cursor, limit=PAGE_SIZE),
    )
    return page_response(
        request, "erp_sap/idoc/files.html", page=page, chosen=status or "", statuses=FILE_STATUSES
    )


def idoc_file_page(request: Request) -> Response:
    """One file: its counts, its error, each IDoc and what became of it."""
    check_query(request)
    file_id: int = request.path_params["file_id"]
    detail = read_as(request, IDOC_READ, lambda tx: file_detail(tx, file_id))
    return page_response(request, "erp_sap/idoc/file.html", detail=detail)


ROUTES: list[BaseRoute] = [
    Route("/page/idoc-files", idoc_files_page, methods=["GET"]),
    Route("/page/idoc-files/{file_id:id}", idoc_file_page, methods=["GET"]),
]
