"""The base of the erp_sap branch: the connection part keeps no tables of its own.

Revision ID: erp_sap_0001
Revises: (none: the base of the branch)
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "erp_sap_0001"
down_revision = None
branch_labels = ("erp_sap",)
depends_on = ("core",)


def upgrade() -> None:
    """Nothing: the connection part reads its systems from the settings."""


def downgrade() -> None:
    """Nothing to remove."""
