"""What every outgoing message shares, whatever its channel: its purpose, its variables, its party."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from crmkit import Transaction, ValidationError
from crmkit_channels.settings import ChannelsSettings

PURPOSE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,49}$")


def settings_of(tx: Transaction) -> ChannelsSettings:
    settings: ChannelsSettings = tx.app.settings_of["channels"]
    return settings


def check_purpose_and_variables(
    purpose: object, variables: object, reserved: frozenset[str]
) -> None:
    """A ValidationError naming ``purpose`` or ``variables`` when either is not what a message takes."""
    if not isinstance(purpose, str) or not PURPOSE_PATTERN.match(purpose):
        raise ValidationError("purpose", "expected a purpose name such as newsletter or orders")
    if not isinstance(variables, Mapping):
        raise ValidationError("variables", "expected an object")
    if reserved & set(variables):
        raise ValidationError(
            "variables", f"expected an object without the keys {sorted(reserved)}"
        )
    try:
        json.dumps(variables)
    except (TypeError, ValueError):
        raise ValidationError(
            "variables", "expected JSON values (text, numbers, lists, objects)"
        ) from None


def party_variables(party: Any, **contact: str) -> dict[str, Any]:
    """The ``party`` a template sees: its names and the address or number written to.

    A name the party lacks is empty text, not None (which a template would print as
    "None"): ``{{ party.first_name or party.name }}`` falls back.
    """
    return {
        "id": party.id,
        "name": party.display_name,
        "first_name": party.first_name or "",
        "last_name": party.last_name or "",
        "organisation_name": party.organisation_name or "",
        **contact,
    }
