"""Lists of cases: the work lists of agents and teams, filtered, newest first, only visible parties'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from crmkit import (
    Actor,
    Page,
    check_fields,
    newest_first,
    read_choice,
    read_text,
    require,
    seen_party_ids,
)
from crmkit_service import fields
from crmkit_service.cases.access import CASE_READ
from crmkit_service.cases.categories import list_categories
from crmkit_service.cases.model import OPEN_STATUSES, STATUSES, Case
from crmkit_service.cases.service import case_of
from crmkit_service.cases.tables import case

FILTERS = ("status", "owner_id", "team", "category_id", "party_id", "open", "product", "kind")


def _subtree(conn: Connection, category_id: int) -> set[int]:
    """The category and every category below it."""
    children: dict[int | None, list[int]] = {}
    for c in list_categories(conn):
        children.setdefault(c.parent_id, []).append(c.id)
    found, todo = set(), [category_id]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def list_cases(
    conn: Connection,
    actor: Actor,
    *,
    host: Any,
    filters: Mapping[str, Any],
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Case]:
    """A page of the cases ``actor`` may see matching ``filters`` (``status``, ``owner_id``,
    ``team``, ``category_id`` with its sub-categories, ``party_id``, ``product``, ``kind``,
    ``open``: true for the open statuses only), newest first. Merged cases are left out."""
    require(host, actor, CASE_READ)
    check_fields(filters, FILTERS)
    conditions: list[ColumnElement[bool]] = [
        case.c.party_id.in_(seen_party_ids(host, actor)),
        case.c.merged_into_id.is_(None),
    ]
    if filters.get("status") is not None:
        conditions.append(case.c.status == read_choice("status", filters["status"], STATUSES))
    if filters.get("open"):
        conditions.append(case.c.status.in_(OPEN_STATUSES))
    for name in ("owner_id", "party_id"):
        if filters.get(name) is not None:
            conditions.append(case.c[name] == fields.optional_id(name, filters[name]))
    for name, limit_chars in (("team", 100), ("product", 200), ("kind", 20)):
        if filters.get(name) is not None:
            conditions.append(case.c[name] == read_text(name, filters[name], limit=limit_chars))
    if filters.get("category_id") is not None:
        category_id = fields.optional_id("category_id", filters["category_id"])
        assert category_id is not None
        conditions.append(case.c.category_id.in_(_subtree(conn, category_id)))
    query = select(case).where(*conditions)
    return newest_first(conn, query, case.c.id, case_of, cursor=cursor, limit=limit)
