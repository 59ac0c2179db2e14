"""The domain events of SLAs and the custom field holding a customer's tier."""

from __future__ import annotations

from crmkit import CustomField, EventType

EVENT_TYPES = [
    EventType(
        "service.sla_warning", "An SLA target of a case is close to being missed", "service.case"
    ),
    EventType("service.sla_breached", "An SLA target of a case was missed", "service.case"),
    EventType(
        "service.sla_escalated",
        "A missed SLA target went to the next person of the chain",
        "service.case",
    ),
]

CUSTOM_FIELDS = [
    CustomField("customer", "service_tier", "text", label="Service tier", max_length=40),
]
"""The tier SLA policies are chosen by, unless ``tier_field`` names another custom field."""
