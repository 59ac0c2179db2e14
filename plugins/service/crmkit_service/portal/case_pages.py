"""A customer's cases on the portal: the list, filing one with files, following and answering
it, its files, and rating its resolution.

Only the signed-in customer's party's cases: any other id answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crmkit import (
    ConflictError,
    NotFound,
    Transaction,
    ValidationError,
    parse_whole_number,
    utcnow,
)
from crmkit.web import crm_of, operation
from crmkit_service.cases.model import Case
from crmkit_service.cases.service import (
    case_events,
    cases_of_party,
    customer_reply,
    get_case,
    open_case,
)
from crmkit_service.portal import forms, ratings
from crmkit_service.portal.attachments import (
    attachment_content,
    attachments_of,
    check_uploads,
    store_attachments,
)
from crmkit_service.portal.sessions import PortalSession
from crmkit_service.portal.web import (
    BASE,
    CSRF_FIELD,
    HTML,
    check_csrf,
    read_portal_form,
    render,
    settings_of,
    text_field,
)

KINDS = (
    ("question", "A question"),
    ("request", "A request"),
    ("incident", "Something is not working"),
    ("complaint", "A complaint"),
)


def _own_case(request: Request, conn: Connection, session: PortalSession, case_id: int) -> Case:
    """The case, if it is the customer's party's; NotFound for any other id, existing or not."""
    case = get_case(conn, session.actor, case_id, host=crm_of(request).host)
    if case.party_id != session.party_id:
        raise NotFound(f"case {case_id} does not exist")
    return case


@operation("The customer's cases", response=str, media_type=HTML, answers={303: None})
async def cases_page(request: Request, session: PortalSession) -> Response:
    """The customer's cases, newest first."""
    crm = crm_of(request)
    found = await crm.query(
        lambda conn: cases_of_party(conn, session.actor, session.party_id, host=crm.host)
    )
    return render(request, "cases.html", session=session, cases=found)


def _new_case_form(
    request: Request,
    session: PortalSession,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
) -> Response:
    settings = settings_of(request)
    return render(
        request,
        "new_case.html",
        session=session,
        status=status,
        kinds=KINDS,
        values=values or {"kind": "question"},
        error=error,
        error_field=error.field if error else None,
        settings=settings,
    )


@operation("The form to file a case", response=str, media_type=HTML, answers={303: None})
async def new_case_page(request: Request, session: PortalSession) -> Response:
    """The form to file a new case."""
    return _new_case_form(request, session)


@operation(
    "File a case with attachments",
    form=forms.CaseForm,
    status=303,
    errors=(401, 403),
    description="422: a field, or a file (over the size limit, of a type not allowed, or whose "
    "content is not what its name says); nothing is stored then.",
)
async def file_case(request: Request, session: PortalSession) -> Response:
    """File a case for the customer's party (channel "portal"), with its attachments."""
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), session.csrf_token)
    crm, now = crm_of(request), utcnow()
    try:
        kind = form.fields.get("kind", "")
        if kind not in dict(KINDS):
            raise ValidationError("kind", "choose what the case is about")
        data = {
            "party_id": session.party_id,
            "kind": kind,
            "subject": text_field(form, "subject", forms.MAX_SUBJECT, required=True),
            "description": text_field(form, "description", forms.MAX_BODY, required=True),
            "channel": "portal",
        }
        product = text_field(form, "product", forms.MAX_PRODUCT, required=False)
        if product:
            data["product"] = product
        files = check_uploads(settings_of(request), form.files)

        def file(tx: Transaction) -> Case:
            case = open_case(tx, data)
            store_attachments(tx, case.id, None, files, "portal", now)
            return case

        case = await crm.write(file, session.actor)
    except ValidationError as exc:
        return _new_case_form(request, session, status=422, values=form.fields, error=exc)
    return RedirectResponse(f"{BASE}/cases/{case.id}", 303)


def _shown_case(
    request: Request,
    session: PortalSession,
    case_id: int,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    error: ValidationError | None = None,
) -> Callable[[Connection], Response]:
    def page(conn: Connection) -> Response:
        case = _own_case(request, conn, session, case_id)
        return render(
            request,
            "case.html",
            session=session,
            status=status,
            case=case,
            events=case_events(conn, case.id, public_only=True),
            attachments=attachments_of(conn, case.id),
            rating=ratings.rating_of(conn, case),
            may_rate=ratings.may_be_rated(case),
            scores=ratings.SCORES,
            values=values or {},
            error=error,
            error_field=error.field if error else None,
            settings=settings_of(request),
        )

    return page


@operation("One of the customer's cases", response=str, media_type=HTML, answers={303: None})
async def case_page(request: Request, session: PortalSession) -> Response:
    """One of the customer's cases: its public events, files, the answer and rating forms."""
    case_id: int = request.path_params["case_id"]
    return await crm_of(request).query(_shown_case(request, session, case_id))


@operation(
    "Answer a case, with attachments",
    form=forms.ReplyForm,
    status=303,
    errors=(401, 403),
    description="An answer to a case merged into another goes to that one (the same party's), "
    "and the customer is sent there.",
)
async def answer_case(request: Request, session: PortalSession) -> Response:
    """Answer a case, with attachments: a resolved case is reopened, a waiting one taken back."""
    case_id: int = request.path_params["case_id"]
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), session.csrf_token)
    crm, now = crm_of(request), utcnow()
    try:
        body = text_field(form, "body", forms.MAX_BODY, required=True)
        files = check_uploads(settings_of(request), form.files)

        def answer(tx: Transaction) -> int:
            case = _own_case(request, tx.conn, session, case_id)
            # A merged case's answer goes to the case it was merged into (the same party's).
            event = customer_reply(tx, case.id, body, channel="portal")
            store_attachments(tx, event.case_id, event.id, files, "portal", now)
            return event.case_id

        answered = await crm.write(answer, session.actor)
    except ValidationError as exc:
        page = _shown_case(request, session, case_id, status=422, values=form.fields, error=exc)
        return await crm.query(page)
    return RedirectResponse(f"{BASE}/cases/{answered}#answer", 303)


@operation(
    "Rate a case's resolution",
    form=forms.RatingForm,
    status=303,
    errors=(401, 403, 409),
    description="409: this resolution has been rated already. 422: the case is not resolved.",
)
async def rate_case(request: Request, session: PortalSession) -> Response:
    """Rate the case's resolution, 1 to 5, with a comment: once per resolution."""
    case_id: int = request.path_params["case_id"]
    form = await read_portal_form(request)
    check_csrf(form.fields.get(CSRF_FIELD), session.csrf_token)
    crm, now = crm_of(request), utcnow()
    try:
        score = parse_whole_number("score", form.fields.get("score", ""), minimum=1, maximum=5)
        comment = text_field(form, "comment", ratings.MAX_COMMENT, required=False)

        def rate(tx: Transaction) -> None:
            case = _own_case(request, tx.conn, session, case_id)
            ratings.rate_case(tx, case, score, comment, now)

        await crm.write(rate, session.actor)
    except ValidationError as exc:
        page = _shown_case(request, session, case_id, status=422, values=form.fields, error=exc)
        return await crm.query(page)
    except ConflictError as exc:
        refusal = ValidationError("score", exc.message)
        page = _shown_case(request, session, case_id, status=409, error=refusal)
        return await crm.query(page)
    return RedirectResponse(f"{BASE}/cases/{case_id}#rating", 303)


@operation(
    "A file of one of the customer's cases",
    response=str,
    media_type="application/octet-stream",
    answers={303: None},
)
async def attachment_download(request: Request, session: PortalSession) -> Response:
    """A file of one of the customer's cases, as a download."""
    case_id: int = request.path_params["case_id"]
    attachment_id: int = request.path_params["attachment_id"]

    def read(conn: Connection) -> tuple[Any, bytes]:
        _own_case(request, conn, session, case_id)
        return attachment_content(conn, case_id, attachment_id)

    found, content = await crm_of(request).query(read)
    disposition = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    return Response(
        content,
        media_type=found.content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
    )
