"""What changing any of a programme's records shares: locking the programme, versions, events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crmkit import ConflictError, NotFound, Transaction, ValidationError, record_audit
from crmkit_loyalty.programmes.event_types import PROGRAMME
from crmkit_loyalty.programmes.model import Programme, programme_of
from crmkit_loyalty.programmes.tables import programme


def locked_programme(tx: Transaction, programme_id: int) -> Programme:
    """The programme, held until ``tx`` ends: rules, tiers and rewards are checked against
    their siblings (one spend rule at a time, thresholds rising with rank), so two writers
    changing one programme's records take turns."""
    found = tx.conn.execute(
        select(programme).where(programme.c.id == programme_id).with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"programme {programme_id} does not exist")
    return programme_of(found)


def required_version(version: int | None) -> int:
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    return version


def conflict(what: str, current: int) -> ConflictError:
    return ConflictError(f"{what} was changed meanwhile (now at version {current})")


def changed(tx: Transaction, programme_id: int, what: str, data: Mapping[str, Any]) -> None:
    """Tell subscribers the programme (or one of its records, ``what``) changed."""
    tx.emit(
        "loyalty.programme_updated",
        PROGRAMME,
        programme_id,
        {"programme_id": programme_id, "changed": what, "fields": sorted(data)},
    )


def _plain(value: Any) -> Any:
    """A value as the audit trail keeps it (JSON): numbers as text, days in ISO form."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def differences(current: Any, row: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``row`` whose value differs from the record ``current``'s, each as
    ``[before, after]``: empty when a change changes nothing (then nothing is written)."""
    return {
        field: [_plain(getattr(current, field)), _plain(value)]
        for field, value in row.items()
        if getattr(current, field) != value
    }


def audit(
    tx: Transaction, what: str, record_id: int, action: str, changes: Mapping[str, list[Any]]
) -> None:
    """Record a change of a programme's rule, tier or reward (``what``) in the audit trail, as
    entity ``loyalty.<what>``."""
    record_audit(tx, f"loyalty.{what}", record_id, action, changes)


def created(row: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The audit changes of a record made with ``row``."""
    return {field: [None, _plain(value)] for field, value in row.items() if value is not None}
