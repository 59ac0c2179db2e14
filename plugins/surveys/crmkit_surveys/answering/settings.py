"""``[plugins.surveys.answering]``: how the answering part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class AnsweringSettings:
    """``[plugins.surveys.answering]``."""

    text_limit: int = field(default=2000, validator=[validators.ge(20), validators.le(20000)])
    """Characters of one free-text answer: a text question, or the "other" of a choice."""
