"""Make opportunities readable whose custom values were stored nested too deeply.

Before bodies and custom values were held to a depth, an opportunity could be
stored with a custom value nested hundreds of levels deep, which no list or
detail could then serialise (every user who could see it got a 500). Such a
value is kept as its JSON text: nothing is lost, and it reads like any text.

Revision ID: sfa_0005
Revises: sfa_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "sfa_0005"
down_revision = "sfa_0004"
branch_labels = None
depends_on = None

MAX_DEPTH = 8
"""The nesting a custom value may have (``crmkit.check_custom`` when this was written)."""


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            pending.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def upgrade() -> None:
    opportunity = sa.table(
        "sfa_opportunity", sa.column("id", sa.BigInteger), sa.column("custom", sa.JSON)
    )
    conn = op.get_bind()
    for row in conn.execute(sa.select(opportunity.c.id, opportunity.c.custom)):
        custom = row.custom or {}
        flattened = {
            name: json.dumps(value) if _depth(value) > MAX_DEPTH else value
            for name, value in custom.items()
        }
        if flattened != custom:
            conn.execute(
                opportunity.update().where(opportunity.c.id == row.id).values(custom=flattened)
            )


def downgrade() -> None:
    # The text reads back under the code before as well: nothing to undo.
    pass
