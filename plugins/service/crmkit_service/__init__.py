"""crmkit-service: customer service cases with SLA clocks, warranty, dispatch, a knowledge base and a portal.

Other plugins use the names exported here; everything else is internal.
"""

from __future__ import annotations

from crmkit_service.cases.model import Case, CaseEvent
from crmkit_service.cases.service import (
    add_note,
    case_events,
    cases_of_party,
    get_case,
    open_case,
)

__all__: list[str] = [
    "Case",
    "CaseEvent",
    "add_note",
    "case_events",
    "cases_of_party",
    "get_case",
    "open_case",
]
