"""A partner's organisation party: merged into a duplicate, the partner follows; exported, it
names the partner; erased, refused while the partner exists, nothing erased."""

from __future__ import annotations

import pytest
from crmkit_dms.partners.model import get_partner
from sqlalchemy import select

from crmkit import ConflictError, Crm, erase_party, export_party, merge_parties, party_table
from crmkit.testing import add_party

from .conftest import Dealers


def test_merge_moves_the_partner_to_the_survivor(crm: Crm, dealers: Dealers) -> None:
    with crm.read() as conn:
        merged = get_partner(conn, dealers.north)
    assert merged is not None
    survivor = add_party(crm, "customer", kind="organisation", organisation_name="Nord GmbH")
    with crm.transaction() as tx:
        merge_parties(tx, survivor, merged.party_id)
    with crm.read() as conn:
        moved = get_partner(conn, dealers.north)
    assert moved is not None and moved.party_id == survivor


def test_merging_two_partners_organisations_is_refused(crm: Crm, dealers: Dealers) -> None:
    with crm.read() as conn:
        north, south = get_partner(conn, dealers.north), get_partner(conn, dealers.south)
    assert north is not None and south is not None
    with pytest.raises(ConflictError), crm.transaction() as tx:
        merge_parties(tx, north.party_id, south.party_id)
    with crm.read() as conn:
        assert conn.execute(
            select(party_table.c.id).where(party_table.c.id == south.party_id)
        ).first()


def test_export_names_the_partner_and_erasure_is_refused(crm: Crm, dealers: Dealers) -> None:
    with crm.read() as conn:
        north = get_partner(conn, dealers.north)
        assert north is not None
        document = export_party(conn, crm.host, north.party_id)
    assert document["dms"]["partner"]["code"] == "north"
    with pytest.raises(ConflictError), crm.transaction() as tx:
        erase_party(tx, north.party_id)
    with crm.read() as conn:
        assert get_partner(conn, dealers.north) is not None
