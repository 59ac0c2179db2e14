"""The JSON request bodies of the case routes, as the OpenAPI document describes them.

The services validate the bodies themselves, naming the wrong field; these classes
tell API clients what to send, and every text's ``maxLength`` is enforced when the
body is read.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from attrs import field, frozen

from crmkit_service.web import text_field

Kind = Literal["complaint", "question", "request", "incident"]
Status = Literal[
    "new", "open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed", "reopened"
]
Priority = Literal["low", "normal", "high", "urgent"]
Severity = Literal["minor", "moderate", "major", "critical"]
Channel = Literal["email", "phone", "web", "portal", "chat", "social", "survey", "letter"]
LinkKind = Literal["related", "duplicate", "caused_by", "blocks"]
BODY = 100_000


@frozen
class CaseInput:
    """A new case for a party the actor sees; it starts as ``new``."""

    __json_input__: ClassVar[bool] = True

    party_id: int
    subject: str = field(metadata={"json": {"maxLength": 300}})
    kind: Kind = "question"
    description: str | None = text_field(BODY)
    category_id: int | None = None
    product: str | None = text_field(200)
    asset_id: int | None = None
    priority: Priority | None = None
    severity: Severity | None = None
    channel: Channel = "phone"
    owner_id: int | None = None
    team: str | None = text_field(100)


@frozen
class CaseChanges:
    """The fields to change; ``version`` is the one the client read (a stale one is a 409)."""

    __json_input__: ClassVar[bool] = True

    version: int | None = None
    kind: Kind | None = None
    subject: str | None = text_field(300)
    description: str | None = text_field(BODY)
    category_id: int | None = None
    product: str | None = text_field(200)
    priority: Priority | None = None
    severity: Severity | None = None


@frozen
class StatusChange:
    """The next status; ``resolved`` needs a ``root_cause``."""

    __json_input__: ClassVar[bool] = True

    status: Status
    root_cause: str | None = text_field(200)
    resolution: str | None = text_field(BODY)
    version: int | None = None


@frozen
class NoteInput:
    """An internal note, never shown to the customer."""

    __json_input__: ClassVar[bool] = True

    body: str = field(metadata={"json": {"maxLength": BODY}})


@frozen
class ReplyInput:
    """A public reply, emailed to the customer; ``status`` moves the case too."""

    __json_input__: ClassVar[bool] = True

    body: str = field(metadata={"json": {"maxLength": BODY}})
    status: Status | None = None
    version: int | None = None


@frozen
class Assignment:
    """The new owner (their team comes along unless ``team`` is given), or a team alone."""

    __json_input__: ClassVar[bool] = True

    owner_id: int | None = None
    team: str | None = text_field(100)
    version: int | None = None


@frozen
class LinkInput:
    """Another case to link this one to."""

    __json_input__: ClassVar[bool] = True

    other_id: int
    kind: LinkKind = "related"


@frozen
class MergeInput:
    """The case this one (a duplicate) is merged into."""

    __json_input__: ClassVar[bool] = True

    other_id: int
    version: int | None = None


@frozen
class CategoryInput:
    """A category under ``parent_id`` (none: a root)."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"maxLength": 100}})
    parent_id: int | None = None
