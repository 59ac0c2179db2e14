"""Security hooks: permission checks veto, permission filters narrow list queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Table

from crmkit import SYSTEM, Actor, PermissionDenied, User, hookimpl
from crmkit.app import Crm
from crmkit.core.parties import build_party, create_party, list_parties
from crmkit.core.permissions import is_allowed, require, visible
from crmkit.core.tables import party
from crmkit.core.users import create_user
from crmkit.testing import register_plugin

ADMIN = Actor(user_id=1, username="ada", role="admin")
SALES = Actor(user_id=2, username="sam", role="sales", territories=("north",))


class Policy:
    """Sales may read parties; nobody may merge them; on anything else the policy abstains."""

    @hookimpl
    def permission_check(self, actor: Actor, action: str, resource: Any) -> bool | None:
        if action == "core:party.merge":
            return False
        if action == "core:party.read" and actor.role == "sales":
            return True
        return None


@pytest.mark.parametrize(
    ("actor", "action", "allowed"),
    [
        (SALES, "core:party.read", True),
        (SALES, "core:user.admin", False),  # nobody says yes: silence denies
        (ADMIN, "core:party.write", True),  # the kernel's default lets admins do anything
        (ADMIN, "core:party.merge", False),  # ...unless a plugin vetoes
        (SYSTEM, "core:party.merge", False),
        (SYSTEM, "core:import", True),
    ],
)
def test_hook_permission_check(
    make_crm: Callable[..., Crm], actor: Actor, action: str, allowed: bool
) -> None:
    app = make_crm(plugins=[register_plugin(Policy(), name="policy")], create_tables=False)
    assert is_allowed(app.host, actor, action) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied, match=f"{actor.username} may not {action}"):
            require(app.host, actor, action)


def test_without_plugins_the_kernel_role_matrix_decides(crm: Crm) -> None:
    assert is_allowed(crm.host, ADMIN, "core:user.admin")
    assert is_allowed(crm.host, SYSTEM, "core:user.admin")
    assert is_allowed(crm.host, SALES, "core:party.read")
    assert not is_allowed(crm.host, SALES, "core:user.admin")


class OwnRecords:
    @hookimpl
    def permission_filter(self, actor: Actor, entity_type: str, table: Table) -> Any:
        if actor.role == "admin" or entity_type not in ("prospect", "customer"):
            return None
        return table.c.owner_id == actor.user_id


class NoOrganisations:
    @hookimpl
    def permission_filter(self, actor: Actor, table: Table) -> ColumnElement[bool]:
        return table.c.kind == "person"


def test_hook_permission_filter(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(
        plugins=[
            register_plugin(OwnRecords(), name="own"),
            register_plugin(NoOrganisations(), name="people"),
        ]
    )
    with app.transaction() as tx:
        ada = create_user(tx, User(username="ada", display_name="Ada", role="admin"))
        sam = create_user(tx, User(username="sam", display_name="Sam", role="sales"))
        for owner, data in [
            (sam.id, {"last_name": "Mine"}),
            (ada.id, {"last_name": "Theirs"}),
            (sam.id, {"kind": "organisation", "organisation_name": "Mine Ltd"}),
        ]:
            create_party(tx, build_party("prospect", {**data, "owner_id": owner}, region=None))

    def names(actor: Actor) -> set[str]:
        condition = visible(app.host, actor, "prospect", party)
        with app.engine.connect() as conn:
            return {
                p.display_name for p in list_parties(conn, "prospect", conditions=[condition]).items
            }

    assert names(Actor(user_id=sam.id, username="sam", role="sales")) == {"Mine"}
    assert names(Actor(user_id=ada.id, username="ada", role="admin")) == {"Mine", "Theirs"}


def test_without_plugin_filters_a_role_seeing_every_record_sees_everything(crm: Crm) -> None:
    with crm.transaction() as tx:
        create_party(tx, build_party("prospect", {"last_name": "Berg"}, region=None))
    reader = Actor(user_id=3, username="rita", role="read-only")
    condition = visible(crm.host, reader, "prospect", party)
    with crm.engine.connect() as conn:
        assert len(list_parties(conn, "prospect", conditions=[condition]).items) == 1
