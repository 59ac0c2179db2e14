"""What the intake pipeline made of each demo prospect, and what became of it since.

Quality, findings, score and band come from the kernel's own sanity rules and
scoring, the plugins' ``sanity_check`` and ``score_prospect`` included, as if
every prospect had come in through :func:`crmkit.core.intake.pipeline.intake_prospect`.
Perishability follows the kernel's rules too: the first contact is the first
interaction that counts as one, and a prospect in work untouched for
``expire_after_days`` is expired as the expiry job would have done it.
Escalations are left to the real job, run once the data is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from crmkit.core.db import Transaction
from crmkit.core.entities import Prospect
from crmkit.core.intake import scoring
from crmkit.core.intake.pipeline import check_prospect
from crmkit.core.intake.summary import INTAKE_COLUMNS
from crmkit.core.perishability import CLOSED_STATUSES
from crmkit.core.settings import IntakeSettings
from crmkit.demo.data import Touch

NOT_TAKEN_IN: dict[str, Any] = dict.fromkeys((*INTAKE_COLUMNS, "expired_at"))
"""The intake columns of a party that never went through intake (a customer from the start).

Every row of one bulk insert names the same columns: customers name these too."""


def first_contact(touches: Iterable[Touch]) -> datetime | None:
    """When someone first reached out or recorded a conversation (what the kernel counts)."""
    return next(
        (t.occurred_at for t in touches if t.direction == "outbound" or t.owner is not None),
        None,
    )


def intake_columns(
    tx: Transaction,
    prospect: Prospect,
    touches: tuple[Touch, ...],
    *,
    region: str,
    settings: IntakeSettings,
    now: datetime,
) -> dict[str, Any]:
    """The ``core_party`` columns the intake pipeline and perishability set on ``prospect``."""
    checked = check_prospect(tx, prospect, (), region=region, settings=settings)
    reasons = [
        *scoring.core_reasons(prospect, checked.quality),
        *scoring.plugin_reasons(tx.hooks.collect_by_plugin("score_prospect", prospect=prospect)),
    ]
    score = scoring.total(reasons)
    band = scoring.band(score, settings)
    assert prospect.created_at is not None and prospect.updated_at is not None
    columns: dict[str, Any] = {
        "quality": checked.quality,
        "findings": [f.as_json() for f in checked.findings],
        "score": score,
        "score_band": band,
        "score_reasons": [r.as_json() for r in reasons],
        "first_contact_due_at": prospect.created_at + settings.first_contact_deadline(band),
        "first_contacted_at": first_contact(touches),
        "expired_at": None,
    }
    expires_at = prospect.updated_at + settings.expire_after
    if prospect.status not in CLOSED_STATUSES and expires_at <= now:
        columns.update(
            status="expired",
            expired_at=expires_at,
            updated_at=expires_at,
            version=prospect.version + 1,
        )
    return columns
