"""``crmkit dms partners`` and ``crmkit dms partner-user``."""

from __future__ import annotations

from crmkit_dms.partners.model import partner_of_user

from crmkit import Crm
from crmkit.testing import add_user, invoke

from .conftest import Dealers


def test_list_and_link_partner_users(crm: Crm, dealers: Dealers) -> None:
    listed = invoke(crm, "dms", "partners")
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].split("\t")[:4] == ["north", "dealer", "active", "audi,vw"]
    paul = add_user(crm, "paul", "partner")
    linked = invoke(crm, "dms", "partner-user", "south", "paul")
    assert linked.exit_code == 0, linked.output
    with crm.read() as conn:
        assert partner_of_user(conn, paul.user_id or 0) == dealers.south
    staff = add_user(crm, "stella", "sales")
    refused = invoke(crm, "dms", "partner-user", "south", "stella")
    assert refused.exit_code != 0 and "partner" in refused.output
    assert invoke(crm, "dms", "partner-user", "nowhere", "paul").exit_code != 0
    assert invoke(crm, "dms", "partner-user", "south", "paul", "--remove").exit_code == 0
    with crm.read() as conn:
        assert partner_of_user(conn, paul.user_id or 0) is None
        assert partner_of_user(conn, staff.user_id or 0) is None
