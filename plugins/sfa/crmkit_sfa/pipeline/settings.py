"""Pipelines and their stages, as configured in ``[plugins.sfa.pipeline]`` (or defined through the API)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from attrs import field, frozen, validators

KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
ACTIVITY_KINDS = ("call", "meeting", "task", "visit", "note")
REQUIRABLE_FIELDS = ("amount", "expected_close", "products", "contacts", "source", "owner_id")
"""Opportunity fields a stage may require before an opportunity leaves it."""
MAX_STAGES = 50
"""The most stages a pipeline has: each is checked, shown and counted on every board."""
MAX_STEPS = 20
"""The most playbook steps a stage has: entering it plans each one."""
MAX_DAYS = 3650
"""The most days a step may be due after entry, or an opportunity normally stay in a stage."""
LABEL_LENGTH = 100
SUBJECT_LENGTH = 300
"""As long as an activity's subject may be."""

_key = validators.matches_re(KEY)
_percent = [validators.instance_of(int), validators.ge(0), validators.le(100)]
_days = [validators.instance_of(int), validators.ge(0), validators.le(MAX_DAYS)]


def _text(limit: int) -> list[Any]:
    return [validators.min_len(1), validators.max_len(limit)]


def _unique_keys(instance: object, attribute: Any, items: tuple[Any, ...]) -> None:
    duplicates = sorted(key for key, n in Counter(item.key for item in items).items() if n > 1)
    if duplicates:
        raise ValueError(f"'{attribute.name}' has the key {duplicates[0]!r} twice")


@frozen
class PlaybookStep:
    """An activity the sales policy prescribes on entering a stage: planned ``due_days`` after entry."""

    key: str = field(validator=_key)
    subject: str = field(validator=_text(SUBJECT_LENGTH))
    kind: str = field(default="task", validator=validators.in_(ACTIVITY_KINDS))
    due_days: int = field(default=0, validator=_days)
    required: bool = False
    """Leaving the stage needs this activity done."""


@frozen
class Stage:
    """One step of a pipeline, its default probability and what it takes to leave it."""

    key: str = field(validator=_key)
    label: str = field(validator=_text(LABEL_LENGTH))
    probability: int = field(validator=_percent)
    norm_days: int | None = field(default=None, validator=validators.optional(_days))
    """How many days an opportunity normally stays; longer is "stuck"."""
    exit_fields: tuple[str, ...] = field(
        default=(),
        validator=validators.deep_iterable(
            validators.in_(REQUIRABLE_FIELDS), validators.max_len(len(REQUIRABLE_FIELDS))
        ),
    )
    """Fields that must be filled before an opportunity leaves the stage."""
    exit_activities: tuple[str, ...] = field(
        default=(),
        validator=validators.deep_iterable(
            validators.in_(ACTIVITY_KINDS), validators.max_len(len(ACTIVITY_KINDS))
        ),
    )
    """Kinds of activity of which one must be done on the opportunity before it leaves the stage."""
    playbook: tuple[PlaybookStep, ...] = field(
        default=(), validator=[validators.max_len(MAX_STEPS), _unique_keys]
    )


@frozen
class Pipeline:
    """Stages an opportunity goes through in order, then it is won or lost."""

    key: str = field(validator=_key)
    label: str = field(validator=_text(LABEL_LENGTH))
    stages: tuple[Stage, ...] = field(
        validator=[validators.min_len(1), validators.max_len(MAX_STAGES), _unique_keys]
    )

    def stage(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)

    def position(self, key: str) -> int:
        return [s.key for s in self.stages].index(key)


CLASSIC = Pipeline(
    key="sales",
    label="New sales",
    stages=(
        Stage("initiation", "Initiation", 10, norm_days=14),
        Stage("identification", "Identification", 20, norm_days=14),
        Stage(
            "qualification",
            "Qualification",
            30,
            norm_days=21,
            exit_fields=("amount", "expected_close"),
        ),
        Stage(
            "rfp_received",
            "RFP received",
            50,
            norm_days=7,
            playbook=(PlaybookStep("send_proposal", "Send proposal", due_days=2, required=True),),
        ),
        Stage(
            "quotation_sent",
            "Quotation sent",
            70,
            norm_days=14,
            playbook=(PlaybookStep("follow_up", "Follow up on the quotation", "call", 5),),
        ),
        Stage("final", "Final stage", 90, norm_days=14),
    ),
)
"""The classic phases of a sale; winning or losing closes an opportunity from any stage."""


@frozen
class PipelineSettings:
    """The configured pipelines; the first is the default for new opportunities."""

    default_currency: str = field(default="EUR", validator=validators.matches_re(r"^[A-Z]{3}$"))
    """The currency of an opportunity created without one (ISO 4217)."""

    pipelines: tuple[Pipeline, ...] = field(
        default=(CLASSIC,), validator=[validators.min_len(1), _unique_keys]
    )
