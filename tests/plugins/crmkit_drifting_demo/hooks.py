"""The plugin's table and the hook registering it."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from crmkit import hookimpl, metadata
from crmkit.core.tables import Id

item = Table(
    "drifting_demo_item",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # Added here without a migration: what the contract test must catch.
    Column("colour", String(20)),
)


@hookimpl
def register_tables() -> list[Table]:
    return [item]
