<%!
    def operations(rendered):
        """Autogenerate's operations without its "please adjust" markers: a revision reads as written."""
        lines = rendered.splitlines()
        kept = [line for line in lines if not line.lstrip().startswith("# ### ")]
        return "\n".join(kept).strip() or "pass"
%>\
"""${message}

Revision ID: ${up_revision}
% if down_revision:
Revises: ${down_revision | comma,n}
% else:
Revises: (none: the base of the ${", ".join(branch_labels)} branch)
% endif
Create Date: ${create_date}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade() -> None:
    ${operations(upgrades) if upgrades else "pass"}


def downgrade() -> None:
    ${operations(downgrades) if downgrades else "pass"}
