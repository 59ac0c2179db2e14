"""The events the partners part emits."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES: list[EventType] = []
