"""Never reuse an id on SQLite: every table with a surrogate id becomes AUTOINCREMENT.

Without AUTOINCREMENT, SQLite gives a new row the highest rowid plus one, so the id
of a deleted newest row (an erased party's last interaction, say) went to the next
row, and events, the audit trail and other systems naming that id then spoke of two
records. Each table is copied with every row and id, and SQLite counts on from the
highest id kept; for parties and interactions, from the highest id the audit trail
or the events name if that is higher, since those ids may belong to rows already
deleted. core_party is copied too: databases created before core_0001 declared it
AUTOINCREMENT still lack it. PostgreSQL's sequences never reuse ids: nothing
changes there.

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0010"
down_revision = "core_0009"
branch_labels = None
depends_on = None

TABLES = (
    "core_user",
    "core_party",
    "core_contact_point",
    "core_external_id_change",
    "core_interaction",
    "core_outbox",
    "core_api_token",
    "core_login_failure",
    "core_audit",
    "core_consent",
    "core_match_review",
    "core_merge_log",
    "core_task",
    "core_notification",
    "core_webhook_subscription",
    "core_webhook_delivery",
)

NAMED_BY = {
    "core_party": (("party",), ("prospect", "customer")),
    "core_interaction": (("interaction",), ("interaction",)),
}
"""Table: (its entities in core_audit, its entities in core_outbox)."""


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    # Copying a table starts its count at the highest id copied; core_party's may have been higher.
    marks = _marks(conn)
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass  # the copy under the new declaration is the whole change
    for table in TABLES:
        audited, emitted = NAMED_BY.get(table, ((), ()))
        at_least = max(marks.get(table, 0), _highest_named(conn, audited, emitted))
        conn.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :table AND seq < :seq"),
            {"table": table, "seq": at_least},
        )
        conn.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT :table, :seq"
                " WHERE :seq > 0 AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table)"
            ),
            {"table": table, "seq": at_least},
        )


def _marks(conn: sa.Connection) -> dict[str, int]:
    """SQLite's count of each AUTOINCREMENT table (its table exists once one such table does)."""
    exists = conn.execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    ).first()
    if exists is None:
        return {}
    return {
        name: seq for name, seq in conn.execute(sa.text("SELECT name, seq FROM sqlite_sequence"))
    }


def _highest_named(conn: sa.Connection, audited: tuple[str, ...], emitted: tuple[str, ...]) -> int:
    """The highest id the audit trail or the events name for these entities (0 if none)."""
    if not audited and not emitted:
        return 0
    # SQLite's CAST makes 0 of an entity_id that is no number: it raises nothing.
    highest = sa.text(
        "SELECT max("
        " coalesce((SELECT max(CAST(entity_id AS INTEGER)) FROM core_audit"
        "  WHERE entity IN :audited), 0),"
        " coalesce((SELECT max(CAST(entity_id AS INTEGER)) FROM core_outbox"
        "  WHERE entity IN :emitted), 0))"
    ).bindparams(sa.bindparam("audited", expanding=True), sa.bindparam("emitted", expanding=True))
    return int(conn.execute(highest, {"audited": audited, "emitted": emitted}).scalar_one())


def downgrade() -> None:
    # The tables stay AUTOINCREMENT: core_0009's code works either way, and reusing
    # ids again would bring the confusion back.
    pass
