"""Let the merge log record merges of prospects that were never stored on their own.

A prospect merged as it is taken in no longer becomes a party first, so its
merge log entry has no ``merged_id``.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("core_merge_log", schema=None) as batch_op:
        batch_op.alter_column("merged_id", existing_type=ID, nullable=True)


def downgrade() -> None:
    # Entries without a merged party cannot be kept under the old constraint.
    op.execute(sa.text("DELETE FROM core_merge_log WHERE merged_id IS NULL"))
    with op.batch_alter_table("core_merge_log", schema=None) as batch_op:
        batch_op.alter_column("merged_id", existing_type=ID, nullable=False)
