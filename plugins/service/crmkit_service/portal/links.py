"""Sign-in by emailed link: asking for one, and following it.

Asking always answers the same, whether the address belongs to a party or not,
so that the form tells nobody who is a customer. Each request counts against
two budgets (the email address, the client's address) whether or not a link
goes out, for the same reason. A link is single use and expires.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from crmkit_channels import EmailMessage, send
from sqlalchemy import ColumnElement, Connection, func, insert, select, update

from crmkit import (
    ConfigurationError,
    EmailAddress,
    NotFound,
    Transaction,
    contact_point_table,
    party_table,
)
from crmkit_service.portal.settings import PortalSettings
from crmkit_service.portal.tables import link_request, portal_link
from crmkit_service.portal.tokens import keyed, new_token, portal_key, token_hash

log = logging.getLogger(__name__)

PURPOSE = "portal-sign-in"
MAX_PARTIES = 3
"""An address several parties share (a person and their company) gets a link for each, up to this."""
LINK_PATH = "/p/service/portal/sign-in/link"
USED = "this sign-in link has been used already: ask for a new one"
SUBJECT = "Your sign-in link"
TEXT = """Hello {{ party.first_name or party.name }},

follow this link to sign in to the customer portal{% if account %} as {{ account }}{% endif %}:

{{ link }}

It works once and expires in {{ minutes }} minutes. If you did not ask for it,
ignore this email: nobody can sign in without the link.
"""


class TooManyLinkRequests(Exception):
    """A budget of link requests is used up; ``retry_after`` seconds until it allows one."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many sign-in links requested: try again in {retry_after} s")
        self.retry_after = retry_after


@frozen
class LinkOutcome:
    """What following a link found: the party it signs in, when it still may."""

    party_id: int


def _settings(tx: Transaction) -> PortalSettings:
    settings: PortalSettings = tx.app.settings_of["service"].portal
    return settings


def _link_base(app: Any) -> str:
    public_url: str = app.settings_of["channels"].public_url
    if not public_url:
        raise ConfigurationError(
            "plugins.channels.public_url",
            "sign-in links need the CRM's address as customers reach it",
        )
    return public_url.rstrip("/") + LINK_PATH


def check_configuration(app: Any) -> None:
    """Warn, naming the setting, when the portal could sign nobody in.

    Run at start-up. The rest of the CRM works without the portal, so it still
    starts; the portal's pages answer 503 until the settings are made.
    """
    try:
        portal_key(app)
        _link_base(app)
    except ConfigurationError as exc:
        log.warning("the self-service portal is off: %s", exc)


def _wait(
    conn: Connection, whose: ColumnElement[bool], limit: int, window: timedelta, now: datetime
) -> int | None:
    """Seconds until the budget of the requests ``whose`` allows another, or None when it does."""
    count, oldest = conn.execute(
        select(func.count(), func.min(link_request.c.requested_at)).where(
            whose, link_request.c.requested_at > now - window
        )
    ).one()
    if count < limit:
        return None
    return max(1, int((oldest + window - now).total_seconds()) + 1)


def _take_budget(tx: Transaction, address: str, client: str, now: datetime) -> None:
    """Count a request against its address's and its client's budgets; TooManyLinkRequests past either."""
    # Requests arriving at once are counted one after the other, or each would see room left.
    tx.hold(f"service.portal.link_address:{address}", f"service.portal.link_client:{client}")
    settings = _settings(tx)
    window = timedelta(minutes=settings.link_request_window_minutes)
    budgets = (
        (link_request.c.address_key == address, settings.link_requests_per_address),
        (link_request.c.client == client, settings.link_requests_per_client),
    )
    waits = [w for whose, limit in budgets if (w := _wait(tx.conn, whose, limit, window, now))]
    if waits:
        raise TooManyLinkRequests(max(waits))
    tx.conn.execute(
        insert(link_request).values(address_key=address, client=client, requested_at=now)
    )


def parties_with_email(conn: Connection, email: EmailAddress) -> list[int]:
    """The ids of the parties holding this email address (the kernel's contact-point index)."""
    cp = contact_point_table
    return list(
        conn.execute(
            select(cp.c.party_id)
            .where(cp.c.kind == "email", cp.c.key == email.normalised)
            .group_by(cp.c.party_id)
            .order_by(cp.c.party_id)
            .limit(MAX_PARTIES)
        ).scalars()
    )


def request_link(tx: Transaction, email_text: str, client: str, now: datetime) -> None:
    """Email a sign-in link to ``email_text`` for each party holding it; nothing tells whether one did.

    Raises ValidationError naming ``email`` for what is no email address, and
    :class:`TooManyLinkRequests` past a budget (nothing is sent then).
    """
    email = EmailAddress.parse(email_text, field_name="email")
    # What the settings lack fails alike for every address, known or not.
    key, base, settings = portal_key(tx.app), _link_base(tx.app), _settings(tx)
    _take_budget(tx, keyed(key, f"address:{email.normalised}"), client, now)
    parties = parties_with_email(tx.conn, email)
    for party_id in parties:
        token = new_token()
        tx.conn.execute(
            insert(portal_link).values(
                party_id=party_id,
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + timedelta(minutes=settings.link_minutes),
            )
        )
        variables = {
            "link": f"{base}?token={token}",
            "minutes": settings.link_minutes,
            "account": "",
        }
        if len(parties) > 1:
            variables["account"] = _account_name(tx.conn, party_id)
        template = settings.link_template
        message = EmailMessage(
            party_id,
            PURPOSE,
            template=template,
            subject=None if template else SUBJECT,
            text=None if template else TEXT,
            variables=variables,
            transactional=True,
            to=email.original,
        )
        send(tx, message)


def _account_name(conn: Connection, party_id: int) -> str:
    name: str = conn.execute(
        select(party_table.c.display_name).where(party_table.c.id == party_id)
    ).scalar_one()
    return name


def follow_link(tx: Transaction, token: str, now: datetime) -> LinkOutcome:
    """Use the link of ``token`` up: the party it signs in. NotFound saying why it no longer can."""
    hashed = token_hash(token)
    used = tx.conn.execute(
        update(portal_link)
        .where(
            portal_link.c.token_hash == hashed,
            portal_link.c.used_at.is_(None),
            portal_link.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(portal_link.c.party_id)
    ).scalar_one_or_none()
    if used is None:
        # A link valid a moment ago was used by a request that got there first.
        raise NotFound(_refusal(tx.conn, hashed, now) or USED)
    return LinkOutcome(used)


def check_link(conn: Connection, token: str, now: datetime) -> None:
    """NotFound saying why the link of ``token`` cannot sign anyone in; nothing when it can."""
    refusal = _refusal(conn, token_hash(token), now)
    if refusal is not None:
        raise NotFound(refusal)


def _refusal(conn: Connection, hashed: str, now: datetime) -> str | None:
    row = conn.execute(
        select(portal_link.c.used_at, portal_link.c.expires_at).where(
            portal_link.c.token_hash == hashed
        )
    ).one_or_none()
    if row is None:
        return "this sign-in link is not valid: ask for a new one"
    if row.used_at is not None:
        return USED
    if row.expires_at <= now:
        return "this sign-in link has expired: ask for a new one"
    return None
