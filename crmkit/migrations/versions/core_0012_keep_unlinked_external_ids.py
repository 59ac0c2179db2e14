"""Keep in the history of external ids that an id was unlinked: it then points to no party.

``core_external_id_change.to_party_id`` may be NULL, for a change of reason
``unlinked``. On SQLite the table is copied, AUTOINCREMENT kept (core_0010).

Revision ID: core_0012
Revises: core_0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0012"
down_revision = "core_0011"
branch_labels = None
depends_on = None

TABLE = "core_external_id_change"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table(TABLE, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("to_party_id", existing_type=ID, nullable=True)


def downgrade() -> None:
    # The older code knows no change to no party: the unlinks leave the history.
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE to_party_id IS NULL"))
    with op.batch_alter_table(TABLE, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("to_party_id", existing_type=ID, nullable=False)
