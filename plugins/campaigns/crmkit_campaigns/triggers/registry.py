"""Which triggers an application offers (built in, and from plugins through the
``campaigns_triggers`` hook), and checking a campaign's ``trigger`` against them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from crmkit import Crm, ValidationError, check_fields, read_choice, utcnow
from crmkit_campaigns.triggers.builtin import built_in


def available_triggers(app: Crm) -> dict[str, Any]:
    """Every trigger the application offers, by name; a plugin's may not replace a built-in one."""
    found = {
        t.name: t for t in built_in(app.custom_fields.of("customer"), "sfa" in app.host.loaded)
    }
    for contributed in app.host.call("campaigns_triggers"):
        for item in contributed or ():
            found.setdefault(item.name, item)
    return found


def _prefixed(exc: ValidationError) -> ValidationError:
    field = exc.field if exc.field.startswith("trigger.") else f"trigger.parameters.{exc.field}"
    return ValidationError(field, exc.reason)


def check_trigger(app: Crm, value: Any, on: date | None = None) -> dict[str, Any]:
    """``value`` as a campaign's ``trigger`` ``{"name": ..., "parameters": {...}}``, checked
    against the trigger it names; a refusal names the field (``trigger.parameters.days``)."""
    if not isinstance(value, Mapping):
        raise ValidationError("trigger", 'expected {"name": ..., "parameters": {...}}')
    check_fields(value, ("name", "parameters"), "trigger.")
    triggers = available_triggers(app)
    name = read_choice("trigger.name", value.get("name"), sorted(triggers))
    parameters = value.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise ValidationError("trigger.parameters", "expected an object")
    extra = set(parameters) - set(triggers[name].parameters)
    if extra:
        raise ValidationError(f"trigger.parameters.{sorted(extra)[0]}", "unknown parameter")
    try:
        # Building the query checks every parameter, without reading the database.
        triggers[name].occurrences(parameters, on or utcnow().date())
    except ValidationError as exc:
        raise _prefixed(exc) from None
    return {"name": name, "parameters": dict(parameters)}
