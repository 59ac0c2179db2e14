"""The campaign form of the pages: its fields read into the definition the service takes, and
a stored campaign written back into fields.

The form has one slot per message (variant): a stored campaign's every variant with its
channel, label and split, then empty slots to add more, so that saving the form unchanged
changes nothing. Slot ``i``'s fields are ``v<i>_channel``, ``v<i>_label`` ... A slot
without a template or text is left out. Dates are typed as local times of the
campaign's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crmkit import parse_whole_number
from crmkit_campaigns.campaigns.definition import MAX_VARIANTS
from crmkit_campaigns.campaigns.model import Campaign

PLAIN: tuple[str, ...] = (
    *("name", "purpose", "time_zone", "currency", "product_group", "region"),
    *("quiet_start", "quiet_end", "winner_metric", "budget"),
)
NUMBERS = (
    "segment_id",
    "list_id",
    "throttle_per_hour",
    "test_share",
    "decide_after_hours",
    "owner_id",
)
MOMENTS = ("starts_at", "ends_at")
SLOT_FIELDS = ("channel", "label", "split", "template", "subject", "text", "html")
MESSAGE_FIELDS = ("template", "subject", "text", "html")
NEW_SLOTS = ("email", "email", "sms")
"""The channels of the empty slots a new campaign's form shows: an email, its B variant, an SMS."""
EMPTY_SLOTS = 2
"""Empty slots shown after a stored campaign's variants, to add a variant."""


def slot_field(slot: int, name: str) -> str:
    """The form field of slot ``slot``'s ``name`` (``v0_subject``)."""
    return f"v{slot}_{name}"


def definition_of(form: Mapping[str, str], time_zone_default: str) -> dict[str, Any]:
    """The campaign definition the form's fields give: blank fields are left out.

    A refusal names the form's field (``v1_split``, not ``variants[0].split``).
    """
    values = {name: form[name].strip() for name in form if form[name].strip()}
    data: dict[str, Any] = {name: values[name] for name in PLAIN if name in values}
    for name in NUMBERS:
        if name in values:
            data[name] = parse_whole_number(name, values[name])
    zone = data.get("time_zone", time_zone_default)
    for name in MOMENTS:
        if name in values:
            data[name] = _moment(values[name], zone)
    data["variants"] = [variant for _, variant in _slots(values)]
    return data


def slot_of_field(form: Mapping[str, str], field: str) -> str:
    """The form field a refusal naming ``field`` (``variants[1].text``) is about."""
    if not field.startswith("variants["):
        return field
    index, _, rest = field.removeprefix("variants[").partition("]")
    values = {name: form[name].strip() for name in form if form[name].strip()}
    slots = [slot for slot, _ in _slots(values)]
    if not index.isdigit() or int(index) >= len(slots):
        return field
    name = rest.removeprefix(".") or "channel"
    return slot_field(slots[int(index)], "text" if name == "body" else name)


def _slots(values: Mapping[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """The filled slots: each slot's number and its variant as the service takes it."""
    found = []
    for slot in range(MAX_VARIANTS + EMPTY_SLOTS):
        given: dict[str, Any] = {
            name: values[slot_field(slot, name)]
            for name in SLOT_FIELDS
            if slot_field(slot, name) in values
        }
        if not any(name in given for name in MESSAGE_FIELDS):
            continue
        if "split" in given:
            given["split"] = parse_whole_number(slot_field(slot, "split"), given["split"])
        given.setdefault("channel", "")
        found.append((slot, given))
    return found


def fields_of(found: Campaign) -> dict[str, str]:
    """The form's fields showing a stored campaign: every variant, as stored."""
    fields: dict[str, str] = {}
    for name in (*PLAIN, *NUMBERS):
        value = getattr(found, name)
        fields[name] = "" if value is None else str(value)
    zone = ZoneInfo(found.time_zone)
    for name in MOMENTS:
        moment = getattr(found, name)
        fields[name] = "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    for slot, chosen in enumerate(found.variants):
        for name in SLOT_FIELDS:
            value = getattr(chosen, name)
            fields[slot_field(slot, name)] = "" if value is None else str(value)
    return fields


def slot_count(values: Mapping[str, str]) -> int:
    """How many slots the form shows: the last one filled, then :data:`EMPTY_SLOTS` more."""
    filled = [
        slot
        for slot in range(MAX_VARIANTS + EMPTY_SLOTS)
        if any(values.get(slot_field(slot, name), "").strip() for name in MESSAGE_FIELDS)
    ]
    shown = filled[-1] + 1 + EMPTY_SLOTS if filled else len(NEW_SLOTS)
    return min(shown, MAX_VARIANTS + EMPTY_SLOTS)


def new_fields() -> dict[str, str]:
    """A new campaign's form: marketing consent, slots for an email, its B variant and an SMS."""
    fields = {"purpose": "marketing"}
    for slot, channel in enumerate(NEW_SLOTS):
        fields[slot_field(slot, "channel")] = channel
    return fields


def _moment(value: str, zone: str) -> Any:
    """A typed local time (``2026-12-10T09:00``) in the campaign's zone; other text as typed."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
    except (ValueError, KeyError, OSError):
        return value  # the service refuses it, naming the field
    return moment.isoformat()
