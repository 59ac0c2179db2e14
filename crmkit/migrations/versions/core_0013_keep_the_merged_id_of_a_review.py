"""Keep the id of the party a review's merge took away: ``core_match_review.merged_id``.

Deciding a review as merge deletes the candidate and points the review at the
survivor, so its own ids no longer say which party was merged away. NULL for
reviews not merged (and for those merged before this revision).

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0013"
down_revision = "core_0012"
branch_labels = None
depends_on = None

TABLE = "core_match_review"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # No foreign key: the party it names is gone.
    op.add_column(TABLE, sa.Column("merged_id", ID, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("merged_id")
