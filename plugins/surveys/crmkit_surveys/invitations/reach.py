"""Who an invitation may reach, as SQL conditions on a party id: consent in force, an address or
number for the channel, not invited to the survey lately. Set-based, so that an audience of
100,000 parties is sorted in one query rather than a query per party."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists

from crmkit import consent_table, contact_point_table
from crmkit_surveys.invitations.tables import invitation

CONTACT_KIND = {"email": "email", "sms": "phone"}
"""The kernel's contact point a channel writes to (the channels plugin picks the party's first)."""


def granted(party_id: ColumnElement[Any], purpose: str, channel: str) -> ColumnElement[bool]:
    """Whether the party's consent in force (its latest statement) for ``purpose`` on ``channel``
    is ``granted``, as the channels plugin decides when it queues the message."""
    stated = consent_table.alias("stated")
    later = consent_table.alias("later")
    return exists().where(
        stated.c.party_id == party_id,
        stated.c.purpose == purpose,
        stated.c.channel == channel,
        stated.c.status == "granted",
        ~exists().where(
            later.c.party_id == stated.c.party_id,
            later.c.purpose == stated.c.purpose,
            later.c.channel == stated.c.channel,
            later.c.id > stated.c.id,
        ),
    )


def reachable(party_id: ColumnElement[Any], channel: str) -> ColumnElement[bool]:
    """Whether the party has an address (email) or a number (SMS)."""
    point = contact_point_table.alias("point")
    return exists().where(point.c.party_id == party_id, point.c.kind == CONTACT_KIND[channel])


def invited_since(
    party_id: ColumnElement[Any], survey_id: int, since: datetime
) -> ColumnElement[bool]:
    """Whether the party was invited to the survey at ``since`` or later (the quiet period)."""
    earlier = invitation.alias("earlier")
    return exists().where(
        and_(
            earlier.c.survey_id == survey_id,
            earlier.c.party_id == party_id,
            earlier.c.created_at >= since,
        )
    )


def may_invite(
    party_id: ColumnElement[Any],
    *,
    survey_id: int,
    channel: str,
    purpose: str,
    transactional: bool,
    quiet_since: datetime | None,
) -> list[ColumnElement[bool]]:
    """Every condition a party meets to be invited now."""
    conditions = [reachable(party_id, channel)]
    if not transactional:
        conditions.append(granted(party_id, purpose, channel))
    if quiet_since is not None:
        conditions.append(~invited_since(party_id, survey_id, quiet_since))
    return conditions
