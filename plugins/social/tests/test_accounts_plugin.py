"""The plugin as a whole honours the contract; the accounts and webhooks parts of the demo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crmkit import utcnow
from crmkit.testing import check_plugin, seed_demo_data


def test_plugin_honours_the_contract() -> None:
    check_plugin("social")


def test_the_demo_has_a_page_that_never_calls_out_and_an_inbox_of_each_kind(
    make_social: Any, client_as: Any
) -> None:
    from crmkit_social.accounts.graph import GraphError, graph_client
    from crmkit_social.accounts.model import account_by_page
    from crmkit_social.accounts.tables import account_table
    from crmkit_social.webhooks.tables import change_table

    from crmkit.testing import add_user

    crm = make_social()  # no token key, no Graph: the demo needs neither
    seed_demo_data(crm, customers=20, prospects=5, now=utcnow())
    with crm.read() as conn:
        (page,) = conn.execute(select(account_table)).all()
        changes = conn.execute(select(change_table.c.state, change_table.c.field)).all()
        account = account_by_page(conn, page.page_id)
    assert (page.token_state, page.token_cipher, page.active) == ("demo", "", True)
    assert {state for state, _ in changes} >= {"processed", "ignored", "refused"}
    assert not [c for c in changes if c.state == "pending"]
    assert account is not None
    try:
        graph_client(crm, account)
    except GraphError as error:
        assert not error.transient
    else:  # pragma: no cover
        raise AssertionError("a demo page must not get a Graph client")
    admin = add_user(crm, "demo-admin", "admin")
    with client_as(admin) as client:
        inbox = client.get("/p/social/page/inbox")
        failed = client.get("/p/social/page/inbox?state=refused")
        accounts = client.get("/p/social/page/accounts")
    assert inbox.status_code == 200 and "ratings" in inbox.text
    assert "unknown page 999000111" in failed.text
    assert "demo page" in accounts.text and "demo" in accounts.text
