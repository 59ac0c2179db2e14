"""The ``demo`` plugin's hooks: every request acts as the demo's administrator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from crmkit.core.actors import Actor
from crmkit.core.tables import user
from crmkit.demo.data import ADMIN_USERNAME
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from starlette.requests import Request

    from crmkit.app import Crm


@hookimpl
def actor_from_request(app: Crm, request: Request) -> Actor | None:
    with app.read() as conn:
        admin = conn.execute(select(user).where(user.c.username == ADMIN_USERNAME)).first()
    if admin is None:
        return None
    return Actor(
        user_id=admin.id,
        username=admin.username,
        role=admin.role,
        team=admin.team,
        territories=tuple(admin.territories),
    )
