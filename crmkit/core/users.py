"""Users: the people who work in the CRM."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert, select, update

from crmkit.core import audit, recent_tokens
from crmkit.core.db import Transaction
from crmkit.core.entities import User
from crmkit.core.errors import ConflictError, NotFound, ValidationError
from crmkit.core.permissions import ROLES
from crmkit.core.tables import user, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,150}$")


def create_user(tx: Transaction, new: User) -> User:
    """Store a user; the username must be unique and the role a known one."""
    if not USERNAME.match(new.username):
        raise ValidationError("username", "letters, digits and _ . @ - only, at most 150")
    if new.role not in ROLES:
        raise ValidationError("role", f"expected one of {', '.join(ROLES)}")
    if tx.conn.execute(select(user.c.id).where(user.c.username == new.username)).first():
        raise ConflictError(f"user {new.username!r} exists already")
    if new.manager_id is not None:
        get_user(tx.conn, new.manager_id)
    row = _row(new)
    tx.hooks.call("entity_validate", tx=tx, entity_type="user", entity=new, changes=row)
    now = utcnow()
    new.id = tx.conn.execute(
        insert(user).values(**row, version=1, created_at=now, updated_at=now).returning(user.c.id)
    ).scalar_one()
    new.version, new.created_at, new.updated_at = 1, now, now
    tx.hooks.call("entity_saved", tx=tx, entity_type="user", entity=new, change="created")
    audit.record(tx, "user", new.id, "created", audit.diff({}, row))
    tx.emit("user.created", "user", new.id, {"id": new.id, "username": new.username})
    return new


def _row(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "role": u.role,
        "manager_id": u.manager_id,
        "team": u.team,
        "territories": list(u.territories),
        "active": u.active,
    }


def _user(row: Any) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        email=row["email"],
        role=row["role"],
        manager_id=row["manager_id"],
        team=row["team"],
        territories=tuple(row["territories"]),
        active=row["active"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def get_user(conn: Connection, user_id: int) -> User:
    row = conn.execute(select(user).where(user.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return _user(row)


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(user).order_by(user.c.username)).mappings()]


USER_FIELDS = frozenset(
    {"username", "display_name", "email", "role", "manager_id", "team", "territories", "active"}
)
MAX_TERRITORIES = 50
"""The most territories a user works: each one is a condition of every list they see."""
TERRITORY_LENGTH = 100


def _field(
    data: Mapping[str, Any], name: str, kind: type, default: Any = None, limit: int = 200
) -> Any:
    value = data.get(name, default)
    if value is None and default is not None:
        raise ValidationError(name, "may not be null")
    if isinstance(value, str) and len(value) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    if value is None or (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
        return value
    expected = {str: "text", int: "a whole number", bool: "true or false"}[kind]
    raise ValidationError(name, f"expected {expected}, got {type(value).__name__}")


def build_user(data: Mapping[str, Any]) -> User:
    """A user from plain data (an API body); raises naming the field that is wrong."""
    unknown = set(data) - USER_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    username = _field(data, "username", str)
    if not username:
        raise ValidationError("username", "is required")
    territories = data.get("territories") or []
    if not isinstance(territories, list) or not all(
        isinstance(t, str) and len(t) <= TERRITORY_LENGTH for t in territories
    ):
        raise ValidationError("territories", "expected a list of territory names")
    if len(territories) > MAX_TERRITORIES:
        raise ValidationError("territories", f"more than {MAX_TERRITORIES} items")
    return User(
        username=username,
        display_name=_field(data, "display_name", str) or username,
        email=_field(data, "email", str, limit=320),
        role=_field(data, "role", str, "read-only"),
        manager_id=_field(data, "manager_id", int),
        team=_field(data, "team", str, limit=100),
        territories=tuple(territories),
        active=_field(data, "active", bool, True),
    )


def update_user(
    tx: Transaction, user_id: int, data: Mapping[str, Any], expected_version: int
) -> User:
    """Apply ``data`` (field -> new value) if the user is still at ``expected_version``.

    Values the user has already change nothing: the user comes back as it is, at the
    same version, with no audit entry and no event.
    """
    current = get_user(tx.conn, user_id)
    before = _row(current)
    updated = build_user({**before, **data})
    if updated.role not in ROLES:
        raise ValidationError("role", f"expected one of {', '.join(ROLES)}")
    if updated.username != current.username:
        raise ValidationError("username", "cannot be changed")
    if updated.manager_id is not None:
        if updated.manager_id == user_id:
            raise ValidationError("manager_id", "a user cannot manage themselves")
        get_user(tx.conn, updated.manager_id)
    row = _row(updated)
    changes = {k: v for k, v in row.items() if before[k] != v}
    if current.version != expected_version:
        raise _stale(user_id, expected_version)
    if not changes:
        return current
    tx.hooks.call("entity_validate", tx=tx, entity_type="user", entity=updated, changes=changes)
    now = utcnow()
    result = tx.conn.execute(
        update(user)
        .where(user.c.id == user_id, user.c.version == expected_version)
        .values(**row, version=expected_version + 1, updated_at=now)
    )
    if result.rowcount != 1:
        # Changed by someone else between the read above and this write.
        raise _stale(user_id, expected_version)
    # A token's actor carries the user's role, team and territories.
    # Dropped after commit: a request reading the old row meanwhile must not cache it again.
    tx.after_commit.append(recent_tokens.forget_all)
    updated.id, updated.created_at = user_id, current.created_at
    updated.version, updated.updated_at = expected_version + 1, now
    tx.hooks.call("entity_saved", tx=tx, entity_type="user", entity=updated, change="updated")
    audit.record(tx, "user", user_id, "updated", audit.diff(before, row))
    tx.emit("user.updated", "user", user_id, {"id": user_id, "fields": sorted(changes)})
    return updated


def _stale(user_id: int, expected_version: int) -> ConflictError:
    return ConflictError(
        f"user {user_id} was changed by someone else (version {expected_version} is stale)"
    )
