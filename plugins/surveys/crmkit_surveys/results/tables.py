"""The results part keeps no table of its own: it reads responses and answers."""

from __future__ import annotations

from sqlalchemy import Table

TABLES: list[Table] = []
