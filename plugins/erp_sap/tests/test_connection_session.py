"""SapSession against the loopback SAP server: sign-on, paging, retries, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from crmkit_erp_sap.connection import PagingLoop, SapError, SapSession, SapUnavailable
from crmkit_erp_sap.connection.settings import SystemSettings
from crmkit_erp_sap.testing import SapRequest, SapResponse, SapServer, json_answer, partner_number

from crmkit import ConfigurationError, Crm

BP = "API_BUSINESS_PARTNER"
CHANGE_ORDER = "LastChangeDate,LastChangeTime,BusinessPartner"


def session(
    sap: SapServer, waits: list[float] | None = None, auth: str = "basic", **settings: Any
) -> SapSession:
    """A session to ``sap``; retry waits go to ``waits`` instead of the clock."""
    system = SystemSettings(**sap.system_settings(auth, **settings))
    return SapSession("S4P", system, sleep=(waits.append if waits is not None else lambda _: None))


def numbers(pages: Any) -> list[str]:
    return [row["BusinessPartner"] for page in pages for row in page.rows]


@pytest.mark.parametrize("auth", ["basic", "oauth2"])
def test_every_partner_comes_once_through_server_and_client_paging(
    sap: SapServer, auth: str
) -> None:
    with session(sap, auth=auth, page_size=25) as sap_session:
        pages = list(
            sap_session.iter_collection(BP, "A_BusinessPartner", select=("BusinessPartner",))
        )

    assert numbers(pages) == [partner_number(i) for i in range(40)]
    # 25 rows a request, the server sends at most 15 an answer: 15 + 10 (via __next), 15 + 0.
    assert [len(page.rows) for page in pages] == [15, 10, 15]
    assert any("%24skiptoken=" in target for _, target in sap.calls)


def test_expanded_addresses_emails_and_phones_arrive_with_each_partner(sap: SapServer) -> None:
    expand = (
        "to_BusinessPartnerAddress/to_EmailAddress",
        "to_BusinessPartnerAddress/to_PhoneNumber",
    )
    with session(sap) as sap_session:
        rows = next(iter(sap_session.iter_collection(BP, "A_BusinessPartner", expand=expand))).rows

    address = rows[0]["to_BusinessPartnerAddress"]["results"][0]
    assert address["BusinessPartner"] == rows[0]["BusinessPartner"]
    assert "@" in address["to_EmailAddress"]["results"][0]["EmailAddress"]
    assert address["to_PhoneNumber"]["results"][0]["InternationalPhoneNumber"].startswith("+")
    assert "__deferred" in rows[0]["to_Customer"]


def test_a_cursor_filter_returns_only_what_changed_after_it(sap: SapServer) -> None:
    changed = sap.partners.change(10)
    with session(sap) as sap_session:
        everything = numbers(
            sap_session.iter_collection(BP, "A_BusinessPartner", orderby=CHANGE_ORDER)
        )
        last_unchanged = everything[-len(changed) - 1]
        row = sap_session.get_json(BP, f"A_BusinessPartner('{last_unchanged}')")
        day, clock = row["LastChangeDate"], row["LastChangeTime"]
        moment = datetime.fromtimestamp(int(day[6:-2]) / 1000, UTC)
        stamp = f"datetime'{moment:%Y-%m-%dT%H:%M:%S}'"
        time_literal = f"time'{clock}'"
        after = (
            f"LastChangeDate gt {stamp} or (LastChangeDate eq {stamp} and (LastChangeTime gt {time_literal}"
            f" or (LastChangeTime eq {time_literal} and BusinessPartner gt '{last_unchanged}')))"
        )
        delta = numbers(
            sap_session.iter_collection(BP, "A_BusinessPartner", filter=after, orderby=CHANGE_ORDER)
        )

    assert delta == [partner_number(i) for i in changed]
    assert everything[-len(changed) :] == delta


def test_a_next_link_that_loops_is_refused_instead_of_read_forever(sap: SapServer) -> None:
    sap.partners.endless_paging = True
    read: list[str] = []
    with session(sap, page_size=100) as sap_session, pytest.raises(PagingLoop):
        for page in sap_session.iter_collection(BP, "A_BusinessPartner"):
            read.extend(row["BusinessPartner"] for row in page.rows)

    assert len(read) == 30


def test_429_waits_as_long_as_retry_after_says_in_seconds_or_as_a_date(sap: SapServer) -> None:
    waits: list[float] = []
    with session(sap, waits, max_retry_wait=600) as sap_session:
        sap.faults.throttled, sap.faults.retry_after = 2, "7"
        assert (
            sap_session.get_json(BP, "A_BusinessPartner('1000001')")["BusinessPartner"] == "1000001"
        )
        later = datetime.now(UTC) + timedelta(seconds=120)
        sap.faults.throttled, sap.faults.retry_after = 1, format_datetime(later, usegmt=True)
        sap_session.get_json(BP, "A_BusinessPartner('1000002')")

    assert waits[:2] == [7.0, 7.0]
    assert 100 < waits[2] <= 120


def test_busy_and_dropped_connections_are_retried_with_backoff(sap: SapServer) -> None:
    waits: list[float] = []
    sap.faults.unavailable, sap.faults.dropped = 2, 1
    with session(sap, waits, max_retry_wait=600) as sap_session:
        row = sap_session.get_json(BP, "A_BusinessPartner('1000003')")

    assert row["BusinessPartner"] == "1000003"
    assert waits == [0.5, 1.0, 2.0]


def test_a_wait_never_exceeds_max_retry_wait(sap: SapServer) -> None:
    waits: list[float] = []
    sap.faults.throttled, sap.faults.retry_after = 1, "3600"
    with session(sap, waits, max_retry_wait=5) as sap_session:
        sap_session.get_json(BP, "A_BusinessPartner('1000003')")

    assert waits == [5]


def test_after_max_retries_the_call_raises_sap_unavailable_with_the_status(sap: SapServer) -> None:
    waits: list[float] = []
    sap.faults.unavailable = 10
    with session(sap, waits, max_retries=3) as sap_session, pytest.raises(SapUnavailable) as raised:
        sap_session.get_json(BP, "A_BusinessPartner('1000003')")

    assert raised.value.status == 503
    assert len(waits) == 3
    assert sap.faults.unavailable == 6


class Creations:
    """A service taking creates: counts them, and can drop the answer after taking one."""

    def __init__(self) -> None:
        self.created: list[bytes] = []
        self.lose_answer = False

    def handle(self, request: SapRequest) -> SapResponse | None:
        if request.method == "GET":
            return json_answer({"EntitySets": ["Things"]})
        self.created.append(request.body)
        if self.lose_answer:
            self.lose_answer = False
            return None
        return json_answer({"Thing": str(len(self.created))}, status=201)


@pytest.fixture
def things(sap: SapServer) -> Creations:
    service = Creations()
    sap.mount("THINGS_SRV", service)
    return service


def test_a_write_fetches_a_csrf_token_once_and_renews_it_when_it_expired(
    sap: SapServer, things: Creations
) -> None:
    with session(sap) as sap_session:
        assert sap_session.post_json("THINGS_SRV", "Things", {"Name": "a"}) == {"Thing": "1"}
        assert sap_session.post_json("THINGS_SRV", "Things", {"Name": "b"}) == {"Thing": "2"}
        sap.faults.expire_csrf = True
        assert sap_session.post_json("THINGS_SRV", "Things", {"Name": "c"}) == {"Thing": "3"}

    fetches = [
        target
        for method, target in sap.calls
        if method == "GET" and target.endswith("/THINGS_SRV/")
    ]
    assert len(fetches) == 2
    assert len(things.created) == 3


def test_a_write_without_a_valid_token_is_refused_by_the_server(
    sap: SapServer, things: Creations
) -> None:
    answer = httpx.post(
        f"{sap.url}/sap/opu/odata/sap/THINGS_SRV/Things", json={}, auth=(sap.user, sap.password)
    )

    assert answer.status_code == 403
    assert answer.headers["x-csrf-token"] == "Required"
    assert things.created == []


def test_a_write_whose_answer_was_lost_is_not_sent_again(sap: SapServer, things: Creations) -> None:
    things.lose_answer = True
    with session(sap) as sap_session, pytest.raises(SapUnavailable) as raised:
        sap_session.post_json("THINGS_SRV", "Things", {"Name": "once"})

    assert raised.value.maybe_applied
    assert len(things.created) == 1


def test_a_write_refused_as_busy_is_sent_again(sap: SapServer, things: Creations) -> None:
    with session(sap) as sap_session:
        sap_session.post_json("THINGS_SRV", "Things", {"Name": "warm-up"})
        sap.faults.unavailable = 1
        sap_session.post_batch("THINGS_SRV", b"--b\r\n\r\n--b--\r\n", "b")

    assert len(things.created) == 2
    assert [method for method, _ in sap.calls[-2:]] == ["POST", "POST"]


def test_an_oauth_token_is_reused_until_sap_refuses_it_then_fetched_anew(sap: SapServer) -> None:
    with session(sap, auth="oauth2") as sap_session:
        sap_session.get_json(BP, "A_BusinessPartner('1000001')")
        sap_session.get_json(BP, "A_BusinessPartner('1000002')")
        sap.revoke_tokens()
        sap_session.get_json(BP, "A_BusinessPartner('1000003')")

    token_calls = [target for method, target in sap.calls if target == "/oauth/token"]
    assert len(token_calls) == 2


def test_wrong_credentials_are_an_error_not_a_retry(sap: SapServer) -> None:
    system = SystemSettings(
        **{**sap.system_settings(), "auth": {"kind": "basic", "user": "CRM_SYNC", "password": "no"}}
    )
    with SapSession("S4P", system) as sap_session, pytest.raises(SapError) as raised:
        sap_session.get_json(BP, "A_BusinessPartner('1000001')")

    assert raised.value.status == 401
    assert len(sap.calls) == 1


def test_sap_error_messages_reach_the_caller(sap: SapServer) -> None:
    with session(sap) as sap_session, pytest.raises(SapError) as raised:
        sap_session.get_json(BP, "A_BusinessPartner('9999999')")

    assert raised.value.status == 404
    assert "9999999" in raised.value.message


def test_the_sap_client_goes_with_every_call(sap: SapServer) -> None:
    with session(sap, client="100") as sap_session:
        list(sap_session.iter_collection(BP, "A_BusinessPartner"))

    assert sap.calls and all("sap-client=100" in target for _, target in sap.calls)


def test_a_secret_is_read_from_the_environment(
    sap: SapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SAP_PASSWORD", sap.password)
    system = {
        **sap.system_settings(),
        "auth": {"kind": "basic", "user": sap.user, "password": "env:TEST_SAP_PASSWORD"},
    }
    with SapSession("S4P", SystemSettings(**system)) as sap_session:
        assert (
            sap_session.get_json(BP, "A_BusinessPartner('1000001')")["BusinessPartner"] == "1000001"
        )

    monkeypatch.delenv("TEST_SAP_PASSWORD")
    with (
        SapSession("S4P", SystemSettings(**system)) as sap_session,
        pytest.raises(ConfigurationError, match="TEST_SAP"),
    ):
        sap_session.get_json(BP, "A_BusinessPartner('1000001')")


def test_the_session_of_a_crm_is_its_configured_system(make_erp_sap: Any, sap: SapServer) -> None:
    crm: Crm = make_erp_sap(
        erp_sap={"connection": {"systems": {"S4P": sap.system_settings(page_size=7)}}}
    )
    with SapSession.for_app(crm) as sap_session:
        assert sap_session.system_id == "S4P"
        assert sap_session.settings.page_size == 7
        assert (
            sap_session.get_json(BP, "A_BusinessPartner('1000004')")["BusinessPartner"] == "1000004"
        )
    with pytest.raises(ConfigurationError, match="no SAP system 'QAS'"):
        SapSession.for_app(crm, "QAS")


def test_without_a_system_the_plugin_loads_and_says_none_is_configured(crm: Crm) -> None:
    with pytest.raises(ConfigurationError, match="no SAP system is configured"):
        SapSession.for_app(crm)
