"""What a case is: the frozen ``Case`` and the closed vocabularies its fields draw from."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

KINDS = ("complaint", "question", "request", "incident")
STATUSES = (
    "new",
    "open",
    "waiting_on_customer",
    "waiting_on_third_party",
    "resolved",
    "closed",
    "reopened",
)
OPEN_STATUSES = ("new", "open", "waiting_on_customer", "waiting_on_third_party", "reopened")
"""Statuses in which someone still owes the customer an answer or a fix."""
WAITING_STATUSES = ("waiting_on_customer", "waiting_on_third_party")
PRIORITIES = ("low", "normal", "high", "urgent")
SEVERITIES = ("minor", "moderate", "major", "critical")
CHANNELS = ("email", "phone", "web", "portal", "chat", "social", "survey", "letter")
ENTITLEMENT_STATES = ("in_warranty", "out_of_warranty", "contract", "none")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"),
    "open": ("waiting_on_customer", "waiting_on_third_party", "resolved", "closed"),
    "waiting_on_customer": ("open", "waiting_on_third_party", "resolved", "closed"),
    "waiting_on_third_party": ("open", "waiting_on_customer", "resolved", "closed"),
    "resolved": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"),
}
"""The statuses a case may move to from each status; anything else is refused."""

EVENT_KINDS = (
    "created",
    "status",
    "note",
    "reply",
    "customer_reply",
    "assigned",
    "priority",
    "category",
    "linked",
    "merged",
    "dispatch",
    "entitlement",
    "feedback",
)
"""What a row of ``service_case_event`` records; other parts (dispatch, portal) add theirs from this list."""

LINK_KINDS = ("related", "duplicate", "caused_by", "blocks")

NUMBER_PREFIX = "CS-"


def case_number(case_id: int) -> str:
    """The human-friendly number of the case with this id, e.g. ``CS-000123``."""
    return f"{NUMBER_PREFIX}{case_id:06d}"


@frozen
class Case:
    """A customer's complaint, question, request or incident, from first contact until closed."""

    id: int
    number: str
    party_id: int
    kind: str
    subject: str
    description: str
    category_id: int | None
    product: str | None
    asset_id: int | None
    priority: str
    severity: str | None
    channel: str
    owner_id: int | None
    team: str | None
    status: str
    root_cause: str | None
    resolution: str | None
    merged_into_id: int | None
    entitlement_state: str
    """One of ``ENTITLEMENT_STATES``, as ASSETS's ``entitlement_of`` answered when the case was opened."""
    entitlement_summary: str
    """What the entitlement covers, in words, e.g. "contract covers 4 visits, 1 used"."""
    billable: bool
    """Work on this case is outside the customer's entitlement and will be charged."""
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@frozen
class CaseEvent:
    """One thing that happened to a case; ``public`` events are what the customer sees."""

    id: int
    case_id: int
    kind: str
    public: bool
    body: str | None
    data: dict[str, object]
    author_id: int | None
    created_at: datetime


@frozen
class Category:
    """A node of the category tree; ``path`` is the names from the root, e.g. "Billing / Refunds"."""

    id: int
    parent_id: int | None
    name: str
    path: str
