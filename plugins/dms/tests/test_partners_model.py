"""The contract the other parts use: which partners may take a lead (region by longest
postcode prefix, brand, active), whose user is whose, and performance per period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from crmkit_dms.partners.model import candidates, get_partner, partner_of_user
from crmkit_dms.partners.performance import performance

from crmkit import Crm, ValidationError, utcnow
from crmkit.testing import add_user

from .conftest import Dealers, OfferMaker, PartyMaker, make_partner


def codes(crm: Crm, country: str, postcode: str, brand: str | None) -> list[str]:
    with crm.read() as conn:
        return [p.code for p in candidates(conn, country=country, postcode=postcode, brand=brand)]


def test_a_kept_network_follows_every_change_of_a_partner(crm: Crm, dealers: Dealers) -> None:
    from crmkit_dms.partners.service import update_partner

    memo: dict[str, object] = {}

    def kept_codes(postcode: str, brand: str) -> list[str]:
        with crm.read() as conn:
            found = candidates(conn, country="DE", postcode=postcode, brand=brand, memo=memo)
            return [p.code for p in found]

    assert kept_codes("80331", "VW") == ["south"]
    with crm.transaction() as tx:
        south = get_partner(tx.conn, dealers.south)
        assert south is not None
        update_partner(
            tx,
            dealers.south,
            {"brands": ["Skoda"], "regions": [{"country": "DE", "postcode_prefix": "80"}]},
            south.version,
        )
    assert kept_codes("80331", "VW") == []
    assert kept_codes("80331", "Skoda") == ["south"]
    make_partner(
        crm,
        code="muenchen",
        name="München",
        kind="dealer",
        regions=[{"country": "DE", "postcode_prefix": "803"}],
    )
    assert kept_codes("80331", "Skoda") == ["muenchen"]
    with crm.transaction() as tx:
        north = get_partner(tx.conn, dealers.north)
        assert north is not None
        update_partner(tx, dealers.north, {"active": False}, north.version)
    assert kept_codes("10115", "VW") == []


def test_longest_prefix_wins(crm: Crm, dealers: Dealers) -> None:
    make_partner(
        crm,
        code="berlin-mitte",
        name="Mitte",
        kind="dealer",
        brands=["VW"],
        regions=[{"country": "DE", "postcode_prefix": "101"}],
    )
    make_partner(
        crm,
        code="germany",
        name="Importer",
        kind="distributor",
        regions=[{"country": "DE", "postcode_prefix": ""}],
    )
    assert codes(crm, "DE", "10115", "VW") == ["berlin-mitte"]
    assert codes(crm, "de", "10 999", "vw") == ["north"]  # DE-10 beats DE-1 and DE
    assert codes(crm, "DE", "19000", "Audi") == ["north"]
    assert codes(crm, "DE", "80331", "VW") == ["south"]
    # south does not sell Audi: the whole-country distributor (no brands: every brand) does.
    assert codes(crm, "DE", "80331", "Audi") == ["germany"]
    assert codes(crm, "AT", "1010", "VW") == []
    with crm.read() as conn:
        found = candidates(conn, country="DE", postcode="10115", brand=None)
    assert [p.code for p in found] == ["berlin-mitte"] and found[0].matched_prefix_length == 3
    assert found[0].brands == ("vw",)


def test_ties_are_all_returned_by_code_and_inactive_partners_never(
    crm: Crm, dealers: Dealers
) -> None:
    twin = make_partner(
        crm,
        code="a-twin",
        name="Twin",
        kind="agent",
        brands=["VW"],
        regions=[{"country": "DE", "postcode_prefix": "8"}],
        active=False,
    )
    assert codes(crm, "DE", "80331", "VW") == ["south"]
    from crmkit_dms.partners.service import update_partner

    with crm.transaction() as tx:
        update_partner(tx, twin, {"active": True}, 1)
    assert codes(crm, "DE", "80331", "VW") == ["a-twin", "south"]


def test_partner_of_user(crm: Crm, dealers: Dealers) -> None:
    staff = add_user(crm, "stan", "sales")
    with crm.read() as conn:
        assert partner_of_user(conn, dealers.nora.user_id or 0) == dealers.north
        assert partner_of_user(conn, staff.user_id or 0) is None
        assert get_partner(conn, dealers.south) is not None
        assert get_partner(conn, 999) is None


def test_performance_per_period(
    crm: Crm, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    rows = [
        # offered, state, seconds to accept, seconds to first contact
        (monday, "sold", 600, 3600),
        (monday + timedelta(hours=1), "lost", 1200, 7200),
        (monday + timedelta(days=1), "declined", None, None),
        (monday + timedelta(days=2), "expired", None, None),
        (monday + timedelta(days=8), "accepted", 300, None),
    ]
    for offered_at, state, accept, contact in rows:
        offer(
            new_party("prospect"),
            dealers.north,
            state,
            offered_at=offered_at,
            accepted_at=None if accept is None else offered_at + timedelta(seconds=accept),
            first_contact_at=None if contact is None else offered_at + timedelta(seconds=contact),
        )
    offer(new_party("prospect"), dealers.south, "sold", offered_at=monday, accepted_at=monday)
    end = monday + timedelta(days=14)
    with crm.read() as conn:
        weeks = performance(conn, dealers.north, "week", monday, end)
        days = performance(conn, dealers.north, "day", monday, end)
        everyone = performance(conn, None, "month", monday, end)
    first, second = weeks
    assert first.start == date(2026, 11, 2) and second.start == date(2026, 11, 9)
    assert (first.received, first.accepted, first.declined, first.expired) == (4, 2, 1, 1)
    assert (first.sold, first.lost) == (1, 1)
    assert first.median_seconds_to_accept == 900
    assert first.median_seconds_to_first_contact == 5400
    assert first.conversion == 0.5
    assert (second.received, second.accepted, second.conversion) == (1, 1, 0.0)
    assert [d.received for d in days] == [2, 1, 1, 1]
    assert [(p.partner_id, p.received) for p in everyone] == [
        (dealers.north, 5),
        (dealers.south, 1),
    ]
    with crm.read() as conn, pytest.raises(ValidationError) as refused:
        performance(conn, None, "year", monday, end)
    assert refused.value.field == "period"


def test_performance_over_http(
    client_as: object, dealers: Dealers, new_party: PartyMaker, offer: OfferMaker
) -> None:
    offer(new_party("prospect"), dealers.north, "accepted", accepted_at=utcnow())
    admin = client_as(dealers.admin)  # type: ignore[operator]
    url = f"/p/dms/partners/{dealers.north}/performance"
    answer = admin.get(url, params={"period": "month"})
    assert answer.status_code == 200, answer.text
    assert [(f["received"], f["accepted"]) for f in answer.json()] == [(1, 1)]
    bad = admin.get(url, params={"period": "year"})
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    bad = admin.get(url, params={"start": "2026-02-30"})
    assert bad.status_code == 422 and bad.json()["field"] == "start"
    assert admin.get("/p/dms/partners/999/performance").status_code == 404
