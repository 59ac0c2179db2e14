"""A survey's invitations as staff read them: only those of parties the reader sees (and the
anonymous ones of open links), never a token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, or_, select

from crmkit import Actor, party_table, seen_parties, sees_every_party
from crmkit_surveys.invitations.model import InvitationItem
from crmkit_surveys.invitations.survey_state import survey_state
from crmkit_surveys.invitations.tables import INVITATION_STATUSES, invitation

SHOWN = (
    "id",
    "survey_id",
    "party_id",
    "send_id",
    "rule_id",
    "channel",
    "language",
    "status",
    "not_before",
    "expires_at",
    "created_at",
    "sent_at",
    "opened_at",
    "completed_at",
)


def _seen(host: Any, actor: Actor, query: Select[Any]) -> Select[Any]:
    joined = query.outerjoin(party_table, party_table.c.id == invitation.c.party_id)
    if sees_every_party(host, actor):
        return joined
    condition: ColumnElement[bool] = or_(invitation.c.party_id.is_(None), seen_parties(host, actor))
    return joined.where(condition)


def list_invitations(
    conn: Connection,
    host: Any,
    actor: Actor,
    survey_id: int,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[InvitationItem]:
    """The survey's invitations by id after ``after``, of ``status`` when given."""
    survey_state(conn, survey_id)
    query: Select[Any] = select(*invitation.c[SHOWN], party_table.c.display_name).select_from(
        invitation
    )
    query = _seen(host, actor, query).where(
        invitation.c.survey_id == survey_id, invitation.c.id > after
    )
    if status is not None:
        query = query.where(invitation.c.status == status)
    rows = conn.execute(query.order_by(invitation.c.id).limit(limit)).all()
    return [
        InvitationItem(
            **{name: getattr(r, name) for name in SHOWN if name != "survey_id"},
            survey_id=r.survey_id,
            party_name=r.display_name,
        )
        for r in rows
    ]


def status_counts(conn: Connection, host: Any, actor: Actor, survey_id: int) -> dict[str, int]:
    """How many of the survey's invitations (that the reader sees) are at each status."""
    query: Select[Any] = select(invitation.c.status, func.count()).select_from(invitation)
    query = _seen(host, actor, query).where(invitation.c.survey_id == survey_id)
    found: dict[str, int] = {
        status: count for status, count in conn.execute(query.group_by(invitation.c.status))
    }
    return {s: int(found.get(s, 0)) for s in INVITATION_STATUSES}
