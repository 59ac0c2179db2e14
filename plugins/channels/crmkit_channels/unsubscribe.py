"""The unsubscribe link: a public route, no login, whose signed token withdraws one consent.

``GET`` shows a page with a button, so that a mail scanner opening the link
withdraws nothing; pressing it, or the mail client's RFC 8058 one-click ``POST``
(body ``List-Unsubscribe=One-Click``), records the withdrawal at once: the next
delivery of any email for that purpose finds it and suppresses the email.
"""

from __future__ import annotations

from html import escape
from typing import Any

from attrs import frozen
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from crmkit import NotFound, Transaction, consents_of, record_consent
from crmkit.web import Param, crm_of, public_route, read_form
from crmkit_channels.links import Unsubscribe, read_token
from crmkit_channels.outboxes import EMAIL
from crmkit_channels.settings import ChannelsSettings

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""


@frozen
class TokenInLink:
    """The route's "signature" is the token of the link, in the query parameter ``query``,
    checked by the handler itself.

    Nothing in the request's headers or body is signed: the public route's budget
    per client address still applies.
    """

    query: str

    @property
    def parameters(self) -> tuple[Param, ...]:
        return (Param(self.query, str, "The signed token of the link the email carried", True),)

    def verify(self, crm: Any, request: Request, body: bytes, now: float) -> None:
        return None


def _page(title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(title=escape(title), text=escape(text), form=form),
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _target(request: Request) -> Unsubscribe | None:
    settings: ChannelsSettings = crm_of(request).settings_of["channels"]
    try:
        return read_token(settings, request.query_params.get("token", ""))
    except NotFound:
        return None


def _invalid() -> HTMLResponse:
    return _page("Link not valid", "This unsubscribe link is not valid.", status=404)


def show(request: Request) -> Response:
    """The page an unsubscribe link opens, with a button that confirms."""
    if _target(request) is None:
        return _invalid()
    token = escape(request.query_params["token"], quote=True)
    form = (
        f'<form method="post" action="?token={token}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", "Press the button to receive no more of these emails.", form)


def withdraw(tx: Transaction, target: Unsubscribe, source: str) -> None:
    """Withdraw the consent unless it is withdrawn already (a second click records nothing)."""
    current = [
        c
        for c in consents_of(tx.conn, target.party_id)
        if c.purpose == target.purpose and c.channel == EMAIL.channel
    ]
    if current and current[0].status == "withdrawn":
        return
    record_consent(tx, target.party_id, target.purpose, EMAIL.channel, "withdrawn", source=source)


async def confirm(request: Request) -> Response:
    """Unsubscribe: withdraw the consent the link names (the page's button, or one click)."""
    target = _target(request)
    if target is None:
        return _invalid()
    form = await read_form(request)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    source = "one-click-unsubscribe" if one_click else "unsubscribe-link"
    try:
        await crm_of(request).write(lambda tx: withdraw(tx, target, source))
    except NotFound:  # the party was erased since
        return _invalid()
    return _page("Unsubscribed", "You will receive no more of these emails.")


_TOKEN_IN_LINK = TokenInLink("token")

ROUTES = [
    public_route(
        "/unsubscribe", show, verifier=_TOKEN_IN_LINK, methods=("GET",), name="unsubscribe_page"
    ),
    public_route(
        "/unsubscribe", confirm, verifier=_TOKEN_IN_LINK, methods=("POST",), name="unsubscribe"
    ),
]
