"""The connection part's tables."""

from __future__ import annotations

from sqlalchemy import Table

TABLES: list[Table] = []
