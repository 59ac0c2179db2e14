"""Adding, changing and removing calendars: the running clocks they count for are rescheduled
in the same transaction, so a holiday added today moves the due times it falls into."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, insert

from crmkit import Transaction, utcnow
from crmkit_service import versions
from crmkit_service.sla.calendar_store import (
    calendar_of_row,
    check_unique,
    get_calendar,
    read_calendar,
)
from crmkit_service.sla.calendars import Calendar
from crmkit_service.sla.clocks import reschedule
from crmkit_service.sla.tables import calendar


def create_calendar(tx: Transaction, data: Mapping[str, Any]) -> Calendar:
    values = read_calendar(data)
    check_unique(tx.conn, values, None)
    now = utcnow()
    row = tx.conn.execute(
        insert(calendar)
        .values(**values, created_at=now, updated_at=now, version=1)
        .returning(*calendar.c)
    ).one()
    created = calendar_of_row(row)
    _reschedule_for(tx, {created})
    return created


def update_calendar(tx: Transaction, calendar_id: int, data: Mapping[str, Any]) -> Calendar:
    """Replace a calendar; ``version`` in ``data``, if given, must be the stored one."""
    current = get_calendar(tx.conn, calendar_id)
    what = f"calendar {calendar_id}"
    versions.check_version(what, current.version, data.get("version"))
    values = read_calendar(data)
    check_unique(tx.conn, values, calendar_id)
    row = versions.update_versioned(tx, calendar, what, calendar_id, current.version, values)
    changed = calendar_of_row(row)
    _reschedule_for(tx, {current, changed})
    return changed


def delete_calendar(tx: Transaction, calendar_id: int) -> None:
    current = get_calendar(tx.conn, calendar_id)
    tx.conn.execute(delete(calendar).where(calendar.c.id == calendar_id))
    _reschedule_for(tx, {current})


def _reschedule_for(tx: Transaction, touched: set[Calendar]) -> None:
    default = tx.app.settings_of["service"].sla.default_calendar
    reschedule(
        tx,
        {c.team for c in touched if c.team is not None},
        teams_without_calendar=any(c.name == default for c in touched),
    )
