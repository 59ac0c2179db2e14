"""How the kernel's types become JSON-ready data on an application's cattrs converter.

Values take their text form (an email as given, a phone number in E.164), times
ISO 8601, and a party carries its ``role`` and ``display_name`` so that a client
needs no second look-up to show it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn

from crmkit.core.entities import PARTY_CLASSES, Party
from crmkit.core.values import EmailAddress, PhoneNumber


def configure(converter: cattrs.Converter) -> None:
    """Register the kernel's unstructure hooks; plugins add theirs in ``register_mappers``."""
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook(date, date.isoformat)
    # A float would lose cents; text keeps every digit.
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(EmailAddress, str)
    converter.register_unstructure_hook(PhoneNumber, str)
    for cls in PARTY_CLASSES.values():
        converter.register_unstructure_hook(cls, _party(make_dict_unstructure_fn(cls, converter)))


def _party(fields: Callable[[Any], dict[str, Any]]) -> Callable[[Party], dict[str, Any]]:
    def unstructure(entity: Party) -> dict[str, Any]:
        return {"role": entity.role, "display_name": entity.display_name, **fields(entity)}

    return unstructure
