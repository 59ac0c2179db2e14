"""``[plugins.surveys.results]``: how the results part behaves."""

from __future__ import annotations

from attrs import frozen


@frozen
class ResultsSettings:
    """``[plugins.surveys.results]``."""
