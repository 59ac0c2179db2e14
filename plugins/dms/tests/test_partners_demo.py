"""The demo's dealer network: every German postcode has a dealer for the group's main brand,
and the importer takes every brand everywhere."""

from __future__ import annotations

import random

from crmkit_dms.partners.demo import NETWORK, seed
from crmkit_dms.partners.model import candidates

from crmkit import Crm, utcnow
from crmkit.testing import add_party


def test_the_demo_covers_germany(crm: Crm) -> None:
    for n in range(len(NETWORK)):
        add_party(crm, "customer", kind="organisation", organisation_name=f"Org {n}")
    with crm.transaction() as tx:
        seed(crm, tx.conn, random.Random(7), utcnow())
    with crm.read() as conn:
        for digit in "0123456789":
            found = candidates(conn, country="DE", postcode=f"{digit}1234", brand="VW")
            if digit != "9":
                assert [p.kind for p in found] == ["dealer"], digit
        assert [p.code for p in candidates(conn, country="DE", postcode="91234", brand="VW")] == [
            "import"
        ]
        assert [p.code for p in candidates(conn, country="DE", postcode="91234", brand="SEAT")] == [
            "bayern"
        ]
