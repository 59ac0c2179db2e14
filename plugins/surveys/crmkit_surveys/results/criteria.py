"""What segments may ask of survey answers, when the campaigns plugin is installed.

``surveys.answered``: the party completed a response (to ``survey``, when given), its NPS
answer within ``nps_min``..``nps_max`` when either is given, completed within the last
``within_days`` days when given. The object follows the protocol of
``crmkit_campaigns.extensions.Criterion`` without importing campaigns, so that surveys loads
without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from attrs import frozen
from sqlalchemy import ColumnElement, select

from crmkit import MAX_ID, ValidationError, parse_whole_number, read_whole_number, utcnow
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.model import SCALES

MAX_DAYS = 36_500
"""A hundred years, as the segments' days reach."""


def _whole(name: str, value: Any, minimum: int, maximum: int) -> int:
    """A whole number, given as a number or its digits (as the segment form sends it)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, str):
        return parse_whole_number(name, value.strip(), minimum=minimum, maximum=maximum)
    return read_whole_number(name, value, minimum=minimum, maximum=maximum)


def _survey_id(value: Any) -> int:
    """A survey's id. One no survey has is accepted (a criterion reads no table to check
    it): it matches nobody."""
    try:
        return _whole("survey", value, 1, MAX_ID)
    except ValidationError:
        raise ValidationError("survey", "expected a survey id (a whole number)") from None


@frozen
class Answered:
    """The party completed a response (to a survey, with an NPS in a range, lately)."""

    name: str = "surveys.answered"
    label: str = "Answered a survey"
    parameters: Mapping[str, str] = MappingProxyType(
        {"survey": "number", "nps_min": "number", "nps_max": "number", "within_days": "days"}
    )

    def condition(
        self, parameters: Mapping[str, Any], party_id: ColumnElement[int]
    ) -> ColumnElement[bool]:
        low, high = SCALES["nps"]
        where = [response.c.party_id == party_id, response.c.status == "completed"]
        if parameters.get("survey") is not None:
            where.append(response.c.survey_id == _survey_id(parameters["survey"]))
        if parameters.get("within_days") is not None:
            days = _whole("within_days", parameters["within_days"], 0, MAX_DAYS)
            where.append(response.c.completed_at >= utcnow() - timedelta(days=days))
        nps_min, nps_max = parameters.get("nps_min"), parameters.get("nps_max")
        if nps_min is not None or nps_max is not None:
            scored = [answer.c.response_id == response.c.id, answer.c.kind == "nps"]
            if nps_min is not None:
                scored.append(answer.c.score >= _whole("nps_min", nps_min, low, high))
            if nps_max is not None:
                scored.append(answer.c.score <= _whole("nps_max", nps_max, low, high))
            if nps_min is not None and nps_max is not None and int(nps_min) > int(nps_max):
                raise ValidationError("nps_min", "is above nps_max")
            where.append(select(answer.c.id).where(*scored).exists())
        return select(response.c.id).where(*where).exists()


CRITERIA: list[Any] = [Answered()]
