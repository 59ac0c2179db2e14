"""The loyalty panel on a party's page: memberships with number, tier, balance, points
expiring soon and the latest entries, escaped; enrolment for whoever may; nothing for an
actor without ``loyalty:member.read``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from crmkit_loyalty.earning.panel import panels
from crmkit_loyalty.ledger.service import earn
from sqlalchemy import event

from crmkit import Actor, Crm, get_party, utcnow
from crmkit.testing import add_user

if TYPE_CHECKING:
    from conftest import Loyalty, PartyMaker, Staff

PARIS = [{"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}]


def earn_some(crm: Crm, member_id: int, *points: int, description: str | None = None) -> None:
    with crm.transaction() as tx:
        for number, amount in enumerate(points):
            earn(
                tx,
                member_id,
                amount,
                source="test",
                reference=f"r{number}",
                description=description,
            )


def panel_of(page: str) -> str:
    found = re.search(r"<h2>Loyalty</h2>(.*?)</section>", page, re.S)
    assert found is not None, "no loyalty panel"
    return found.group(1)


def test_a_member_is_shown_with_tier_balance_expiring_points_and_latest_entries(
    loyalty: Loyalty, new_party: PartyMaker, client_as: Any
) -> None:
    club = loyalty.programme("<b>Club & Co</b>", points_expire_months=1)
    forever = loyalty.programme("Forever")
    ada = new_party()
    in_club, in_forever = loyalty.enrol(club, ada), loyalty.enrol(forever, ada)
    earn_some(loyalty.crm, in_club, 10, 20, 30, 40, description="<script>x</script>")
    earn_some(loyalty.crm, in_forever, 7)
    reader = client_as(add_user(loyalty.crm, "rita", "read-only"))

    page = reader.get(f"/parties/{ada}")

    assert page.status_code == 200
    shown = panel_of(page.text)
    assert "&lt;b&gt;Club &amp; Co&lt;/b&gt;" in shown and "<b>Club" not in shown
    assert "<script>" not in shown and "&lt;script&gt;x&lt;/script&gt;" in shown
    number = loyalty.member(club, ada).number
    assert f'<a href="/p/loyalty/page/members/{in_club}">{number}</a>' in shown
    # By programme name: "<b>Club & Co</b>" before "Forever".
    club_part, forever_part = shown.split("<h3>Forever</h3>")
    assert "<dd>100 points</dd>" in club_part
    # All of it was earned now and expires in a month: within the next 90 days.
    assert "<dt>Expiring within 90 days</dt><dd>100 points</dd>" in club_part
    assert "<dt>Expiring within 90 days</dt><dd>0 points</dd>" in forever_part
    assert f"<dt>Tier</dt><dd>Member since {utcnow().date()}</dd>" in club_part
    # The latest three entries only.
    assert [int(p) for p in re.findall(r"earn \+(\d+)", club_part)] == [40, 30, 20]
    assert "Enrol" not in shown


def test_a_customer_in_no_programme_may_be_enrolled_by_who_may(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    club = loyalty.programme("Club")
    loyalty.programme("Closed club", status="closed")
    ada = new_party()
    prospect = new_party("prospect", first_name="Pia")
    manager = client_as(staff.manager)
    reader = client_as(add_user(loyalty.crm, "rita", "read-only"))

    offered = panel_of(manager.get(f"/parties/{ada}").text)
    assert "Not a member." in offered
    link = f"/p/loyalty/page/parties/{ada}/enrol?programme_id={club}"
    assert f'href="{link}"' in offered and "Closed club" not in offered
    assert "Enrol" not in panel_of(reader.get(f"/parties/{ada}").text)
    assert "Enrol" not in panel_of(manager.get(f"/parties/{prospect}").text)

    form = manager.get(link)
    assert form.status_code == 200 and 'name="programme_id"' in form.text
    assert reader.get(link).status_code == 403
    assert manager.get(f"/p/loyalty/page/parties/{prospect}/enrol").status_code == 404
    refused = manager.post(
        f"/p/loyalty/page/parties/{ada}/enrol", data={"programme_id": "999"}, follow_redirects=False
    )
    assert refused.status_code == 422 and loyalty.member(club, ada) is None

    done = manager.post(
        f"/p/loyalty/page/parties/{ada}/enrol",
        data={"programme_id": str(club)},
        follow_redirects=False,
    )

    joined = loyalty.member(club, ada)
    assert joined is not None
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/p/loyalty/page/members/{joined.id}",
    )
    assert "Not a member." not in panel_of(manager.get(f"/parties/{ada}").text)


def test_no_panel_without_the_permission_and_no_page_for_who_does_not_see_the_party(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff, client_as: Any
) -> None:
    club = loyalty.programme("Club")
    ada = new_party()
    loyalty.enrol(club, ada)
    with loyalty.crm.read() as conn:
        party = get_party(conn, ada)
    stranger = Actor(user_id=None, username="guest", role="guest")

    assert panels(loyalty.crm, stranger, party) == []
    assert client_as(staff.outsider).get(f"/parties/{ada}").status_code == 404


def test_the_panel_takes_three_queries_however_many_memberships(
    loyalty: Loyalty, new_party: PartyMaker, staff: Staff
) -> None:
    ada = new_party()
    for name in ("One", "Two", "Three", "Four"):
        member_id = loyalty.enrol(loyalty.programme(name), ada)
        earn_some(loyalty.crm, member_id, 5, 6, 7, 8)
    loyalty.programme("Five")
    with loyalty.crm.read() as conn:
        party = get_party(conn, ada)
    [panel] = panels(loyalty.crm, staff.manager, party)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = loyalty.crm.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with loyalty.crm.read() as conn:
            body = panel.render(conn)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert body.count('class="loyalty-member"') == 4
    assert "Enrol in Five" in body
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 3
