"""Scoring a prospect hot, warm or cold: the kernel's rules plus every plugin's ``score_prospect``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import phonenumbers
from attrs import frozen

from crmkit.core.entities import Prospect
from crmkit.core.settings import IntakeSettings
from crmkit.core.values import phone_type

Band = Literal["hot", "warm", "cold"]


@frozen
class ScoreReason:
    """Points given for one reason, by the kernel (``core``) or a plugin."""

    points: int
    reason: str
    source: str

    def as_json(self) -> dict[str, Any]:
        return {"points": self.points, "reason": self.reason, "source": self.source}


def core_reasons(prospect: Prospect, quality: int) -> list[ScoreReason]:
    """The kernel's rules: good data and more ways to reach the prospect score higher."""
    reasons = [ScoreReason(round(quality * 0.3), f"data quality {quality}/100", "core")]
    mobile = any(phone_type(p.e164) == phonenumbers.PhoneNumberType.MOBILE for p in prospect.phones)
    if mobile:
        reasons.append(ScoreReason(20, "reachable on a mobile phone", "core"))
    elif prospect.phones:
        reasons.append(ScoreReason(15, "reachable by phone", "core"))
    if prospect.emails:
        reasons.append(ScoreReason(10, "reachable by email", "core"))
    if prospect.kind == "organisation" or prospect.organisation_name:
        reasons.append(ScoreReason(10, "an organisation", "core"))
    if any(a.street and (a.postcode or a.city) for a in prospect.addresses):
        reasons.append(ScoreReason(5, "postal address known", "core"))
    return reasons


def plugin_reasons(contributions: Iterable[tuple[str, Any]]) -> list[ScoreReason]:
    """``(plugin, (points, reason))`` pairs from ``score_prospect`` as reasons."""
    return [
        ScoreReason(int(points), str(reason), plugin) for plugin, (points, reason) in contributions
    ]


def band(score: int, settings: IntakeSettings) -> Band:
    if score >= settings.hot_score:
        return "hot"
    if score >= settings.warm_score:
        return "warm"
    return "cold"


def total(reasons: Iterable[ScoreReason]) -> int:
    """The points summed, held to 0-100."""
    return max(0, min(100, sum(r.points for r in reasons)))
