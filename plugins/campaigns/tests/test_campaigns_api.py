"""The campaign routes: definitions validated field by field, actions refused from wrong states."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_campaigns.campaigns.tables import campaign, member, variant
from crmkit_campaigns.campaigns.targeting import assign
from sqlalchemy import select

from crmkit import Crm, party_table

BASE = "/p/campaigns/campaigns"
EMAIL = {
    "channel": "email",
    "subject": "Hi {{ party.first_name }}",
    "text": "Spring {{ campaign.name }}",
}


def body(**data: Any) -> dict[str, Any]:
    return {"name": "Spring", "purpose": "marketing", "variants": [EMAIL], **data}


def stored_counts(crm: Crm) -> tuple[int, int, int]:
    with crm.read() as conn:
        return tuple(  # type: ignore[return-value]
            len(conn.execute(select(t.c.id)).all()) for t in (campaign, variant, member)
        )


def test_a_marketer_defines_a_campaign_and_reads_it_back(client_as: Any, staff: Any) -> None:
    client = client_as(staff.marketer)
    ab = [
        {**EMAIL, "split": 50},
        {"channel": "email", "subject": "Hey", "text": "B {{ member_id }}", "split": 50},
        {"channel": "sms", "text": "Spring, {{ party.first_name }}"},
    ]

    made = client.post(
        BASE,
        json=body(
            variants=ab,
            test_share=20,
            winner_metric="opened",
            decide_after_hours=4,
            quiet_start="21:00",
            quiet_end="08:00",
            time_zone="Europe/Berlin",
            throttle_per_hour=500,
            budget="1500.50",
            currency="EUR",
            starts_at="2026-12-10T09:00:00+01:00",
        ),
    )

    assert made.status_code == 201, made.text
    read = client.get(f"{BASE}/{made.json()['id']}").json()
    assert read["status"] == "draft" and read["version"] == 1
    assert [(v["channel"], v["label"], v["split"]) for v in read["variants"]] == [
        ("email", "A", 50),
        ("email", "B", 50),
        ("sms", "A", 100),
    ]
    assert read["test_share"] == 20 and read["winner_metric"] == "opened"
    assert read["starts_at"].startswith("2026-12-10T08:00:00")
    assert read["owner_id"] == staff.marketer.user_id
    assert [c["id"] for c in client.get(BASE).json()] == [read["id"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"purpose": "Marketing!"}, "purpose"),
        ({"variants": []}, "variants"),
        ({"variants": [{"channel": "fax", "text": "x"}]}, "variants[0].channel"),
        (
            {"variants": [{"channel": "email", "subject": "{{ party.nope }}", "text": "x"}]},
            "variants[0].subject",
        ),
        (
            {"variants": [{"channel": "email", "subject": "Hi", "text": "{% if %}"}]},
            "variants[0].text",
        ),
        ({"variants": [{"channel": "sms", "text": "x", "subject": "y"}]}, "variants[0].subject"),
        (
            {"variants": [{**EMAIL, "split": 60}, {**EMAIL, "label": "B", "split": 30}]},
            "variants[1].split",
        ),
        (
            {"variants": [{**EMAIL, "split": 50}, {**EMAIL, "split": 50}], "test_share": 20},
            "winner_metric",
        ),
        ({"test_share": 20}, "test_share"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"quiet_start": "21:00"}, "quiet_end"),
        ({"quiet_start": "25:00", "quiet_end": "08:00"}, "quiet_start"),
        (
            {"starts_at": "2026-12-10T09:00:00+01:00", "ends_at": "2026-12-09T09:00:00+01:00"},
            "ends_at",
        ),
        ({"budget": "-1"}, "budget"),
        ({"currency": "euro"}, "currency"),
        ({"throttle_per_hour": 0}, "throttle_per_hour"),
        ({"owner_id": 999}, "owner_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field_and_nothing_is_stored(
    client_as: Any, staff: Any, crm: Crm, data: dict[str, Any], field: str
) -> None:
    answer = client_as(staff.marketer).post(BASE, json=body(**data))

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert stored_counts(crm) == (0, 0, 0)


def test_a_stale_version_is_a_conflict_and_a_draft_only_field_is_refused_once_started(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    made = client.post(BASE, json=body()).json()
    changed = client.patch(f"{BASE}/{made['id']}", json={"name": "Summer", "version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(f"{BASE}/{made['id']}", json={"name": "Autumn", "version": 1})
    assert stale.status_code == 409
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            made["id"],
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )
    assert client.post(f"{BASE}/{made['id']}/start").status_code == 200

    refused = client.patch(f"{BASE}/{made['id']}", json={"purpose": "newsletter"})
    allowed = client.patch(f"{BASE}/{made['id']}", json={"throttle_per_hour": 100})

    assert refused.status_code == 422 and refused.json()["field"] == "purpose"
    assert allowed.status_code == 200 and allowed.json()["throttle_per_hour"] == 100
    assert client.get(f"{BASE}/{made['id']}").json()["purpose"] == "marketing"


def test_actions_from_a_wrong_state_are_conflicts(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    made = client.post(BASE, json=body()).json()
    url = f"{BASE}/{made['id']}"
    assert client.post(f"{url}/pause").status_code == 409
    assert client.post(f"{url}/resume").status_code == 409
    empty = client.post(f"{url}/start")
    assert empty.status_code == 422 and empty.json()["field"] == "target"
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            made["id"],
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )

    assert client.post(f"{url}/start").json()["status"] == "sending"
    assert client.post(f"{url}/start").status_code == 409
    assert client.post(f"{url}/pause").json()["status"] == "paused"
    assert client.post(f"{url}/resume").json()["status"] == "sending"
    assert client.post(f"{url}/cancel").json()["status"] == "cancelled"
    assert client.post(f"{url}/resume").status_code == 409
    assert client.delete(url).status_code == 409
    counts = client.get(f"{url}/counts").json()
    assert counts["by_status"]["cancelled"] == 1 and counts["total"] == 1


def test_a_draft_is_deleted_with_its_members_and_others_may_only_read(
    client_as: Any, staff: Any, new_user: Any, crm: Crm, new_party: Any
) -> None:
    made = client_as(staff.marketer).post(BASE, json=body()).json()
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            made["id"],
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )
    seller = client_as(new_user("sam", "sales"))

    assert seller.get(f"{BASE}/{made['id']}").status_code == 200
    assert seller.post(BASE, json=body()).status_code == 403
    assert seller.post(f"{BASE}/{made['id']}/start").status_code == 403
    assert client_as(staff.marketer).delete(f"{BASE}/{made['id']}").status_code == 204
    assert client_as(staff.marketer).get(f"{BASE}/{made['id']}").status_code == 404
    assert stored_counts(crm) == (0, 0, 0)


def test_members_are_listed_only_for_parties_the_reader_sees(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    in_berlin = new_party()
    in_paris = new_party(
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ]
    )
    made = client_as(staff.marketer).post(BASE, json=body()).json()
    with crm.transaction(staff.marketer) as tx:
        assign(tx, made["id"], select(party_table.c.id.label("party_id")))

    everyone = client_as(staff.marketer).get(f"{BASE}/{made['id']}/members").json()
    seller = client_as(staff.outsider).get(f"{BASE}/{made['id']}/members").json()
    counted = client_as(staff.outsider).get(f"{BASE}/{made['id']}/counts").json()

    assert {m["party_id"] for m in everyone} == {in_berlin, in_paris}
    assert [m["party_id"] for m in seller] == [in_paris]
    assert counted["total"] == 1


def test_starting_with_a_template_that_does_not_exist_is_refused_naming_it(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    made = client.post(BASE, json=body(variants=[{"channel": "email", "template": "nope"}])).json()
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            made["id"],
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )

    answer = client.post(f"{BASE}/{made['id']}/start")

    assert answer.status_code == 422 and answer.json()["field"] == "variants[0].template"
    assert client.get(f"{BASE}/{made['id']}").json()["status"] == "draft"


def test_changing_a_drafts_messages_drops_its_members_to_be_targeted_again(
    client_as: Any, staff: Any, crm: Crm, new_party: Any
) -> None:
    client = client_as(staff.marketer)
    made = client.post(BASE, json=body()).json()
    party = new_party()
    with crm.transaction(staff.marketer) as tx:
        assign(
            tx,
            made["id"],
            select(party_table.c.id.label("party_id")).where(party_table.c.id == party),
        )

    renamed = client.patch(f"{BASE}/{made['id']}", json={"name": "Summer"})
    assert renamed.status_code == 200 and stored_counts(crm)[2] == 1
    changed = client.patch(f"{BASE}/{made['id']}", json={"variants": [{**EMAIL, "text": "New"}]})

    assert changed.status_code == 200
    assert stored_counts(crm)[2] == 0
    assert client.post(f"{BASE}/{made['id']}/start").json()["field"] == "target"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{% for i in range(100000000) %}x{% endfor %}", "does not render"),
        ('{{ "x" * 10**8 }}', "more than"),
        ('{{ "x" * 10**9 }}', "does not render"),
        ("{{ 10 ** 100000000 }}", "does not render"),
        ("{{ 2 ** 100000000 }}", "does not render"),
        ("{{ ('x' * 999999) | indent(999999) }}", "does not render"),
        ("{{ range(99999) | join('y' * 9999) }}", "does not render"),
        ("{{ ('x' * 99999) | replace('', 'y' * 999) }}", "does not render"),
        ("{{ '{:>999999999}'.format(1) }}", "does not render"),
        ("{{ '%999999999s' % 1 }}", "does not render"),
        ("{% set ns = namespace(s='x') %}{{ ns.s }}", "does not render"),
        ('{{ ["x"] * 100000000 }}', "does not render"),
        ("{% for i in range(99999) %}{{ 'y' * 99 }}{% endfor %}", "more than"),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "within",
        ),
    ],
)
def test_a_text_that_would_render_without_bound_is_refused(
    client_as: Any, staff: Any, crm: Crm, text: str, reason: str
) -> None:
    # Refused before it is rendered whole: rendering any of these would take minutes or
    # gigabytes, which is how a regression would show here.
    answer = client_as(staff.marketer).post(
        BASE, json=body(variants=[{"channel": "email", "subject": "Hi", "text": text}])
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "variants[0].text"
    assert reason in answer.json()["detail"]
    assert stored_counts(crm) == (0, 0, 0)


@pytest.mark.parametrize(
    ("variant", "field"),
    [
        ({"channel": "email", "subject": "Hi", "text": "Call {{ party.phone }}"}, "text"),
        ({"channel": "email", "subject": "{{ party.phone }}", "text": "Hi"}, "subject"),
        ({"channel": "sms", "text": "Mail {{ party.email }}"}, "text"),
        ({"channel": "sms", "text": "Stop: {{ unsubscribe_url }}"}, "text"),
        ({"channel": "sms", "body": "Stop: {{ unsubscribe_url }}"}, "text"),
    ],
)
def test_a_text_using_a_variable_its_channel_does_not_give_is_refused(
    client_as: Any, staff: Any, crm: Crm, variant: dict[str, Any], field: str
) -> None:
    answer = client_as(staff.marketer).post(BASE, json=body(variants=[variant]))

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == f"variants[0].{field}"
    assert stored_counts(crm) == (0, 0, 0)


def test_a_long_text_with_filters_and_loops_of_sane_size_is_accepted(
    client_as: Any, staff: Any
) -> None:
    text = (
        "{% for i in range(50) %}{{ loop.index }}. {{ party.first_name|upper|center(30) }}\n"
        "{% endfor %}{{ ('Spring sale ' * 200)|wordwrap(72)|indent(2) }}"
        "{{ ['a', 'b', 'c']|join(', ') }} {{ '%05d'|format(42) }} {{ 2 ** 64 }}\n" + "x" * 50_000
    )
    variant = {"channel": "email", "subject": "Hi", "text": text}
    answer = client_as(staff.marketer).post(BASE, json=body(variants=[variant]))
    assert answer.status_code == 201, answer.text


def test_each_channel_gets_its_own_variables(client_as: Any, staff: Any) -> None:
    variants = [
        {
            "channel": "email",
            "subject": "Hi {{ party.first_name }}",
            "text": "{{ party.email }} {{ unsubscribe_url }} {{ response_url }} {{ member_id }}",
        },
        {"channel": "sms", "text": "{{ party.phone }} {{ response_url }} {{ campaign.name }}"},
    ]
    answer = client_as(staff.marketer).post(BASE, json=body(variants=variants))
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "XAU", "QQQ"])
def test_a_currency_that_is_not_iso_4217_is_refused(
    client_as: Any, staff: Any, crm: Crm, code: str
) -> None:
    answer = client_as(staff.marketer).post(BASE, json=body(currency=code))
    assert answer.status_code == 422 and answer.json()["field"] == "currency"
    assert stored_counts(crm) == (0, 0, 0)
