"""Near-duplicate demo prospects and the open match reviews the intake would have queued for them.

A near duplicate is an earlier prospect come in again: the name misspelt, a new
email address, the same phone. Whether it is one, and how sure, the kernel's
matcher (``match_party``) decides on the stored data, as at intake; pairs
between the review and merge thresholds are queued for a person to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import attrs

from crmkit.core.db import Transaction
from crmkit.core.entities import Prospect
from crmkit.core.intake.pipeline import thresholds
from crmkit.core.settings import IntakeSettings
from crmkit.demo.data import EMAIL_PROVIDERS, DemoParty, Generator, ascii_fold

SHARE = 1 / 400
"""Near duplicates among the demo's prospects."""
MOST = 12


def how_many(prospects: int) -> int:
    return min(MOST, round(prospects * SHARE))


def _misspelt(name: str, generator: Generator) -> str:
    """``name`` with two neighbouring letters swapped, as typed in a hurry."""
    if len(name) < 4:
        return name
    i = generator.rng.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def near_duplicates(
    generator: Generator, originals: Sequence[DemoParty], count: int
) -> list[tuple[int, DemoParty]]:
    """``count`` prospects each like one of ``originals`` (persons with a phone): ``(index, copy)``."""
    eligible = [
        i
        for i, p in enumerate(originals)
        if p.entity.kind == "person" and p.entity.first_name and p.entity.phones
    ]
    copies = []
    for index in generator.rng.sample(eligible, min(count, len(eligible))):
        original = originals[index].entity
        assert isinstance(original, Prospect)
        assert original.first_name is not None and original.last_name is not None
        local = ascii_fold(f"{original.first_name[0]}{original.last_name}")
        created = generator.now - timedelta(hours=generator.rng.uniform(2, 24 * 10))
        entity = attrs.evolve(
            original,
            first_name=_misspelt(original.first_name, generator),
            emails=(generator.email(local, generator.rng.choice(EMAIL_PROVIDERS)),),
            addresses=(),
            status="new",
            created_at=created.replace(microsecond=0),
            updated_at=created.replace(microsecond=0),
        )
        copies.append((index, DemoParty(entity, originals[index].owner, ())))
    return copies


def review_rows(
    tx: Transaction, pairs: Sequence[tuple[int, int, DemoParty]], settings: IntakeSettings
) -> list[dict[str, Any]]:
    """Open ``core_match_review`` rows for ``(candidate id, original id, candidate)`` the matcher doubts."""
    merge_at, review_at = thresholds(settings)
    rows = []
    for candidate_id, original_id, candidate in pairs:
        matches = tx.hooks.call("match_party", conn=tx.conn, candidate=candidate.entity) or []
        for party_id, score in matches:
            if party_id == original_id and review_at <= score < merge_at:
                rows.append(
                    {
                        "candidate_id": candidate_id,
                        "existing_id": original_id,
                        "score": round(score * 100),
                        "status": "open",
                        "created_at": candidate.entity.created_at,
                    }
                )
    return rows
