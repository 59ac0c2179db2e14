"""The help desk: the caller found by phone number (any format) or email through the kernel's contact
index, as the telephony system's token's user may see them, with the 360 view."""

from __future__ import annotations

from typing import Any

import pytest
from crmkit_service.assets.service import create_asset
from crmkit_service.cases.service import open_case

from crmkit import Crm, build_interaction, log_interaction
from crmkit.testing import http_client, invoke

NUMBER = "+49 30 1234567"


@pytest.fixture
def caller(crm: Crm, staff: Any, new_party: Any) -> int:
    """A Berlin customer with a phone, an open case, an asset in warranty and a logged call."""
    party = new_party(phones=[NUMBER], emails=["Ada.Lovelace@Example.org"])
    with crm.transaction(staff.agent) as tx:
        open_case(tx, {"party_id": party, "subject": "Boiler leaks"})
        create_asset(
            tx,
            {
                "party_id": party,
                "product": "Boiler",
                "serial_number": "B-1",
                "warranty_end": "2099-01-01",
            },
        )
        log_interaction(
            tx,
            build_interaction(
                {
                    "party_id": party,
                    "channel": "phone",
                    "direction": "inbound",
                    "subject": "Asked for a visit",
                }
            ),
        )
    return party


def token_of(crm: Crm, username: str) -> str:
    result = invoke(crm, "tokens", "create", username, "--name", "telephony")
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.mark.parametrize(
    "written", ["030 1234567", "+49301234567", "0049 30 123 45 67", "(030) 123-4567"]
)
def test_a_call_finds_the_caller_with_cases_entitlements_and_recent_contacts(
    crm: Crm, staff: Any, caller: int, written: str
) -> None:
    token = token_of(crm, "sam")
    with http_client(crm) as client:
        answer = client.get(
            "/p/service/helpdesk/caller",
            params={"phone": written},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text
    [view] = answer.json()
    assert view["party"]["id"] == caller
    assert [c["subject"] for c in view["open_cases"]] == ["Boiler leaks"]
    assert [a["entitlement"]["state"] for a in view["assets"]] == ["in_warranty"]
    assert view["entitlement"]["state"] == "none" and view["entitlement"]["billable"] is True
    assert "Asked for a visit" in [i["subject"] for i in view["recent_contacts"]]


def test_an_email_is_looked_up_as_the_kernel_normalises_it(
    crm: Crm, staff: Any, caller: int, client_as: Any
) -> None:
    with client_as(staff.agent) as client:
        found = client.get(
            "/p/service/helpdesk/caller", params={"email": "ada.lovelace@example.ORG"}
        )
    assert [v["party"]["id"] for v in found.json()] == [caller]


def test_a_caller_the_user_may_not_see_is_not_answered(
    crm: Crm, staff: Any, new_party: Any, client_as: Any
) -> None:
    prospect = new_party("prospect", phones=["+49 40 7654321"])
    with client_as(staff.agent) as client:
        hidden = client.get("/p/service/helpdesk/caller", params={"phone": "040 7654321"})
        view = client.get(f"/p/service/helpdesk/parties/{prospect}")
    assert hidden.status_code == 200 and hidden.json() == []
    assert view.status_code == 404
    with client_as(staff.manager) as client:
        seen = client.get("/p/service/helpdesk/caller", params={"phone": "040 7654321"})
    assert [v["party"]["id"] for v in seen.json()] == [prospect]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "phone"),
        ({"phone": NUMBER, "email": "a@example.org"}, "phone"),
        ({"phone": "not a number"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"phone": NUMBER, "caller_id": "1"}, "caller_id"),
        ([("phone", "+49 30 0000000"), ("phone", NUMBER)], "phone"),  # not silently the last
    ],
)
def test_a_bad_lookup_is_refused_naming_the_parameter(
    crm: Crm, staff: Any, client_as: Any, params: Any, field: str
) -> None:
    with client_as(staff.agent) as client:
        refused = client.get("/p/service/helpdesk/caller", params=params)
    assert refused.status_code == 422 and refused.json()["field"] == field


def test_the_360_view_refuses_a_parameter_it_does_not_read(
    crm: Crm, staff: Any, client_as: Any, caller: int
) -> None:
    with client_as(staff.agent) as client:
        refused = client.get(f"/p/service/helpdesk/parties/{caller}", params={"recent": "50"})
    assert refused.status_code == 422 and refused.json()["field"] == "recent"


def test_a_role_without_the_help_desk_is_refused(crm: Crm, new_user: Any, client_as: Any) -> None:
    marketer = new_user("mark", "marketing")
    with client_as(marketer) as client:
        assert client.get("/p/service/helpdesk/caller", params={"phone": NUMBER}).status_code == 403
