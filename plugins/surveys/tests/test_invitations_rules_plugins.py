"""After-event rules on the events of the sales and campaigns plugins: an order the ERP
reports delivered, an attendee checked in at an event. The events are emitted as those
plugins emit them (type, entity, payload with ``party_id``)."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_surveys.invitations.rules import create_rule
from crmkit_surveys.invitations.tables import invitation
from sqlalchemy import select

from crmkit import Crm


@pytest.fixture
def crm(make_surveys: Any) -> Crm:
    return make_surveys(with_plugins=("sfa", "campaigns"))


def invited(crm: Crm) -> list[tuple[int, int, str]]:
    with crm.read() as conn:
        rows = conn.execute(select(invitation).order_by(invitation.c.id)).all()
    return [(r.party_id, r.survey_id, r.status) for r in rows]


def test_a_delivered_order_and_an_attended_event_invite_their_parties(
    crm: Crm, new_party: Any, publish_survey: Any, invitation_message: dict[str, Any]
) -> None:
    delivery = publish_survey(crm, name="Delivery satisfaction")
    event = publish_survey(crm, name="Event feedback")
    with crm.transaction() as tx:
        for survey_id, event_type, conditions in (
            (delivery, "sfa.order_erp_status", {"erp_status": ["delivered"]}),
            (event, "campaigns.attendee_checked_in", {}),
        ):
            create_rule(
                tx,
                {
                    "survey_id": survey_id,
                    "event_type": event_type,
                    "conditions": conditions,
                    "channel": "email",
                    "message": invitation_message,
                },
            )
    buyer = new_party(consent=("feedback",))
    guest = new_party(consent=("feedback",), emails=["guest@example.org"])

    with crm.transaction() as tx:
        for status in ("confirmed", "delivered"):
            tx.emit(
                "sfa.order_erp_status",
                "sfa.order",
                7,
                {
                    "number": "O-7",
                    "party_id": buyer,
                    "erp_status": status,
                    "erp_reference": None,
                    "previous": None,
                },
            )
    with crm.transaction() as tx:
        tx.emit(
            "campaigns.attendee_checked_in",
            "campaigns.registration",
            3,
            {"event_id": 1, "party_id": guest, "status": "attended"},
        )

    assert invited(crm) == [(buyer, delivery, "sent"), (guest, event, "sent")]
