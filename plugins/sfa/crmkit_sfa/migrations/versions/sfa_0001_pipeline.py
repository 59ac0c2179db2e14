"""Add opportunities, pipelines and activities.

Revision ID: sfa_0001
Revises: (none: the base of the sfa branch)
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "sfa_0001"
down_revision = None
branch_labels = ("sfa",)
depends_on = "core"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
