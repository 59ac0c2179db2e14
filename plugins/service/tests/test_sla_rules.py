"""SLA lists keep the same record rules as cases, including another plugin's rule on customers."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.cases import queries, service
from crmkit_service.sla import policies
from crmkit_service.sla.periods import quarter_of
from crmkit_service.sla.worklist import compliance, work_list

from crmkit import Crm, hookimpl, utcnow
from crmkit.testing import register_plugin


class OwnCustomersOnly:
    """Another plugin's rule, on customers only: service staff see the customers they own."""

    @hookimpl
    def permission_filter(self, actor: Any, entity_type: str, table: Any) -> Any:
        if actor.role == "service" and entity_type == "customer":
            return table.c.owner_id == actor.user_id
        return None


@pytest.fixture
def crm(make_service: Any) -> Crm:
    return make_service(plugins=(register_plugin(OwnCustomersOnly(), name="own_customers"),))


def test_the_work_list_and_compliance_see_the_parties_the_case_list_sees(
    crm: Crm, staff: Any, new_party: Any
) -> None:
    agent = staff.agent
    own, others = new_party(owner_id=agent.user_id), new_party(owner_id=staff.lead.user_id)
    with crm.transaction() as tx:
        policies.create_policy(
            tx, {"name": "Standard", "first_response_minutes": 60, "resolution_minutes": 480}
        )
        mine = service.open_case(
            tx, {"party_id": own, "subject": "Mine", "owner_id": agent.user_id}
        )
        service.open_case(tx, {"party_id": others, "subject": "Lena's", "owner_id": agent.user_id})
    with crm.read() as conn:
        listed = queries.list_cases(conn, agent, host=crm.host, filters={}, cursor=None, limit=50)
        worked = work_list(conn, crm.host, agent, agent.user_id)
        counted = compliance(conn, crm.host, agent, quarter_of(utcnow().date()))
    assert [c.id for c in listed.items] == [mine.id]
    assert [i.case_id for i in worked] == [mine.id]
    assert {r.metric: r.total for r in counted} == {"first_response": 1, "resolution": 1}
