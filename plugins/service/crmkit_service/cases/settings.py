"""``[plugins.service.cases]``: defaults of new cases and how survey feedback becomes a case."""

from __future__ import annotations

from attrs import field, frozen, validators

from crmkit_service.cases.model import PRIORITIES

DEFAULT_COMPLAINT_WORDS = (
    "complaint",
    "complain",
    "unacceptable",
    "disappointed",
    "refund",
    "broken",
    "defect",
    "never again",
    "terrible",
    "worst",
)


@frozen
class FeedbackSettings:
    """When an answer to a survey opens (or reopens) a case: ``[plugins.service.cases.feedback]``."""

    detractor_at_or_below: int = field(default=6, validator=validators.instance_of(int))
    """A score at or below this is a detractor's (NPS: 0 to 6), on the survey's own scale."""
    scale_max: int = field(default=10, validator=[validators.instance_of(int), validators.ge(1)])
    """The top of the scale ``detractor_at_or_below`` is meant for; a survey on another scale
    (1 to 5) is compared after rescaling its score to this one."""
    complaint_words: tuple[str, ...] = field(
        default=DEFAULT_COMPLAINT_WORDS, converter=lambda words: tuple(w.lower() for w in words)
    )
    """Words in the free text that make it a complaint whatever the score."""
    recent_days: int = field(default=30, validator=[validators.instance_of(int), validators.ge(0)])
    """A case of the party on the same survey, opened within these days, is annotated (and
    reopened when resolved) instead of opening another one."""


@frozen
class CaseSettings:
    """Defaults of new cases: ``[plugins.service.cases]``."""

    default_priority: str = field(default="normal", validator=validators.in_(PRIORITIES))
    feedback: FeedbackSettings = field(factory=FeedbackSettings)
