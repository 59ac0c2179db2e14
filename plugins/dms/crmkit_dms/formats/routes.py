"""The formats part's JSON API under ``/p/dms/``: the signed public routes taking ADF and STAR,
the document log, a lead exported as ADF.

A document that cannot be read (not XML, a DTD or entity, too large, no lead usable) is a
422 problem naming ``body`` and changes nothing; a STAR sender gets a ConfirmBOD with the
error instead, with the same status.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmkit import Transaction, ValidationError, parse_whole_number, seen_party
from crmkit.web import (
    Param,
    actor_of,
    check_query,
    crm_of,
    json_response,
    operation,
    public_route,
    read_as,
    write_as,
)
from crmkit_dms.formats import log, star
from crmkit_dms.formats.access import DOCUMENT_IMPORT, DOCUMENT_READ
from crmkit_dms.formats.adf import to_adf
from crmkit_dms.formats.export import lead_of_party
from crmkit_dms.formats.receiving import Received, receive, receive_in_own_transaction
from crmkit_dms.formats.settings import SOURCE_NAME
from crmkit_dms.formats.signing import SourceSignature, source_of

XML = "application/xml"
ADF_TYPE = "application/x-adf+xml"
PAGE_LIMIT = 200


def _received(request: Request, body: bytes, fmt: str) -> Received:
    return receive_in_own_transaction(
        crm_of(request), actor_of(request), body, source=source_of(request), fmt=fmt
    )


@operation(
    "Take in an ADF 1.0 document: each prospect taken in and routed",
    response=dict[str, Any],
    errors=(422,),
    description=(
        "Signed by a source of [plugins.dms.formats] sources. The answer lists each prospect: "
        "taken (party_id, assignment_id, partner_id) or refused with its reason. The same "
        "document again answers as the first time, with repeated true."
    ),
)
async def dms_public_adf(request: Request) -> Response:
    body = await request.body()
    found = await run_in_threadpool(_received, request, body, "adf")
    return json_response(crm_of(request), found.as_json())


@operation(
    "Take in a STAR 5 BOD (ProcessSalesLead, ProcessRepairOrder); answered with its acknowledgement",
    media_type=XML,
    errors=(422,),
    description="AcknowledgeSalesLead / AcknowledgeRepairOrder, or ConfirmBOD with the error (422).",
)
async def dms_public_star(request: Request) -> Response:
    body = await request.body()
    try:
        found = await run_in_threadpool(_received, request, body, "star")
    except ValidationError as refused:
        return Response(star.confirm_bod(None, "", refused.reason), 422, media_type=XML)
    accepted = [str(r.get("lead_id") or r["position"]) for r in found.results if "refused" not in r]
    refused_nouns = [
        (str(r.get("lead_id") or r["position"]), r["refused"])
        for r in found.results
        if "refused" in r
    ]
    bod = found.bod or _bod_of(body)
    return Response(
        star.acknowledgement(bod, accepted=accepted, refused=refused_nouns), media_type=XML
    )


def _bod_of(body: bytes) -> star.Bod:
    """The BOD of a document answered from the log (a resend): read again for its envelope."""
    return star.parse_bod(body, max_bytes=len(body) + 1)


@operation(
    "Take in an ADF or STAR document by hand, as if its source had posted it",
    response=dict[str, Any],
    query=(
        Param("source", str, "The sender it came from (a-z, digits, '-', '_')", required=True),
        Param("format", str, "adf or star (default: by its root element)"),
    ),
    errors=(422,),
    description="The body is the document. The answer is that of POST /p/dms/public/adf.",
)
async def dms_import_document(request: Request) -> Response:
    check_query(request, ("source", "format"))
    source = request.query_params.get("source", "")
    if not SOURCE_NAME.match(source):
        raise ValidationError("source", "expected a-z, digits, '-' or '_', at most 60")
    fmt = request.query_params.get("format")
    if fmt not in (None, "adf", "star"):
        raise ValidationError("format", "expected adf or star")
    body = await request.body()
    found = await write_as(
        request, DOCUMENT_IMPORT, lambda tx: receive(tx, body, source=source, fmt=fmt)
    )
    return json_response(crm_of(request), found.as_json())


@operation(
    "The document log, newest first",
    response=list[dict[str, Any]],
    query=(
        Param("before", int, "Only documents with a smaller id (the last id of the page before)"),
        Param("limit", int, f"At most this many (1 to {PAGE_LIMIT}, default 50)"),
        Param("direction", str, "in or out"),
    ),
)
def dms_list_documents(request: Request) -> Response:
    check_query(request, ("before", "limit", "direction"))
    params = request.query_params
    limit = parse_whole_number("limit", params.get("limit", "50"), minimum=1, maximum=PAGE_LIMIT)
    before = params.get("before")
    first_id = None if before is None else parse_whole_number("before", before, minimum=1)

    def work(tx: Transaction) -> list[dict[str, Any]]:
        return log.list_documents(
            tx.conn, before=first_id, limit=limit, direction=params.get("direction")
        )

    return json_response(crm_of(request), read_as(request, DOCUMENT_READ, work))


@operation(
    "One document: what each lead became, and its body as kept",
    response=dict[str, Any],
    errors=(404,),
)
def dms_get_document(request: Request) -> Response:
    check_query(request)
    document_id: int = request.path_params["document_id"]
    found = read_as(request, DOCUMENT_READ, lambda tx: log.get_document(tx.conn, document_id))
    return json_response(crm_of(request), found)


@operation(
    "A lead as an ADF 1.0 document, as a dealer receives it", media_type=ADF_TYPE, errors=(404,)
)
def dms_lead_adf(request: Request) -> Response:
    check_query(request)
    party_id: int = request.path_params["party_id"]

    def work(tx: Transaction) -> bytes:
        party = seen_party(tx.hooks, tx.conn, tx.actor, party_id)
        return to_adf(lead_of_party(tx.conn, party))

    return Response(read_as(request, DOCUMENT_READ, work), media_type=ADF_TYPE)


ROUTES: list[BaseRoute] = [
    public_route("/public/adf", dms_public_adf, verifier=SourceSignature(), name="dms_public_adf"),
    public_route(
        "/public/star", dms_public_star, verifier=SourceSignature(), name="dms_public_star"
    ),
    Route("/documents", dms_list_documents, methods=["GET"]),
    Route("/documents", dms_import_document, methods=["POST"]),
    Route("/documents/{document_id:id}", dms_get_document, methods=["GET"]),
    Route("/leads/{party_id:id}/adf.xml", dms_lead_adf, methods=["GET"]),
]
