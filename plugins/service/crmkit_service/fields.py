"""Reading untrusted input for every part (a case, an asset, a visit, a calendar) beyond the
kernel's readers (``crmkit.read_text``, ``read_choice``, ``check_fields`` …), each refusal
naming its field."""

from __future__ import annotations

from typing import Any

from crmkit import ValidationError, read_id, read_text


def required_text(name: str, value: Any, *, limit: int) -> str:
    found = read_text(name, value, limit=limit, required=True)
    assert found is not None  # read_text refused a blank one
    return found


def optional_id(name: str, value: Any) -> int | None:
    return None if value is None else read_id(name, value)


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, "expected true or false")
    return value
