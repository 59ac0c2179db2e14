"""Never reuse an id on SQLite: every table with a surrogate id becomes AUTOINCREMENT.

Without AUTOINCREMENT, SQLite gives a new row the highest rowid plus one, so the id
of a deleted newest row (an activity of an erased party, a removed quotation line)
went to the next row, and events, the audit trail, alerts and URLs naming that id
then spoke of two records. Each table is copied with every row and id; SQLite
starts counting after the highest id kept. PostgreSQL's sequences never reuse ids:
nothing changes there.

Revision ID: sfa_0006
Revises: sfa_0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "sfa_0006"
down_revision = "sfa_0005"
branch_labels = None
depends_on = None

TABLES = (
    "sfa_opportunity",
    "sfa_stage_change",
    "sfa_activity",
    "sfa_product",
    "sfa_price_list",
    "sfa_price_list_item",
    "sfa_quotation",
    "sfa_quotation_line",
    "sfa_order",
    "sfa_order_line",
    "sfa_alert",
    "sfa_target",
    "sfa_forecast_snapshot",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass  # the copy under the new declaration is the whole change


def downgrade() -> None:
    # The tables stay AUTOINCREMENT: sfa_0005's code works either way, and reusing
    # ids again would bring the confusion back.
    pass
