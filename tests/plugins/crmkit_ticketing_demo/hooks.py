"""The plugin's hook implementations."""

from __future__ import annotations

from sqlalchemy import Table

from crmkit import hookimpl
from crmkit_ticketing_demo.tables import ticket


@hookimpl
def register_tables() -> list[Table]:
    return [ticket]
