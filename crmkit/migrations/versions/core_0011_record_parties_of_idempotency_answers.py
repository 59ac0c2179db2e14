"""Record the parties each stored Idempotency-Key answer shows; index answers by age.

An erasure found the answers showing a party by searching the text of every
answer kept; core_idempotency_party names them instead. The answers stored
before this revision are read once here and their parties recorded, as the
kernel records them for a new answer: a prospect or customer (``role`` and
``id``) or a record of one (``party_id``), at any depth. The index on
``created_at`` serves the hourly pruning of answers past their retention.

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0011"
down_revision = "core_0010"
branch_labels = None
depends_on = None

BATCH = 1000

answers = sa.table(
    "core_idempotency_key", sa.column("actor"), sa.column("key"), sa.column("body", sa.JSON())
)
shown = sa.table(
    "core_idempotency_party", sa.column("actor"), sa.column("key"), sa.column("party_id")
)


def upgrade() -> None:
    with op.batch_alter_table("core_idempotency_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_idempotency_key_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "core_idempotency_party",
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor", "key"],
            ["core_idempotency_key.actor", "core_idempotency_key.key"],
            name=op.f("fk_core_idempotency_party_actor_core_idempotency_key"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("actor", "key", "party_id", name=op.f("pk_core_idempotency_party")),
    )
    with op.batch_alter_table("core_idempotency_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_idempotency_party_party_id"), ["party_id"], unique=False
        )
    _record_parties(op.get_bind())


def _record_parties(conn: sa.Connection) -> None:
    """Read the stored answers a page at a time, by key: the table was never pruned before."""
    after: tuple[str, str] | None = None
    while True:
        page = sa.select(answers).order_by(answers.c.actor, answers.c.key).limit(BATCH)
        if after is not None:
            page = page.where(sa.tuple_(answers.c.actor, answers.c.key) > after)
        rows = conn.execute(page).all()
        if not rows:
            return
        found = [
            {"actor": row.actor, "key": row.key, "party_id": one}
            for row in rows
            for one in sorted(set(_party_ids(row.body)))
        ]
        if found:
            conn.execute(sa.insert(shown), found)
        after = (rows[-1].actor, rows[-1].key)


def _party_ids(answer: Any) -> Iterator[int]:
    if isinstance(answer, dict):
        if answer.get("role") in ("prospect", "customer") and _is_id(answer.get("id")):
            yield answer["id"]
        if _is_id(answer.get("party_id")):
            yield answer["party_id"]
        yield from (i for value in answer.values() for i in _party_ids(value))
    elif isinstance(answer, list):
        yield from (i for value in answer for i in _party_ids(value))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def downgrade() -> None:
    op.drop_table("core_idempotency_party")
    with op.batch_alter_table("core_idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_idempotency_key_created_at"))
