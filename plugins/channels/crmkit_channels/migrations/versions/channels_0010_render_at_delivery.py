"""Emails sent in bulk wait unrendered: their body is stored once, their subject and raw come at delivery.

Revision ID: channels_0010
Revises: channels_0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "channels_0010"
down_revision = "channels_0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BODY = "channels_email_body"


def upgrade() -> None:
    op.create_table(
        BODY,
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{BODY}")),
        sa.UniqueConstraint("digest", name=op.f(f"uq_{BODY}_digest")),
        sqlite_autoincrement=True,
    )
    counter = _counter()
    with op.batch_alter_table(
        "channels_email", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.add_column(sa.Column("pending", JSON, nullable=True))
        batch.alter_column("subject", existing_type=sa.Text(), nullable=True)
        batch.alter_column("raw", existing_type=sa.Text(), nullable=True)
    _restore(counter)


def downgrade() -> None:
    # An email still waiting for its rendering cannot wait without it; one that ended
    # unrendered (failed, suppressed) keeps its place in the history, empty.
    op.execute("DELETE FROM channels_email WHERE raw IS NULL AND status = 'queued'")
    op.execute("UPDATE channels_email SET raw = '', subject = '' WHERE raw IS NULL")
    counter = _counter()
    with op.batch_alter_table(
        "channels_email", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.alter_column("raw", existing_type=sa.Text(), nullable=False)
        batch.alter_column("subject", existing_type=sa.Text(), nullable=False)
        batch.drop_column("pending")
    _restore(counter)
    op.drop_table(BODY)


def _counter() -> int | None:
    """SQLite: the highest id ``channels_email`` gave, which rebuilding the table would lower
    to the highest left (ids of deleted emails would be given again)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    return bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'channels_email'")
    ).scalar()


def _restore(counter: int | None) -> None:
    if counter is not None:
        op.get_bind().execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = 'channels_email'"),
            {"seq": counter},
        )
