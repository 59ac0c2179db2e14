"""The category tree of cases: roots and their sub-categories, each named uniquely under its parent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from crmkit import NotFound, Transaction, ValidationError, check_fields, read_reference, utcnow
from crmkit_service import fields
from crmkit_service.cases.model import Category
from crmkit_service.cases.tables import case, category

MAX_DEPTH = 5
SEPARATOR = " / "


def list_categories(conn: Connection) -> list[Category]:
    """Every category with its path from the root, in the order of their paths."""
    rows = conn.execute(select(category.c.id, category.c.parent_id, category.c.name)).all()
    by_id = {row.id: row for row in rows}

    def path(row: Any) -> str:
        names = [row.name]
        while row.parent_id is not None:
            row = by_id[row.parent_id]
            names.append(row.name)
        return SEPARATOR.join(reversed(names))

    found = [Category(row.id, row.parent_id, row.name, path(row)) for row in rows]
    return sorted(found, key=lambda c: c.path.lower())


def _depth(conn: Connection, category_id: int) -> int:
    depth = 1
    parent = conn.execute(select(category.c.parent_id).where(category.c.id == category_id)).scalar()
    while parent is not None:
        depth += 1
        parent = conn.execute(select(category.c.parent_id).where(category.c.id == parent)).scalar()
    return depth


def create_category(tx: Transaction, data: Mapping[str, Any]) -> Category:
    """A category named ``name`` under ``parent_id`` (None: a root); names are unique under a parent."""
    check_fields(data, ("name", "parent_id"))
    name = fields.required_text("name", data.get("name"), limit=100)
    if SEPARATOR.strip() in name:
        raise ValidationError("name", f"may not contain {SEPARATOR.strip()!r}")
    parent_id = None
    if data.get("parent_id") is not None:
        parent_id = read_reference(tx.conn, "parent_id", data["parent_id"], category, "category")
        if _depth(tx.conn, parent_id) >= MAX_DEPTH:
            raise ValidationError("parent_id", f"categories nest at most {MAX_DEPTH} levels")
    taken = tx.conn.execute(
        select(category.c.id).where(
            category.c.parent_id.is_(None)
            if parent_id is None
            else category.c.parent_id == parent_id,
            func.lower(category.c.name) == name.lower(),
        )
    ).first()
    if taken is not None:
        raise ValidationError("name", f"there is a category {name!r} there already")
    category_id = tx.conn.execute(
        insert(category)
        .values(parent_id=parent_id, name=name, created_at=utcnow())
        .returning(category.c.id)
    ).scalar_one()
    return next(c for c in list_categories(tx.conn) if c.id == category_id)


def delete_category(tx: Transaction, category_id: int) -> None:
    """Delete a category no case and no sub-category uses."""
    found = tx.conn.execute(select(category.c.id).where(category.c.id == category_id)).first()
    if found is None:
        raise NotFound(f"category {category_id} does not exist")
    child = tx.conn.execute(
        select(category.c.id).where(category.c.parent_id == category_id).limit(1)
    ).first()
    if child is not None:
        raise ValidationError("category_id", "it has sub-categories; delete them first")
    used = tx.conn.execute(
        select(case.c.id).where(case.c.category_id == category_id).limit(1)
    ).first()
    if used is not None:
        raise ValidationError("category_id", "cases are filed under it")
    tx.conn.execute(delete(category).where(category.c.id == category_id))
