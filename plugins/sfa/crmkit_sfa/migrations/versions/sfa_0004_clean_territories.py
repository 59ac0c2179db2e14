"""Store territories as the kernel compares them: without spaces, in upper case.

Territories typed into an opportunity were stored as typed. PostgreSQL compares them
case-sensitively and SQLite (for ASCII) does not, so a target for ``DE-10`` counted an
opportunity in ``de-10115`` on one database and not on the other.

Revision ID: sfa_0004
Revises: sfa_0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sfa_0004"
down_revision = "sfa_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("sfa_opportunity", "sfa_forecast_snapshot"):
        territory = sa.column("territory", sa.String)
        cleaned = sa.func.upper(sa.func.replace(territory, " ", ""))
        op.execute(
            sa.table(name, territory).update().where(territory != cleaned).values(territory=cleaned)
        )


def downgrade() -> None:
    # The code before reads cleaned territories as it read the others: nothing to undo.
    pass
