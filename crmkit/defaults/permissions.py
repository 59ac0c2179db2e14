"""Default permissions: the system and admins may do anything; other roles what was granted them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmkit.core.permissions import Permission
from crmkit.hooks.markers import hookimpl

if TYPE_CHECKING:
    from crmkit.core.actors import Actor

KERNEL_PERMISSIONS = [
    Permission(
        "core:party.read",
        "See prospects and customers",
        ("admin", "manager", "sales", "service", "marketing", "read-only"),
    ),
    Permission(
        "core:party.write",
        "Create and edit prospects and customers",
        ("admin", "manager", "sales", "service", "marketing"),
    ),
    Permission(
        "core:party.convert", "Convert a prospect into a customer", ("admin", "manager", "sales")
    ),
    Permission("core:party.merge", "Merge duplicate parties", ("admin", "manager")),
    Permission(
        "core:interaction.read",
        "See timelines",
        ("admin", "manager", "sales", "service", "marketing", "read-only"),
    ),
    Permission(
        "core:interaction.write",
        "Log interactions",
        ("admin", "manager", "sales", "service", "marketing"),
    ),
    Permission("core:user.admin", "Manage users and tokens", ("admin",)),
    Permission("core:import", "Import and export data", ("admin", "manager")),
]


@hookimpl
def register_permissions() -> list[Permission]:
    return KERNEL_PERMISSIONS


@hookimpl(trylast=True)
def permission_check(actor: Actor, action: str, resource: Any) -> bool | None:
    if actor.is_system or actor.role == "admin":
        return True
    return None
