"""The knowledge base's settings: ``[plugins.service.knowledge]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class KnowledgeSettings:
    """How the knowledge base searches and suggests."""

    language: str = field(default="english", validator=validators.matches_re(r"[a-z][a-z_]{0,62}"))
    """PostgreSQL's text search configuration (``english``, ``german``, ``simple`` …) for
    the index and every query. After changing it, run ``crmkit service knowledge-reindex``.
    SQLite always stems English words (the FTS5 ``porter`` tokenizer) and folds accents."""

    suggestions: int = field(default=5, validator=[validators.ge(1), validators.le(20)])
    """Articles suggested for a case at most."""
