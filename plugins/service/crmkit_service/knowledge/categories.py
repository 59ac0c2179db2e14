"""The knowledge base's categories: a tree of names ("Billing", under it "Refunds")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, func, insert, select

from crmkit import Transaction, ValidationError, read_reference, utcnow
from crmkit_service.knowledge.tables import category

CATEGORY_FIELDS = frozenset({"name", "parent_id"})
MAX_NAME = 120


@frozen
class Category:
    id: int
    name: str
    parent_id: int | None
    created_at: datetime


def create_category(tx: Transaction, data: Mapping[str, Any]) -> Category:
    """Add a category (``{"name": "Refunds", "parent_id": 3}``); names are unique, in any case."""
    unknown = set(data) - CATEGORY_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("name", "expected the category's name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise ValidationError("name", f"at most {MAX_NAME} characters")
    taken = tx.conn.execute(
        select(category.c.id).where(func.lower(category.c.name) == name.lower())
    ).first()
    if taken is not None:
        raise ValidationError("name", f"there is a category {name!r} already")
    parent_id = read_category(tx.conn, "parent_id", data.get("parent_id"))
    now = utcnow()
    row = tx.conn.execute(
        insert(category)
        .values(name=name, parent_id=parent_id, created_at=now)
        .returning(*category.c)
    ).one()
    return Category(**row._mapping)


def list_categories(conn: Connection) -> list[Category]:
    """Every category, by name."""
    rows = conn.execute(select(category).order_by(category.c.name, category.c.id))
    return [Category(**row._mapping) for row in rows]


def read_category(conn: Connection, field: str, value: Any) -> int | None:
    """The id of an existing category given as ``field``, or None for none."""
    if value is None:
        return None
    return read_reference(conn, field, value, category, "category")
