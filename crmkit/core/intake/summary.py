"""What intake recorded on parties, for the pages: quality, findings, score and its reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from attrs import frozen
from sqlalchemy import Connection, select

from crmkit.core.intake.findings import Finding
from crmkit.core.intake.scoring import ScoreReason
from crmkit.core.tables import party

INTAKE_COLUMNS = (
    "quality",
    "findings",
    "score",
    "score_band",
    "score_reasons",
    "first_contact_due_at",
    "first_contacted_at",
)
"""The columns of ``core_party`` the intake pipeline and first contact set; NULL if never taken in."""


@frozen
class IntakeSummary:
    quality: int
    findings: tuple[Finding, ...]
    score: int
    band: str
    reasons: tuple[ScoreReason, ...]
    first_contact_due_at: datetime | None


def intake_of(conn: Connection, ids: Sequence[int]) -> dict[int, IntakeSummary]:
    """The intake data of those of ``ids`` that went through intake, in one query."""
    if not ids:
        return {}
    rows = conn.execute(
        select(party.c.id, *(party.c[name] for name in INTAKE_COLUMNS)).where(
            party.c.id.in_(ids), party.c.quality.is_not(None)
        )
    )
    return {
        r.id: IntakeSummary(
            quality=r.quality,
            findings=tuple(Finding.from_json(f) for f in r.findings or ()),
            score=r.score,
            band=r.score_band,
            reasons=tuple(ScoreReason(**reason) for reason in r.score_reasons or ()),
            first_contact_due_at=r.first_contact_due_at,
        )
        for r in rows
    }
