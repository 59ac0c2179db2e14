"""A survey's open link: one address anyone may be given (on a poster, a receipt, a web page)
that makes an anonymous invitation of their own for each browser that opens it.

Making a link again rotates it: the old one opens nothing any more. Only the token's hash
is stored, so the link is shown once, when it is made.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from crmkit import NotFound, Transaction, utcnow
from crmkit_surveys.invitations.links import invitation_for_token, new_token, open_url, token_hash
from crmkit_surveys.invitations.model import OpenLink
from crmkit_surveys.invitations.survey_state import sendable_survey, survey_state
from crmkit_surveys.invitations.tables import invitation, open_link

STILL_OPEN = ("sent", "opened", "answering")
"""An anonymous invitation a browser returns to rather than starting another."""


def make_open_link(tx: Transaction, survey_id: int) -> OpenLink:
    """A new open link of the survey; the one it had, if any, is revoked. ConflictError for
    a survey that is not active with a published version (as for a send)."""
    sendable_survey(tx, survey_id)
    now = utcnow()
    _revoke(tx, survey_id, now)
    token = new_token()
    tx.conn.execute(
        insert(open_link).values(
            survey_id=survey_id,
            token_hash=token_hash(token),
            created_by=tx.actor.user_id,
            created_at=now,
        )
    )
    return OpenLink(survey_id, open_url(tx.app, token), now)


def revoke_open_link(tx: Transaction, survey_id: int) -> None:
    """Withdraw the survey's open link; NotFound when it has none."""
    survey_state(tx.conn, survey_id)
    if not _revoke(tx, survey_id, utcnow()):
        raise NotFound(f"survey {survey_id} has no open link")


def _revoke(tx: Transaction, survey_id: int, now: datetime) -> bool:
    done = tx.conn.execute(
        update(open_link)
        .where(open_link.c.survey_id == survey_id, open_link.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(done.rowcount)


def open_invitation(
    tx: Transaction, token: str, kept_for: Callable[[int], str | None]
) -> tuple[int, str]:
    """The survey of the open link ``token`` and the token of the visitor's invitation: the one
    they kept for the survey (``kept_for(survey_id)``, from their cookie) while it is still
    open, else a new anonymous one.

    NotFound for a link that is unknown or revoked, or whose survey is not open for answers.
    """
    link = tx.conn.execute(
        select(open_link.c.id, open_link.c.survey_id).where(
            open_link.c.token_hash == token_hash(token), open_link.c.revoked_at.is_(None)
        )
    ).first()
    if link is None:
        raise NotFound("this link is not valid")
    state = survey_state(tx.conn, link.survey_id)
    if not state.sendable:
        raise NotFound("this survey is not open for answers")
    now = utcnow()
    kept = kept_for(link.survey_id)
    if kept:
        own = invitation_for_token(tx.conn, kept)
        if (
            own is not None
            and own.survey_id == link.survey_id
            and own.party_id is None
            and own.status in STILL_OPEN
            and own.expires_at > now
        ):
            return link.survey_id, kept
    days = tx.app.settings_of["surveys"].invitations.open_link_expires_after_days
    fresh = new_token()
    tx.conn.execute(
        insert(invitation).values(
            survey_id=link.survey_id,
            version_id=state.version_id,
            party_id=None,
            dedupe_key=f"open:{secrets.token_hex(16)}",
            token_hash=token_hash(fresh),
            channel="link",
            language=state.default_language,
            status="sent",
            source={"open_link_id": link.id},
            expires_at=now + timedelta(days=days),
            created_at=now,
            sent_at=now,
        )
    )
    return link.survey_id, fresh
