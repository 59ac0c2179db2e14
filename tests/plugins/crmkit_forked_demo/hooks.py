"""The plugin's table and the hook registering it."""

from __future__ import annotations

from sqlalchemy import Column, String, Table

from crmkit import hookimpl, metadata
from crmkit.core.tables import Id

entry = Table(
    "forked_demo_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("colour", String(20)),
    Column("size", String(20)),
)


@hookimpl
def register_tables() -> list[Table]:
    return [entry]
