"""What the invitations part holds, as the other parts read it: invitations, sends, rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import fields, frozen

ENTITY_SEND = "surveys.send"
ENTITY_RULE = "surveys.rule"
ENTITY_INVITATION = "surveys.invitation"


@frozen
class Invitation:
    """One party (or, from an open link, nobody) asked to answer one survey version.

    Mirrors a ``surveys_invitation`` row; the token itself is never stored, only its hash.
    """

    id: int
    survey_id: int
    version_id: int
    party_id: int | None
    send_id: int | None
    rule_id: int | None
    dedupe_key: str
    token_hash: str
    channel: str
    language: str
    status: str
    message_ref: str | None
    source: dict[str, Any] | None
    not_before: datetime | None
    expires_at: datetime
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Invitation:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@frozen
class Send:
    """A survey sent to an audience over one channel: how many were invited, how many not."""

    id: int
    survey_id: int
    version_id: int
    channel: str
    audience: dict[str, Any]
    message: dict[str, Any]
    status: str
    invited: int
    skipped: int
    expires_at: datetime
    created_by: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Send:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@frozen
class Rule:
    """After an event of ``event_type`` whose payload meets ``conditions``, invite its party."""

    id: int
    survey_id: int
    event_type: str
    conditions: dict[str, list[Any]]
    channel: str
    message: dict[str, Any]
    delay_minutes: int
    quiet_days: int
    expires_after_days: int
    active: bool
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_row(cls, row: Any) -> Rule:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        return cls(**{**values, "active": bool(values["active"])})


@frozen
class AudienceSize:
    """What a send would do now: the parties of its audience the sender sees, and how many of
    them it would invite (the others lack consent or an address, or were invited lately)."""

    audience: int
    invitable: int


@frozen
class InvitationItem:
    """An invitation as lists show it: never its token."""

    id: int
    survey_id: int
    party_id: int | None
    party_name: str | None
    send_id: int | None
    rule_id: int | None
    channel: str
    language: str
    status: str
    not_before: datetime | None
    expires_at: datetime
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    completed_at: datetime | None


@frozen
class OpenLink:
    """A survey's open link, shown once when it is made: only its hash is kept."""

    survey_id: int
    url: str
    created_at: datetime
