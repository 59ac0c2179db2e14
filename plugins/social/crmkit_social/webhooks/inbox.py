"""Accepting Meta's deliveries: each change of a delivery stored once, by its key, in one
multi-row insert; changes of unknown or deactivated pages stored as refused.

No Graph call and no handler runs here: the processing job does that.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from crmkit import ValidationError, utcnow
from crmkit_social.accounts.tables import account_table
from crmkit_social.webhooks.dispatch import HANDLERS
from crmkit_social.webhooks.model import Change
from crmkit_social.webhooks.tables import change_table

MAX_CHANGES = 1000
"""The most changes one delivery may carry (Meta batches far fewer)."""
MAX_ID_LENGTH = 64


def _time(raw: Any, field: str) -> datetime:
    """A Meta timestamp: seconds (entry time) or milliseconds (messaging timestamps)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        raise ValidationError(field, "expected a Unix timestamp")
    seconds = raw / 1000 if raw > 100_000_000_000 else raw
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationError(field, "expected a Unix timestamp") from None


def _digest(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:40]


def change_key(obj: str, page_id: str, field: str, value: dict[str, Any]) -> str:
    """The change's dedupe key, the same each time Meta sends the change again.

    A lead is its ``leadgen_id``, a message its ``mid``; anything else the digest of what it
    says (Meta resends a change unaltered).
    """
    if field == "leadgen" and isinstance(value.get("leadgen_id"), str | int):
        return f"leadgen:{value['leadgen_id']}"[:200]
    if field == "messages":
        for kind in ("message", "postback", "reaction"):
            part = value.get(kind)
            if isinstance(part, dict) and isinstance(part.get("mid"), str) and part["mid"]:
                return f"{kind}:{page_id}:{_digest(part['mid'], part.get('action'))}"
    return f"{obj}:{page_id}:{field}:{_digest(value)}"


def _listed(entry: dict[str, Any], name: str, where: str) -> list[Any]:
    """``entry[name]``: a list, or nothing when absent; anything else is 422 naming it."""
    items = entry.get(name)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(f"{where}.{name}", "expected a list")
    return items


def read_delivery(payload: dict[str, Any]) -> list[Change]:
    """The changes of a delivery (``{"object": …, "entry": [...]}``); 422 naming the field."""
    obj = payload.get("object")
    if not isinstance(obj, str) or not obj or len(obj) > 40:
        raise ValidationError("object", "expected the webhook object (page, instagram …)")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise ValidationError("entry", "expected a list of entries")
    changes: list[Change] = []
    for i, entry in enumerate(entries):
        where = f"entry[{i}]"
        if not isinstance(entry, dict):
            raise ValidationError(where, "expected an object")
        page_id = entry.get("id")
        if isinstance(page_id, int) and not isinstance(page_id, bool):
            page_id = str(page_id)
        if not isinstance(page_id, str) or not page_id or len(page_id) > MAX_ID_LENGTH:
            raise ValidationError(f"{where}.id", "expected the page's id")
        entry_time = _time(entry.get("time", 0), f"{where}.time")
        items = _listed(entry, "changes", where)
        events = _listed(entry, "messaging", where)
        for j, item in enumerate(items):
            spot = f"{where}.changes[{j}]"
            if not isinstance(item, dict):
                raise ValidationError(spot, "expected an object")
            field = item.get("field")
            value = item.get("value")
            if not isinstance(field, str) or not field or len(field) > 60:
                raise ValidationError(f"{spot}.field", "expected the changed field's name")
            if not isinstance(value, dict):
                raise ValidationError(f"{spot}.value", "expected an object")
            lead = value.get("leadgen_id")
            if field == "leadgen" and (
                not isinstance(lead, str | int) or isinstance(lead, bool) or not str(lead).strip()
            ):
                # No retry could fetch a lead without its id: refused now, not failed later.
                raise ValidationError(f"{spot}.value.leadgen_id", "expected the lead's id")
            key = change_key(obj, page_id, field, value)
            changes.append(Change(obj, page_id, field, value, entry_time, key))
        for j, event in enumerate(events):
            spot = f"{where}.messaging[{j}]"
            if not isinstance(event, dict):
                raise ValidationError(spot, "expected an object")
            at = event.get("timestamp")
            when = _time(at, f"{spot}.timestamp") if at is not None else entry_time
            key = change_key(obj, page_id, "messages", event)
            changes.append(Change(obj, page_id, "messages", event, when, key))
        if len(changes) > MAX_CHANGES:
            raise ValidationError("entry", f"more than {MAX_CHANGES} changes in one delivery")
    return changes


def store_changes(conn: Connection, changes: list[Change]) -> int:
    """Store each change not stored before (by key); return how many were new."""
    if not changes:
        return 0
    pages = list({c.page_id for c in changes})
    accounts = {row.page_id: row for row in conn.execute(_ACCOUNTS, {"pages": pages})}
    now = utcnow()
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for change in changes:
        if change.key in seen:
            continue  # the same change twice in one delivery
        seen.add(change.key)
        account = accounts.get(change.page_id)
        state, reason = "pending", None
        if account is None:
            state, reason = "refused", f"unknown page {change.page_id}: no connected account"
        elif not account.active:
            state, reason = "refused", f"page {change.page_id} is deactivated"
        elif change.field not in HANDLERS:
            state, reason = "ignored", f"no handler for the field {change.field!r}"
        rows.append(
            {
                "key": change.key,
                "object": change.object,
                "page_id": change.page_id,
                "field": change.field,
                "value": change.value,
                "time": change.time,
                "received_at": now,
                "state": state,
                "reason": reason,
                "account_id": account.id if account is not None else None,
                "attempts": 0,
                "next_try_at": None,
                "lease_until": None,
                "last_error": None,
                "processed_at": now if state != "pending" else None,
            }
        )
    # The delivery's rows as parameters of one statement built once per database: a key
    # stored before is skipped, and RETURNING counts what was new (rowcount does not, on
    # every driver).
    return len(conn.execute(_insert_new(conn.dialect.name), rows).all())


# Built once: the statement is run for every delivery.
_ACCOUNTS = select(account_table.c.id, account_table.c.page_id, account_table.c.active).where(
    account_table.c.page_id.in_(bindparam("pages", expanding=True))
)


@cache
def _insert_new(dialect: str) -> Any:
    if dialect == "postgresql":
        statement: Any = postgresql.insert(change_table)
    elif dialect == "sqlite":
        statement = sqlite.insert(change_table)
    else:  # pragma: no cover - crmkit runs on SQLite and PostgreSQL
        raise RuntimeError(f"unsupported database {dialect}")
    return statement.on_conflict_do_nothing(index_elements=["key"]).returning(change_table.c.id)
