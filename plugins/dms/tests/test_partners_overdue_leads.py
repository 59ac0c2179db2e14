"""An offer past its deadline is no longer the partner's to see, even before the deadline
job routes it on (a worker down or late must not leave the lead's personal data with it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from crmkit_dms.routing.tables import assignment
from sqlalchemy import update

from crmkit import Crm, utcnow

from .conftest import Network, PartyMaker, RouteMaker
from .test_partners_taken_leads import assert_lost_sight, ids_of, user_of


def overdue(crm: Crm, assignment_id: int) -> None:
    with crm.transaction() as tx:
        tx.conn.execute(
            update(assignment)
            .where(assignment.c.id == assignment_id)
            .values(accept_by=utcnow() - timedelta(seconds=1))
        )


def test_an_offer_past_its_deadline_is_out_of_sight_before_the_job_runs(
    crm: Crm, client_as: Any, network: Network, route: RouteMaker, new_party: PartyMaker
) -> None:
    lead = new_party("prospect", first_name="Otto", last_name="Überfällig")
    offer = route(lead)
    partner_user = client_as(user_of(network, offer.partner_id))
    assert lead in ids_of(partner_user.get("/api/v1/prospects"))  # seen while it may accept
    assert partner_user.get(f"/p/dms/assignments/{offer.id}").status_code == 200
    overdue(crm, offer.id)
    assert_lost_sight(partner_user, lead, offer.id, "Überfällig")
    answer = partner_user.post(f"/p/dms/assignments/{offer.id}/accept")
    assert answer.status_code == 404, answer.text
    # Staff still see it, waiting for the job, and may not accept it for the partner either.
    staff = client_as(network.router)
    assert staff.get(f"/p/dms/assignments/{offer.id}").json()["state"] == "offered"
    assert staff.post(f"/p/dms/assignments/{offer.id}/accept").status_code == 409


def test_an_accepted_lead_stays_in_sight_past_the_deadline_to_accept(
    crm: Crm, client_as: Any, network: Network, route: RouteMaker, new_party: PartyMaker
) -> None:
    lead = new_party("prospect", last_name="Angenommen")
    offer = route(lead)
    partner_user = client_as(user_of(network, offer.partner_id))
    assert partner_user.post(f"/p/dms/assignments/{offer.id}/accept").status_code == 200
    overdue(crm, offer.id)
    assert partner_user.get(f"/api/v1/parties/{lead}").status_code == 200
    assert partner_user.get(f"/p/dms/portal/leads/{offer.id}").status_code == 200
