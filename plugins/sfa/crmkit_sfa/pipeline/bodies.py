"""The JSON request bodies of the pipeline routes, as the OpenAPI document describes them.

The services validate the bodies themselves (naming the wrong field); these
classes only tell API clients what to send.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from attrs import field, frozen

Kind = Literal["call", "meeting", "task", "visit", "note"]


@frozen
class OpportunityInput:
    """A new opportunity; it starts in the pipeline's first stage unless ``stage`` says otherwise."""

    __json_input__ = True

    party_id: int
    title: str
    pipeline: str | None = None
    stage: str | None = None
    amount: Decimal | None = None
    currency: str = "EUR"
    probability: int | None = None
    expected_close: date | None = None
    owner_id: int | None = None
    territory: str | None = None
    source: str | None = None
    products: list[str] | None = None
    contacts: list[dict[str, str]] | None = None
    milestones: list[dict[str, str]] | None = None
    custom: dict[str, object] | None = None


@frozen
class OpportunityChanges:
    """The fields to change; ``version`` is the one the client read (a stale one is a 409)."""

    __json_input__ = True

    version: int | None = None
    title: str | None = None
    stage: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    probability: int | None = None
    expected_close: date | None = None
    owner_id: int | None = None
    territory: str | None = None
    source: str | None = None
    products: list[str] | None = None
    contacts: list[dict[str, str]] | None = None
    milestones: list[dict[str, str]] | None = None
    custom: dict[str, object] | None = None


@frozen
class StageMove:
    """The stage to move to; leaving a stage forward needs its exit criteria met."""

    __json_input__ = True

    stage: str
    version: int | None = None


@frozen
class Closing:
    """Win (no reason) or lose (``lost_reason`` required) an open opportunity."""

    __json_input__ = True

    version: int | None = None
    lost_reason: str | None = None


@frozen
class ActivityInput:
    """A planned activity; a meeting needs ``starts_at``."""

    __json_input__ = True

    party_id: int
    kind: Kind
    subject: str
    opportunity_id: int | None = None
    details: str | None = None
    owner_id: int | None = None
    due_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None


@frozen
class Completion:
    """Marks a planned activity done (with its outcome) or cancelled."""

    __json_input__ = True

    outcome: str | None = None
    version: int | None = None


@frozen
class PipelineStep:
    """A playbook step: an activity planned ``due_days`` after an opportunity enters the stage."""

    __json_input__ = True

    key: str
    subject: str
    kind: Kind = "task"
    due_days: int = 0
    required: bool = False


@frozen
class PipelineStage:
    """A stage: default probability, norm days, exit criteria and playbook."""

    __json_input__ = True

    key: str
    label: str
    probability: int
    norm_days: int | None = None
    exit_fields: list[str] = field(factory=list)
    exit_activities: list[Kind] = field(factory=list)
    playbook: list[PipelineStep] = field(factory=list)


@frozen
class PipelineInput:
    """A pipeline defined through the API (created, or replaced when its key exists)."""

    __json_input__ = True

    key: str
    label: str
    stages: list[PipelineStage]
