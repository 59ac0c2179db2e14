"""The programme pages: the list with its form, a programme's page with its tiers (members per
tier), rules and rewards, and the forms that add, change and retire them; a refused form
shows what was typed and why, having stored nothing."""

from __future__ import annotations

import re
from typing import Any

from crmkit_loyalty.ledger.service import enrol
from crmkit_loyalty.programmes.service import list_programmes, rewards_of, rules_of, tiers_of

from crmkit import Crm

PROGRAMME_FORM = {
    "name": "Acme Rewards",
    "description": "",
    "currency": "EUR",
    "points_expire_months": "24",
    "qualification_months": "12",
    "downgrade": "one_step",
    "auto_enrol": "on",
}


def created(client: Any) -> int:
    made = client.post("/p/loyalty/page/programmes", data=PROGRAMME_FORM, follow_redirects=False)
    assert made.status_code == 303, made.text
    found = re.fullmatch(r"/p/loyalty/page/programmes/([0-9]+)", made.headers["location"])
    assert found is not None
    return int(found[1])


def test_the_menu_and_list_lead_to_a_programme_created_by_form(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    home = client.get("/")
    assert 'href="/p/loyalty/page/programmes"' in home.text
    empty = client.get("/p/loyalty/page/programmes")
    assert empty.status_code == 200 and "No loyalty programme yet" in empty.text
    assert "Create programme" in empty.text
    programme_id = created(client)
    listed = client.get("/p/loyalty/page/programmes")
    assert f'href="/p/loyalty/page/programmes/{programme_id}"' in listed.text

    reader = client_as(staff.agent).get("/p/loyalty/page/programmes")
    assert reader.status_code == 200 and "Acme Rewards" in reader.text
    assert "Create programme" not in reader.text
    page = client_as(staff.agent).get(f"/p/loyalty/page/programmes/{programme_id}")
    assert page.status_code == 200 and "Add a tier" not in page.text
    posted = client_as(staff.agent).post(
        f"/p/loyalty/page/programmes/{programme_id}/tiers",
        data={"name": "Gold", "rank": "1", "threshold": "10", "multiplier": "1"},
    )
    assert posted.status_code == 403


def test_a_refused_programme_form_shows_what_was_typed_and_stores_nothing(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    refused = client.post(
        "/p/loyalty/page/programmes", data={**PROGRAMME_FORM, "qualification_months": "99"}
    )
    assert refused.status_code == 422
    assert 'value="99"' in refused.text and 'aria-invalid="true"' in refused.text
    with crm.read() as conn:
        assert list_programmes(conn) == []


def test_tiers_rules_and_rewards_are_added_changed_and_retired_on_the_programme_page(
    crm: Crm, staff: Any, client_as: Any, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    programme_id = created(client)
    base = f"/p/loyalty/page/programmes/{programme_id}"
    tier = client.post(
        f"{base}/tiers",
        data={"name": "Gold", "rank": "1", "threshold": "5000", "multiplier": "1.5"},
        follow_redirects=False,
    )
    assert tier.status_code == 303 and tier.headers["location"] == f"{base}#tiers"
    rule = client.post(
        f"{base}/rules",
        data={"kind": "spend", "name": "1 per euro", "points_per_unit": "1", "active": "on"},
        follow_redirects=False,
    )
    assert rule.status_code == 303
    reward = client.post(
        f"{base}/rewards",
        data={
            "name": "Lounge",
            "points": "4000",
            "min_tier_rank": "1",
            "stock": "20",
            "active": "on",
        },
        follow_redirects=False,
    )
    assert reward.status_code == 303
    party_id = new_party()
    with crm.transaction() as tx:
        enrol(tx, programme_id, party_id)

    page = client.get(base)
    assert page.status_code == 200
    assert "Gold" in page.text and "\u00d7 1.5" in page.text and "1 per EUR" in page.text
    assert "Gold and above" in page.text
    with crm.read() as conn:
        [entry, _] = tiers_of(conn, programme_id)
        [spend] = rules_of(conn, programme_id)
        [lounge] = rewards_of(conn, programme_id)
    # The entry tier's row: rank, name, threshold, multiplier, and its one member.
    row = r'<td>Member</td>\s*<td class="number">0</td>\s*<td class="number">\u00d7 1</td>'
    assert re.search(row + r'\s*<td class="number">1</td>', page.text)

    deactivated = client.post(
        f"{base}/rules/{spend.id}/active", data={"version": "1"}, follow_redirects=False
    )
    assert deactivated.status_code == 303
    stale = client.post(
        f"{base}/rewards/{lounge.id}",
        data={"version": "2", "name": "Lounge", "points": "4000", "min_tier_rank": "1"},
    )
    assert stale.status_code == 409
    changed = client.post(
        f"{base}/rewards/{lounge.id}",
        data={
            "version": "1",
            "name": "Lounge",
            "points": "4500",
            "min_tier_rank": "1",
            "stock": "",
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303
    renamed = client.post(
        f"{base}/tiers/{entry.id}",
        data={"version": "1", "name": "Blue", "multiplier": "1"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    with crm.read() as conn:
        assert [t.name for t in tiers_of(conn, programme_id)] == ["Blue", "Gold"]
        assert not rules_of(conn, programme_id)[0].active
        [after] = rewards_of(conn, programme_id)
    assert (after.points, after.stock, after.active) == (4500, None, False)


def test_a_refused_tier_form_opens_again_with_the_reason(
    crm: Crm, staff: Any, client_as: Any
) -> None:
    client = client_as(staff.marketer)
    programme_id = created(client)
    base = f"/p/loyalty/page/programmes/{programme_id}"
    refused = client.post(
        f"{base}/tiers", data={"name": "Gold", "rank": "1", "threshold": "0", "multiplier": "1"}
    )
    assert refused.status_code == 422
    assert 'id="new_tier-threshold"' in refused.text
    assert re.search(
        r'id="new_tier-threshold" name="threshold" type="number" value="0" aria-invalid="true"',
        refused.text,
    )
    with crm.read() as conn:
        assert len(tiers_of(conn, programme_id)) == 1
