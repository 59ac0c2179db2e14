"""Add tasks and notifications: work items for users and messages to them.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
