"""The JSON request bodies of the pipeline routes, as the OpenAPI document describes them.

The services validate the bodies themselves (naming the wrong field); these
classes tell API clients what to send. Every text has a ``maxLength`` and every
list a ``maxItems``: reading a body holds it to them, naming the field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from attrs import field, frozen

from crmkit_sfa.pipeline.settings import (
    ACTIVITY_KINDS,
    LABEL_LENGTH,
    MAX_STAGES,
    MAX_STEPS,
    REQUIRABLE_FIELDS,
    SUBJECT_LENGTH,
)

Kind = Literal["call", "meeting", "task", "visit", "note"]
KEY_LENGTH = 50
AMOUNT_LENGTH = 40
"""Longer than any amount an opportunity holds, written out."""
"""As long as the key of a pipeline, a stage or a playbook step may be."""
MAX_PRODUCTS = 50
PRODUCT = {"type": "string", "maxLength": 100}
MAX_PEOPLE = 20
"""The most contacts, and the most milestones, of an opportunity."""


def _chars(limit: int) -> dict[str, Any]:
    """The metadata of a text of at most ``limit`` characters."""
    return {"json": {"maxLength": limit}}


def _text(limit: int, default: Any = None) -> Any:
    return field(default=default, metadata=_chars(limit))


def _most(count: int, **schema: Any) -> dict[str, Any]:
    """The metadata of a list of at most ``count`` items."""
    return {"json": {"maxItems": count, **schema}}


@frozen
class OpportunityInput:
    """A new opportunity; it starts in the pipeline's first stage unless ``stage`` says otherwise."""

    __json_input__ = True

    party_id: int
    title: str = field(metadata=_chars(300))
    pipeline: str | None = _text(KEY_LENGTH)
    stage: str | None = _text(KEY_LENGTH)
    amount: Decimal | None = field(default=None, metadata=_chars(AMOUNT_LENGTH))
    currency: str = _text(3, "EUR")
    probability: int | None = None
    expected_close: date | None = None
    owner_id: int | None = None
    territory: str | None = _text(50)
    source: str | None = _text(200)
    products: list[str] | None = field(default=None, metadata=_most(MAX_PRODUCTS, items=PRODUCT))
    contacts: list[dict[str, str]] | None = field(default=None, metadata=_most(MAX_PEOPLE))
    milestones: list[dict[str, str]] | None = field(default=None, metadata=_most(MAX_PEOPLE))
    custom: dict[str, object] | None = None


@frozen
class OpportunityChanges:
    """The fields to change; ``version`` is the one the client read (a stale one is a 409)."""

    __json_input__ = True

    version: int | None = None
    title: str | None = _text(300)
    stage: str | None = _text(KEY_LENGTH)
    amount: Decimal | None = field(default=None, metadata=_chars(AMOUNT_LENGTH))
    currency: str | None = _text(3)
    probability: int | None = None
    expected_close: date | None = None
    owner_id: int | None = None
    territory: str | None = _text(50)
    source: str | None = _text(200)
    products: list[str] | None = field(default=None, metadata=_most(MAX_PRODUCTS, items=PRODUCT))
    contacts: list[dict[str, str]] | None = field(default=None, metadata=_most(MAX_PEOPLE))
    milestones: list[dict[str, str]] | None = field(default=None, metadata=_most(MAX_PEOPLE))
    custom: dict[str, object] | None = None


@frozen
class StageMove:
    """The stage to move to; leaving a stage forward needs its exit criteria met."""

    __json_input__ = True

    stage: str = field(metadata=_chars(KEY_LENGTH))
    version: int | None = None


@frozen
class Closing:
    """Win (no reason) or lose (``lost_reason`` required) an open opportunity."""

    __json_input__ = True

    version: int | None = None
    lost_reason: str | None = _text(500)


@frozen
class ActivityInput:
    """A planned activity; a meeting needs ``starts_at``."""

    __json_input__ = True

    party_id: int
    kind: Kind
    subject: str = field(metadata=_chars(SUBJECT_LENGTH))
    opportunity_id: int | None = None
    details: str | None = _text(20_000)
    owner_id: int | None = None
    due_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = _text(300)


@frozen
class Completion:
    """Marks a planned activity done (with its outcome) or cancelled."""

    __json_input__ = True

    outcome: str | None = _text(100)
    version: int | None = None


@frozen
class PipelineStep:
    """A playbook step: an activity planned ``due_days`` after an opportunity enters the stage."""

    __json_input__ = True

    key: str = field(metadata=_chars(KEY_LENGTH))
    subject: str = field(metadata=_chars(SUBJECT_LENGTH))
    kind: Kind = "task"
    due_days: int = 0
    required: bool = False


@frozen
class PipelineStage:
    """A stage: default probability, norm days, exit criteria and playbook."""

    __json_input__ = True

    key: str = field(metadata=_chars(KEY_LENGTH))
    label: str = field(metadata=_chars(LABEL_LENGTH))
    probability: int
    norm_days: int | None = None
    exit_fields: list[str] = field(
        factory=list,
        metadata=_most(len(REQUIRABLE_FIELDS), items={"enum": list(REQUIRABLE_FIELDS)}),
    )
    exit_activities: list[Kind] = field(factory=list, metadata=_most(len(ACTIVITY_KINDS)))
    playbook: list[PipelineStep] = field(factory=list, metadata=_most(MAX_STEPS))


@frozen
class PipelineInput:
    """A pipeline defined through the API (created, or replaced when its key exists)."""

    __json_input__ = True

    key: str = field(metadata=_chars(KEY_LENGTH))
    label: str = field(metadata=_chars(LABEL_LENGTH))
    stages: list[PipelineStage] = field(metadata=_most(MAX_STAGES))
