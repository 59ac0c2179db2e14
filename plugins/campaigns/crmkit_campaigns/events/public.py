"""The public pages (no login) under /p/campaigns/public/events/: register, confirm, cancel, ticket.

What stands in for a login and a CSRF token, as on the kernel's lead form: a
browser's cross-site post is refused by its ``Origin``; a bot filling the hidden
honeypot field is answered as if it succeeded and nothing is stored; each client
address may post only so many registrations a minute (429). Confirming and
cancelling are forms on their own pages, not the links themselves, because mail
scanners open links; the signed token in the link is what a stranger cannot
forge. A tampered or expired link is a 404 page and changes nothing.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from crmkit import Actor, ConfigurationError, NotFound, ValidationError, utcnow
from crmkit.web import RefusedForm, crm_of, page_response, public_route, read_form, read_object
from crmkit_campaigns.events import registration as registrations
from crmkit_campaigns.events import service
from crmkit_campaigns.events.display import HELPERS
from crmkit_campaigns.events.links import PUBLIC, checkin_path, public_base, register_path
from crmkit_campaigns.events.model import Event
from crmkit_campaigns.events.registration import Answer
from crmkit_campaigns.events.tables import event
from crmkit_campaigns.events.tickets import event_ics, qr_png
from crmkit_campaigns.events.tokens import make_token, read_token

log = logging.getLogger(__name__)
HONEYPOT = "website"
"""A field people never see; only a bot fills it in."""
FORM_FIELDS = ("first_name", "last_name", "email", "company", "phone")
TICKED = frozenset({"on", "true", "yes", "1"})
NO_STORE = {"Cache-Control": "no-store"}
VISITOR = Actor(user_id=None, username="plugin:campaigns", role="system")
REGISTRATIONS_PER_MINUTE = 20
PAGES_PER_MINUTE = 120


@frozen
class Verifier:
    """Public event pages sign nothing: each handler checks the link's token itself."""

    parameters: tuple[Any, ...] = ()

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    if not isinstance(getattr(request.state, "actor", None), Actor):
        request.state.actor = VISITOR
    response = page_response(
        request, f"campaigns/events/{template}", status=status, **HELPERS, **context
    )
    response.headers.update(NO_STORE)
    return response


def _message(request: Request, status: int, title: str, message: str) -> Response:
    return _page(request, "public_message.html", status, title=title, message=message)


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every cross-site POST; programs posting JSON send none.
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _wants_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def _open_event(conn: Connection, slug: str) -> Event:
    found = service.event_by_slug(conn, slug)
    if found.status not in ("published", "done"):
        raise NotFound("there is no such event")
    return found


def _form_page(
    request: Request,
    found: Event,
    values: dict[str, str],
    error: ValidationError | None = None,
    status: int = 200,
) -> Response:
    row = _row(found.id, request)
    return _page(
        request,
        "register.html",
        status,
        event=found,
        open=registrations.is_open(row, utcnow()),
        values=values,
        error=error,
        error_field=error.field if error else None,
        action=register_path(found.slug),
    )


def _row(event_id: int, request: Request) -> Any:
    with crm_of(request).read() as conn:
        return conn.execute(select(event).where(event.c.id == event_id)).one()


def register_page(request: Request) -> Response:
    """The event and its registration form."""
    try:
        with crm_of(request).read() as conn:
            found = _open_event(conn, request.path_params["slug"])
    except NotFound:
        return _message(request, 404, "Not found", "There is no such event.")
    return _form_page(request, found, {})


def _form_data(form: dict[str, str], found: Event) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "") for name in FORM_FIELDS}
    data["marketing_consent"] = form.get("marketing_consent", "") in TICKED
    data["sessions"] = [str(s.id) for s in found.sessions if form.get(f"session_{s.id}") in TICKED]
    return data


async def post_registration(request: Request) -> Response:
    """Register (pending until the emailed link is followed); the form again when refused."""
    crm = crm_of(request)
    try:
        found = await crm.query(lambda conn: _open_event(conn, request.path_params["slug"]))
    except NotFound:
        return _message(request, 404, "Not found", "There is no such event.")
    if not _same_origin(request):
        return _message(request, 403, "Refused", "This form can only be sent from its own page.")
    json_body = _wants_json(request)
    try:
        if json_body:
            data = await read_object(request)
            bot = bool(data.pop(HONEYPOT, None))
            form = {k: str(v) for k, v in data.items() if k in FORM_FIELDS}
        else:
            form = await read_form(request)
            bot = bool(form.get(HONEYPOT))
            data = _form_data(form, found)
    except RefusedForm as exc:
        return _form_page(request, found, exc.fields, exc, 422)
    if not bot:
        try:
            await crm.write(
                lambda tx: registrations.register(tx, found.id, data, utcnow()),
                request.state.actor,
            )
        except ValidationError as exc:
            if json_body:
                raise
            return _form_page(request, found, form, exc, 422)
    if json_body:
        return Response('{"status":"pending"}', 202, media_type="application/json")
    return _page(request, "registered.html", event=found, email=form.get("email", ""))


def _answer_page(request: Request, answer: Answer, **context: Any) -> Response:
    crm = crm_of(request)
    with crm.read() as conn:
        found = service.get_event(conn, answer.event_id)
    checkin = make_token(crm, "checkin", answer.registration_id)
    return _page(
        request,
        "answer.html",
        event=found,
        answer=answer,
        qr=f"{PUBLIC}/qr?t={checkin}",
        ics=f"{PUBLIC}/{found.slug}/event.ics",
        cancel=f"{PUBLIC}/cancel?t={make_token(crm, 'cancel', answer.registration_id)}",
        **context,
    )


def _linked(request: Request, purpose: Any, token: str | None) -> Any:
    """The registration a link's token signs (a row); NotFound for a tampered one."""
    crm = crm_of(request)
    registration_id = read_token(crm, purpose, token)
    with crm.read() as conn:
        return registrations.registration_row(conn, registration_id)


def _refused_link(request: Request, exc: NotFound) -> Response:
    return _message(request, 404, "Link not valid", f"Sorry: {exc.message}.")


def confirm_page(request: Request) -> Response:
    """The registrant's button to confirm (the link alone confirms nothing)."""
    token = request.query_params.get("t")
    try:
        reg = _linked(request, "confirm", token)
        registrations.check_confirmable(crm_of(request), reg, utcnow())
        with crm_of(request).read() as conn:
            answer = registrations.answer_of(conn, reg)
    except NotFound as exc:
        return _refused_link(request, exc)
    if reg.status != "pending":
        return _answer_page(request, answer)
    with crm_of(request).read() as conn:
        found = service.get_event(conn, reg.event_id)
    return _page(request, "confirm.html", event=found, token=token)


async def post_confirm(request: Request) -> Response:
    """Confirm: a seat, or a place on the waiting list; the email saying which."""
    crm = crm_of(request)
    try:
        form = await read_form(request)
        registration_id = read_token(crm, "confirm", form.get("t"))
        answer = await crm.write(
            lambda tx: registrations.confirm(tx, registration_id, utcnow()), request.state.actor
        )
    except (NotFound, RefusedForm) as exc:
        return _refused_link(request, exc if isinstance(exc, NotFound) else NotFound("bad form"))
    return _answer_page(request, answer)


def cancel_page(request: Request) -> Response:
    """The registrant's button to cancel."""
    token = request.query_params.get("t")
    try:
        reg = _linked(request, "cancel", token)
    except NotFound as exc:
        return _refused_link(request, exc)
    with crm_of(request).read() as conn:
        found = service.get_event(conn, reg.event_id)
    return _page(request, "cancel.html", event=found, token=token, status_now=reg.status)


async def post_cancel(request: Request) -> Response:
    """Cancel: the seat goes to the first on the waiting list."""
    crm = crm_of(request)
    try:
        form = await read_form(request)
        registration_id = read_token(crm, "cancel", form.get("t"))
        answer = await crm.write(
            lambda tx: registrations.cancel(tx, registration_id, utcnow()), request.state.actor
        )
    except (NotFound, RefusedForm) as exc:
        return _refused_link(request, exc if isinstance(exc, NotFound) else NotFound("bad form"))
    with crm.read() as conn:
        found = service.get_event(conn, answer.event_id)
    return _page(request, "cancelled.html", event=found, answer=answer)


def qr_image(request: Request) -> Response:
    """The ticket's QR code (PNG): the staff check-in address of the registration."""
    crm = crm_of(request)
    token = request.query_params.get("t")
    try:
        reg = _linked(request, "checkin", token)
    except NotFound as exc:
        return _refused_link(request, exc)
    target = f"{public_base(crm)}{checkin_path(reg.event_id, token or '')}"
    return Response(qr_png(target), media_type="image/png", headers={"Cache-Control": "private"})


def ics_file(request: Request) -> Response:
    """The event as a calendar entry."""
    try:
        with crm_of(request).read() as conn:
            found = _open_event(conn, request.path_params["slug"])
            row = conn.execute(select(event).where(event.c.id == found.id)).one()
    except NotFound:
        return _message(request, 404, "Not found", "There is no such event.")
    body = event_ics(crm_of(request), row, utcnow())
    return Response(
        body,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{found.slug}.ics"'},
    )


def _configured(endpoint: Any) -> Any:
    """``endpoint`` answering a 503 page while the links cannot be signed or addressed
    (``plugins.channels.link_secret`` or ``public_url`` unset): the operator's to fix."""

    def unavailable(request: Request, exc: ConfigurationError) -> Response:
        log.error("event registration pages are not configured: %s", exc)
        return _message(request, 503, "Not available", "Registration is not available yet.")

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def asynchronous(request: Request) -> Response:
            try:
                response: Response = await endpoint(request)
            except ConfigurationError as exc:
                return unavailable(request, exc)
            return response

        return asynchronous

    @functools.wraps(endpoint)
    def synchronous(request: Request) -> Response:
        try:
            response: Response = endpoint(request)
        except ConfigurationError as exc:
            return unavailable(request, exc)
        return response

    return synchronous


def _route(
    path: str, endpoint: Any, method: str, name: str, per_minute: int = PAGES_PER_MINUTE
) -> BaseRoute:
    return public_route(
        f"/public/events{path}",
        _configured(endpoint),
        verifier=Verifier(),
        methods=(method,),
        per_minute=per_minute,
        name=name,
    )


ROUTES: list[BaseRoute] = [
    _route("/confirm", confirm_page, "GET", "campaigns_event_confirm_page"),
    _route("/confirm", post_confirm, "POST", "campaigns_event_confirm"),
    _route("/cancel", cancel_page, "GET", "campaigns_event_cancel_page"),
    _route("/cancel", post_cancel, "POST", "campaigns_event_cancel"),
    _route("/qr", qr_image, "GET", "campaigns_event_qr"),
    _route("/{slug}/register", register_page, "GET", "campaigns_event_register_page"),
    _route(
        "/{slug}/register",
        post_registration,
        "POST",
        "campaigns_event_register",
        REGISTRATIONS_PER_MINUTE,
    ),
    _route("/{slug}/event.ics", ics_file, "GET", "campaigns_event_ics"),
]
