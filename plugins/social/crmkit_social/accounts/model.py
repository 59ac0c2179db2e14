"""Connected pages: what the other parts read (``Account``, ``account_by_page``), and the
encrypted storage of their access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, select

from crmkit import ConfigurationError, Crm
from crmkit_social.accounts.settings import AccountsSettings
from crmkit_social.accounts.tables import account_table

PLATFORMS = ("facebook", "instagram")
DEMO_TOKEN_PREFIX = "demo-token:"


@frozen
class Account:
    """A connected Facebook Page or Instagram business account. Never holds its token."""

    id: int
    platform: str
    page_id: str
    name: str
    active: bool
    token_expires_at: datetime | None


@frozen
class AccountView:
    """An account as the API and the pages show it (token state, never the token)."""

    id: int
    platform: str
    page_id: str
    name: str
    active: bool
    token_expires_at: datetime | None
    token_state: str
    token_problem: str | None
    token_checked_at: datetime | None
    subscribed_fields: tuple[str, ...]
    connected_at: datetime
    version: int


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        platform=row.platform,
        page_id=row.page_id,
        name=row.name,
        active=bool(row.active),
        token_expires_at=row.token_expires_at,
    )


def view_of(row: Any) -> AccountView:
    return AccountView(
        id=row.id,
        platform=row.platform,
        page_id=row.page_id,
        name=row.name,
        active=bool(row.active),
        token_expires_at=row.token_expires_at,
        token_state=row.token_state,
        token_problem=row.token_problem,
        token_checked_at=row.token_checked_at,
        subscribed_fields=tuple(f for f in row.subscribed_fields.split(",") if f),
        connected_at=row.connected_at,
        version=row.version,
    )


def account_by_page(conn: Connection, page_id: str) -> Account | None:
    """The account of this page id (or Instagram account id), active or not; None if unknown."""
    row = conn.execute(select(account_table).where(account_table.c.page_id == page_id)).first()
    return _account(row) if row is not None else None


def account_by_id(conn: Connection, account_id: int) -> Account | None:
    row = conn.execute(select(account_table).where(account_table.c.id == account_id)).first()
    return _account(row) if row is not None else None


def settings_of(app: Crm) -> AccountsSettings:
    settings: AccountsSettings = app.settings_of["social"].accounts
    return settings


def cipher(app: Crm) -> Fernet:
    """The Fernet cipher of the configured token key; ConfigurationError when there is none."""
    key = settings_of(app).token_key
    if not key:
        raise ConfigurationError(
            "plugins.social.accounts.token_key",
            "no token key is configured: page access tokens cannot be stored or read",
        )
    return Fernet(key.encode("ascii"))


def encrypt_token(app: Crm, token: str) -> str:
    return cipher(app).encrypt(token.encode("utf-8")).decode("ascii")


def decrypt_token(app: Crm, token_cipher: str) -> str:
    """The plain token; ConfigurationError (naming the key, never the token) when it does not
    decrypt with the configured key (the key was changed)."""
    try:
        return cipher(app).decrypt(token_cipher.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigurationError(
            "plugins.social.accounts.token_key",
            "a stored page access token does not decrypt with this key (was the key changed?)",
        ) from None
