"""The programme pages' forms: what each shows (a record's values, or what was typed into a
refused one) and the data it posts, read as the JSON API reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmkit import parse_whole_number
from crmkit_loyalty.programmes.model import Programme, Reward, Rule, Tier
from crmkit_loyalty.programmes.rules_edit import KIND_FIELDS

CHECKED = "on"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(form: Mapping[str, str], field: str, *, blank_is_none: bool = False) -> Any:
    raw = form.get(field, "").strip()
    if not raw:
        # A required number left blank is refused by the service, naming it.
        return None if blank_is_none else ""
    return parse_whole_number(field, raw, maximum=10**12)


def _optional(form: Mapping[str, str], field: str) -> str | None:
    return form.get(field, "").strip() or None


def version_of(form: Mapping[str, str]) -> int | None:
    raw = form.get("version", "").strip()
    return parse_whole_number("version", raw, minimum=1) if raw else None


def programme_values(found: Programme) -> dict[str, str]:
    return {
        "name": found.name,
        "description": _text(found.description),
        "currency": found.currency,
        "status": found.status,
        "points_expire_months": _text(found.points_expire_months),
        "qualification_months": str(found.qualification_months),
        "downgrade": found.downgrade,
        "auto_enrol": CHECKED if found.auto_enrol else "",
        "version": str(found.version),
    }


def programme_data(form: Mapping[str, str], *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": form.get("name", ""),
        "description": _optional(form, "description"),
        "currency": form.get("currency", "").strip(),
        "points_expire_months": _number(form, "points_expire_months", blank_is_none=True),
        "qualification_months": _number(form, "qualification_months"),
        "downgrade": form.get("downgrade", ""),
        "auto_enrol": form.get("auto_enrol") == CHECKED,
    }
    if not creating:
        data["status"] = form.get("status", "")
    return data


def rule_values(found: Rule) -> dict[str, str]:
    return {
        "kind": found.kind,
        "name": found.name,
        "points_per_unit": _text(found.points_per_unit),
        "product_group": _text(found.product_group),
        "behaviour": _text(found.behaviour),
        "points": _text(found.points),
        "max_per_party_per_year": _text(found.max_per_party_per_year),
        "valid_from": _text(found.valid_from),
        "valid_until": _text(found.valid_until),
        "active": CHECKED if found.active else "",
        "version": str(found.version),
    }


def rule_data(form: Mapping[str, str], kind: str | None) -> dict[str, Any]:
    """A rule form's data; changing a rule (``kind`` known) posts only its kind's fields."""
    data: dict[str, Any] = {
        "name": form.get("name", ""),
        "valid_from": _optional(form, "valid_from"),
        "valid_until": _optional(form, "valid_until"),
        "active": form.get("active") == CHECKED,
    }
    if kind is None:
        data["kind"] = form.get("kind", "")
    fields = KIND_FIELDS.get(kind or data["kind"], ())
    for field in fields:
        if field in ("points", "max_per_party_per_year"):
            data[field] = _number(form, field, blank_is_none=True)
        else:
            data[field] = _optional(form, field)
    return data


def tier_values(found: Tier) -> dict[str, str]:
    return {
        "name": found.name,
        "rank": str(found.rank),
        "threshold": str(found.threshold),
        "multiplier": str(found.multiplier),
        "benefits": _text(found.benefits),
        "version": str(found.version),
    }


def tier_data(form: Mapping[str, str], *, entry: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": form.get("name", ""),
        "multiplier": form.get("multiplier", "").strip(),
        "benefits": _optional(form, "benefits"),
    }
    if not entry:
        data["rank"] = _number(form, "rank")
        data["threshold"] = _number(form, "threshold")
    return data


def reward_values(found: Reward) -> dict[str, str]:
    return {
        "name": found.name,
        "description": _text(found.description),
        "points": str(found.points),
        "min_tier_rank": str(found.min_tier_rank),
        "stock": _text(found.stock),
        "active": CHECKED if found.active else "",
        "version": str(found.version),
    }


def reward_data(form: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", ""),
        "description": _optional(form, "description"),
        "points": _number(form, "points"),
        "min_tier_rank": _number(form, "min_tier_rank"),
        "stock": _number(form, "stock", blank_is_none=True),
        "active": form.get("active") == CHECKED,
    }
