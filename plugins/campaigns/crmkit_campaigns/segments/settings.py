"""``[plugins.campaigns.segments]``: how the segments part behaves."""

from __future__ import annotations

from attrs import frozen


@frozen
class SegmentSettings:
    """``[plugins.campaigns.segments]``."""

    max_depth: int = 6
    """How deeply ``all``/``any``/``not`` may nest, saved segments referred to included."""
    max_conditions: int = 50
    """The most conditions (criteria and ``all``/``any``/``not`` nodes) a definition may hold."""
    preview_size: int = 20
    """How many parties a preview shows beside its count."""
    import_max_lines: int = 100_000
    """The most lines a static list import may have."""
