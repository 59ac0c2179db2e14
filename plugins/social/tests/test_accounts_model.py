"""The accounts part's contract: pages stored with encrypted tokens, found by page id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crmkit import Crm


def test_a_page_is_found_by_its_id_and_its_token_is_stored_encrypted(
    social_crm: Crm, page: Any
) -> None:
    from crmkit_social.accounts.model import account_by_page, decrypt_token
    from crmkit_social.accounts.tables import account_table

    account = page(social_crm)
    assert (account.page_id, account.platform, account.active) == ("1001", "facebook", True)
    with social_crm.read() as conn:
        assert account_by_page(conn, "1001") == account
        assert account_by_page(conn, "9999") is None
        stored = conn.execute(select(account_table.c.token_cipher)).scalar_one()
    assert "page-token-1001" not in stored
    assert decrypt_token(social_crm, stored) == "page-token-1001"
