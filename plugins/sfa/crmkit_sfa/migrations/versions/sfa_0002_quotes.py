"""Add products, price lists, quotations and sales orders.

Revision ID: sfa_0002
Revises: sfa_0001
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "sfa_0002"
down_revision = "sfa_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
