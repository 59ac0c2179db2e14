"""``[plugins.surveys.definitions]``: how the definitions part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class DefinitionsSettings:
    """``[plugins.surveys.definitions]``: the limits a definition is held to when saved."""

    max_pages: int = field(default=20, validator=[validators.ge(1), validators.le(100)])
    max_questions: int = field(default=100, validator=[validators.ge(1), validators.le(500)])
    """Questions in the whole survey, over all its pages."""
    max_options: int = field(default=50, validator=[validators.ge(2), validators.le(200)])
    """Options of one single or multiple choice question."""
    max_text_length: int = field(default=2000, validator=[validators.ge(20), validators.le(10000)])
    """Characters of one text (a title, a question, an option) in one language."""
    max_languages: int = field(default=10, validator=[validators.ge(1), validators.le(50)])
