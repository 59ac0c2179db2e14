"""Sends over HTTP: a survey sent to parties named by id, a saved segment or a static list
(the campaigns plugin is loaded here), once per party within the quiet period, only to
parties the sender sees, with consent and an address; refusals name the field and store
nothing."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_channels import delivery_states
from crmkit_surveys.invitations.tables import invitation, send
from sqlalchemy import func, select

from crmkit import Crm, Transaction, record_consent
from crmkit.testing import add_user

SEGMENT = {"all": [{"criterion": "role", "op": "eq", "value": "customer"}]}


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    return make_surveys(with_plugins=("campaigns",))


def invitations_of(crm: Crm, survey_id: int) -> list[Any]:
    with crm.read() as conn:
        return conn.execute(
            select(invitation).where(invitation.c.survey_id == survey_id).order_by(invitation.c.id)
        ).all()


def counts(crm: Crm) -> tuple[int, int]:
    with crm.read() as conn:
        sends = conn.execute(select(func.count()).select_from(send)).scalar_one()
        made = conn.execute(select(func.count()).select_from(invitation)).scalar_one()
    return int(sends), int(made)


def test_a_send_invites_the_parties_with_consent_and_an_address_and_skips_the_others(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    willing = new_party(consent=("feedback",), first_name="Grace")
    german = new_party(consent=("feedback",), emails=["hans@example.org"])
    marketing_only = new_party(consent=("marketing",))
    no_address = new_party(consent=(), emails=[])
    with crm.transaction() as tx:
        record_consent(tx, no_address, "feedback", "email", "granted", source="test")
    client = client_as(staff.marketer)

    answer = client.post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={
            "audience": {"party_ids": [willing, german, marketing_only, no_address]},
            "channel": "email",
            "message": invitation_message,
        },
    )

    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["invited"], made["skipped"], made["status"]) == (2, 2, "sent")
    rows = invitations_of(crm, survey_id)
    assert [(r.party_id, r.status, r.channel, r.send_id) for r in rows] == [
        (willing, "sent", "email", made["id"]),
        (german, "sent", "email", made["id"]),
    ]
    assert all(r.message_ref.startswith("channels.email:") for r in rows)
    with crm.transaction() as tx:
        states = delivery_states(tx, email_ids=[int(r.message_ref.split(":")[1]) for r in rows])
    assert [(m.party_id, m.purpose, m.status) for m in states.messages] == [
        (willing, "feedback", "queued"),
        (german, "feedback", "queued"),
    ]
    listed = client.get(f"/p/surveys/surveys/{survey_id}/sends").json()
    assert [s["id"] for s in listed] == [made["id"]]


def test_a_party_is_invited_once_within_the_quiet_period(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    first = new_party(consent=("feedback",))
    client = client_as(staff.marketer)
    body = {
        "audience": {"party_ids": [first]},
        "channel": "email",
        "message": invitation_message,
    }
    assert client.post(f"/p/surveys/surveys/{survey_id}/sends", json=body).json()["invited"] == 1
    second = new_party(consent=("feedback",), emails=["bob@example.org"])
    body["audience"] = {"party_ids": [first, second, first]}

    again = client.post(f"/p/surveys/surveys/{survey_id}/sends", json=body).json()

    assert (again["invited"], again["skipped"]) == (1, 1)
    assert [r.party_id for r in invitations_of(crm, survey_id)] == [first, second]
    other = publish_survey(crm, name="Another survey")
    elsewhere = client.post(f"/p/surveys/surveys/{other}/sends", json=body).json()
    assert elsewhere["invited"] == 2, "the quiet period is per survey"


def test_without_a_quiet_period_a_second_send_invites_again(
    make_surveys: Any, new_party: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    loud = make_surveys(surveys={"invitations": {"quiet_days": 0}})
    survey_id = publish_survey(loud)
    from crmkit_surveys.invitations.sends import create_send

    with loud.transaction() as tx:
        party = _party(tx)
    body = {"audience": {"party_ids": [party]}, "channel": "email", "message": invitation_message}
    for _ in range(2):
        with loud.transaction() as tx:
            assert create_send(tx, survey_id, body).invited == 1
    assert len(invitations_of(loud, survey_id)) == 2


def _party(tx: Transaction) -> int:
    from crmkit import build_party, create_party

    made = create_party(
        tx,
        build_party(
            "customer",
            {"kind": "person", "last_name": "Noether", "emails": ["emmy@example.org"]},
            region="DE",
        ),
    )
    assert made.id is not None
    record_consent(tx, made.id, "feedback", "email", "granted", source="test")
    return made.id


def test_a_segment_and_a_static_list_are_sent_to_the_parties_the_sender_sees(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    berlin = new_party(consent=("feedback",))
    paris = new_party(
        consent=("feedback",),
        owner_id=staff.outsider.user_id,
        emails=["jean@example.fr"],
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ],
    )
    manager = client_as(staff.manager)
    marketer = client_as(staff.marketer)
    segment = marketer.post(
        "/p/campaigns/segments", json={"name": "Customers", "definition": SEGMENT}
    ).json()
    listed = marketer.post("/p/campaigns/lists", json={"name": "Fair visitors"}).json()
    marketer.post(f"/p/campaigns/lists/{listed['id']}/members", json={"party_ids": [berlin, paris]})

    preview = manager.post(
        f"/p/surveys/surveys/{survey_id}/sends/preview",
        json={"audience": {"segment_id": segment["id"]}, "channel": "email"},
    )
    assert preview.json() == {"audience": 1, "invitable": 1}, "the Paris party is not the manager's"
    by_segment = manager.post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={
            "audience": {"segment_id": segment["id"]},
            "channel": "email",
            "message": invitation_message,
        },
    )
    assert by_segment.status_code == 201, by_segment.text
    assert (by_segment.json()["invited"], by_segment.json()["skipped"]) == (1, 0)
    assert [r.party_id for r in invitations_of(crm, survey_id)] == [berlin]

    refused = manager.post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={
            "audience": {"party_ids": [paris]},
            "channel": "email",
            "message": invitation_message,
        },
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "audience.party_ids[0]"
    assert (
        manager.get(f"/p/surveys/surveys/{survey_id}/invitations").json()[0]["party_id"] == berlin
    )

    by_list = marketer.post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={
            "audience": {"list_id": listed["id"]},
            "channel": "email",
            "message": invitation_message,
        },
    )
    assert (by_list.json()["invited"], by_list.json()["skipped"]) == (1, 1)
    assert [r.party_id for r in invitations_of(crm, survey_id)] == [berlin, paris]
    seen_by_manager = manager.get(f"/p/surveys/surveys/{survey_id}/invitations").json()
    assert [i["party_id"] for i in seen_by_manager] == [berlin]
    counted = manager.get(f"/p/surveys/surveys/{survey_id}/invitations/counts").json()
    assert counted["sent"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"audience": {"segment_id": 999}}, "audience.segment_id"),
        ({"audience": {"list_id": 999}}, "audience.list_id"),
        ({"audience": {"party_ids": []}}, "audience.party_ids"),
        ({"audience": {"party_ids": [1], "list_id": 2}}, "audience"),
        ({"audience": {"everyone": True}}, "audience.everyone"),
        ({"channel": "fax"}, "channel"),
        ({"message": {"en": {"subject": "Hi", "text": "No link here"}}}, "message.en.text"),
        ({"message": {"de": {"subject": "Hi", "text": "{{ survey_url }}"}}}, "message"),
        (
            {
                "message": {
                    "en": {"subject": "Hi", "text": "{{ survey_url }}"},
                    "fr": {"subject": "S", "text": "{{ survey_url }}"},
                }
            },
            "message.fr",
        ),
        (
            {"message": {"en": {"subject": "Hi", "text": "{{ survey_url }} {{ nope }}"}}},
            "message.en.text",
        ),
        (
            {"message": {"en": {"subject": "{% if %}", "text": "{{ survey_url }}"}}},
            "message.en.subject",
        ),
        ({"expires_after_days": 0}, "expires_after_days"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
    body: dict[str, Any],
    field: str,
) -> None:
    survey_id = publish_survey(crm)
    party = new_party(consent=("feedback",))
    given = {
        "audience": {"party_ids": [party]},
        "channel": "email",
        "message": invitation_message,
        **body,
    }

    answer = client_as(staff.marketer).post(f"/p/surveys/surveys/{survey_id}/sends", json=given)

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert counts(crm) == (0, 0)


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_template_that_cannot_render_is_refused_when_nobody_can_be_invited(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
    channel: str,
) -> None:
    survey_id = publish_survey(crm)
    no_consent = new_party(consent=())
    message = {"en": {"text": "{{ survey_url }}"}, "de": {"text": "{{ survey_url }} {{ nope }}"}}
    if channel == "email":
        message = {
            "en": invitation_message["en"],
            "de": {**invitation_message["de"], "html": "<p>{{ survey_url }} {% endif %}</p>"},
        }
    answer = client_as(staff.marketer).post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={"audience": {"party_ids": [no_consent]}, "channel": channel, "message": message},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == (
        "message.de.html" if channel == "email" else "message.de.text"
    )
    assert counts(crm) == (0, 0)


def test_a_draft_or_closed_survey_is_not_sent(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    from crmkit_surveys.definitions.service import close, create_survey

    with crm.transaction() as tx:
        draft = create_survey(tx, {"name": "Draft"}).id
    closed = publish_survey(crm, name="Closed")
    with crm.transaction() as tx:
        close(tx, closed)
    body = {
        "audience": {"party_ids": [new_party(consent=("feedback",))]},
        "channel": "email",
        "message": invitation_message,
    }
    client = client_as(staff.marketer)
    for survey_id in (draft, closed):
        assert client.post(f"/p/surveys/surveys/{survey_id}/sends", json=body).status_code == 409
    assert client.post("/p/surveys/surveys/999/sends", json=body).status_code == 404
    assert counts(crm) == (0, 0)


def test_only_writers_send(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    body = {
        "audience": {"party_ids": [new_party(consent=("feedback",))]},
        "channel": "email",
        "message": invitation_message,
    }
    for actor in (staff.agent, staff.outsider, add_user(crm, "rita", "read-only")):
        assert (
            client_as(actor).post(f"/p/surveys/surveys/{survey_id}/sends", json=body).status_code
            == 403
        )
    assert counts(crm) == (0, 0)
    assert client_as(staff.agent).get(f"/p/surveys/surveys/{survey_id}/sends").status_code == 200


def test_a_large_send_is_queued_and_handed_over_by_the_job_once(
    make_surveys: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    from crmkit_surveys.invitations.sends import create_send

    large = make_surveys(surveys={"invitations": {"send_at_once": 2, "send_batch": 2}})
    survey_id = publish_survey(large)
    with large.transaction() as tx:
        parties = [_party(tx) for _ in range(3)]
    body = {"audience": {"party_ids": parties}, "channel": "email", "message": invitation_message}
    with large.transaction() as tx:
        made = create_send(tx, survey_id, body)
    assert (made.status, made.invited, made.skipped) == ("queued", 3, 0)
    assert [r.status for r in invitations_of(large, survey_id)] == ["queued"] * 3

    assert large.jobs.run("surveys.send_due").ok
    assert large.jobs.run("surveys.send_due").ok
    rows = invitations_of(large, survey_id)
    assert [r.status for r in rows] == ["sent"] * 3
    assert len({r.message_ref for r in rows}) == 3
    with large.transaction() as tx:
        states = delivery_states(tx, purpose="feedback")
    assert sorted(m.party_id for m in states.messages) == sorted(parties), "each sent once"
    with large.read() as conn:
        assert conn.execute(select(send.c.status)).scalar_one() == "sent"


def test_a_reader_sees_only_the_ids_of_the_parties_they_see_in_a_sends_audience(
    crm: Crm,
    staff: Any,
    client_as: Any,
    new_party: Any,
    publish_survey: Any,
    invitation_message: dict[str, Any],
) -> None:
    survey_id = publish_survey(crm)
    berlin = new_party(consent=("feedback",))
    paris = new_party(
        consent=("feedback",),
        owner_id=staff.outsider.user_id,
        emails=["jean@example.fr"],
        addresses=[
            {"street": "Rue de Rivoli 1", "postcode": "75001", "city": "Paris", "country": "FR"}
        ],
    )
    admin = client_as(staff.admin)
    made = admin.post(
        f"/p/surveys/surveys/{survey_id}/sends",
        json={
            "audience": {"party_ids": [berlin, paris]},
            "channel": "email",
            "message": invitation_message,
        },
    ).json()
    assert admin.get(f"/p/surveys/surveys/{survey_id}/sends").json()[0]["audience"] == {
        "party_ids": [berlin, paris]
    }
    outsider = client_as(staff.outsider)
    [listed] = outsider.get(f"/p/surveys/surveys/{survey_id}/sends").json()
    one = outsider.get(f"/p/surveys/surveys/{survey_id}/sends/{made['id']}").json()
    for shown in (listed["audience"], one["audience"]):
        assert shown == {"party_ids": [paris], "hidden_parties": 1}
    page = outsider.get(f"/p/surveys/page/surveys/{survey_id}/sends")
    assert page.status_code == 200 and "2 parties" in page.text
