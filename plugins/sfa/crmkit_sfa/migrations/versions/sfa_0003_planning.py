"""Add notifications of alerts, targets and forecast snapshots.

Revision ID: sfa_0003
Revises: sfa_0002
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "sfa_0003"
down_revision = "sfa_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
