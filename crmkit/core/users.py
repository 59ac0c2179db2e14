"""Users: the people who work in the CRM."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, insert, select

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
