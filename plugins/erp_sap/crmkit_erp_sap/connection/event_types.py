"""The events the connection part emits."""

from __future__ import annotations

from crmkit import EventType

EVENT_TYPES: list[EventType] = []
