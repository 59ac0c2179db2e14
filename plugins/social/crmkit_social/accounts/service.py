"""Connecting, listing, deactivating pages and refreshing their tokens.

Graph is called outside any transaction; what it answered is then stored in one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from crmkit import (
    ConflictError,
    Crm,
    NotFound,
    Transaction,
    ValidationError,
    read_choice,
    read_text,
    read_timestamp,
    record_audit,
    utcnow,
)
from crmkit_social.accounts.graph import GraphClient, GraphError, graph_client
from crmkit_social.accounts.model import (
    DEMO_TOKEN_PREFIX,
    PLATFORMS,
    Account,
    AccountView,
    decrypt_token,
    encrypt_token,
    settings_of,
    view_of,
)
from crmkit_social.accounts.tables import account_table

log = logging.getLogger(__name__)

SUBSCRIBED_FIELDS = ("leadgen", "feed", "messages")
"""The webhook fields a page is subscribed to when it is connected."""
MAX_TOKEN_LENGTH = 1000


def list_accounts(conn: Any) -> list[AccountView]:
    rows = conn.execute(select(account_table).order_by(account_table.c.name, account_table.c.id))
    return [view_of(row) for row in rows]


def account_view(conn: Any, account_id: int) -> AccountView:
    row = conn.execute(select(account_table).where(account_table.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"social account {account_id} does not exist")
    return view_of(row)


def read_connect_input(body: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of a connect request (422 naming the field)."""
    known = {"platform", "page_id", "access_token", "name", "token_expires_at"}
    for key in body:
        if key not in known:
            raise ValidationError(key, "unknown field")
    platform = read_choice("platform", body.get("platform", "facebook"), PLATFORMS)
    page_id = body.get("page_id")
    if not isinstance(page_id, str) or not page_id.isdigit() or len(page_id) > 64:
        raise ValidationError("page_id", "expected the page's numeric id as text")
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        raise ValidationError("access_token", "expected the page access token")
    if token.startswith(DEMO_TOKEN_PREFIX) or any(c.isspace() for c in token):
        raise ValidationError("access_token", "not a page access token")
    name = body.get("name")
    if name is not None:
        name = read_text("name", name, limit=200)
    expires = body.get("token_expires_at")
    expires_at = read_timestamp("token_expires_at", expires) if expires not in (None, "") else None
    return {
        "platform": platform,
        "page_id": page_id,
        "token": token.strip(),
        "name": name,
        "expires_at": expires_at,
    }


def store_account(
    tx: Transaction,
    app: Crm,
    *,
    platform: str,
    page_id: str,
    name: str,
    token: str,
    expires_at: datetime | None,
    subscribed_fields: tuple[str, ...] = SUBSCRIBED_FIELDS,
    demo: bool = False,
) -> AccountView:
    """Store (or replace) the page's account, its token encrypted; active, token ``ok``."""
    now = utcnow()
    # A demo page keeps no token at all: it never calls out (and needs no token key).
    cipher = "" if demo else encrypt_token(app, token)
    values = {
        "platform": platform,
        "name": name,
        "active": True,
        "token_cipher": cipher,
        "token_expires_at": expires_at,
        "token_state": "demo" if demo else "ok",
        "token_problem": None,
        "token_checked_at": now,
        "subscribed_fields": ",".join(subscribed_fields),
        "updated_at": now,
    }
    actor_id = tx.actor.user_id
    existing = tx.conn.execute(
        select(account_table.c.id).where(account_table.c.page_id == page_id)
    ).scalar()
    if existing is None:
        account_id = tx.conn.execute(
            account_table.insert()
            .values(page_id=page_id, connected_at=now, connected_by=actor_id, version=1, **values)
            .returning(account_table.c.id)
        ).scalar_one()
    else:
        account_id = existing
        tx.conn.execute(
            update(account_table)
            .where(account_table.c.id == existing)
            .values(version=account_table.c.version + 1, **values)
        )
    action = "created" if existing is None else "updated"
    record_audit(
        tx,
        "social.account",
        account_id,
        action,
        {"page_id": [None, page_id], "token": ["", "(replaced)"]},
    )
    return account_view(tx.conn, account_id)


def connect(app: Crm, actor: Any, body: dict[str, Any]) -> AccountView:
    """Check the token against Graph, subscribe the app to the page's webhooks, store it.

    A token Graph refuses is a 422 naming ``access_token`` (Graph's words, never the token).
    """
    given = read_connect_input(body)
    settings_of(app)  # the token key is checked before anything is sent
    from crmkit_social.accounts.model import cipher

    cipher(app)
    probe = Account(0, given["platform"], given["page_id"], given["name"] or "", True, None)
    client = GraphClient(app, probe, given["token"])
    try:
        if given["platform"] == "facebook":
            me = client.get("/me", {"fields": "id,name"})
        else:
            me = client.get(f"/{given['page_id']}", {"fields": "id,username,name"})
    except GraphError as error:
        if error.transient and error.code not in (190, 102):
            raise ConflictError(
                f"Graph could not be reached to check the token: {error.message}"
            ) from None
        raise ValidationError("access_token", f"Graph refused the token: {error.message}") from None
    if str(me.get("id")) != given["page_id"]:
        raise ValidationError("access_token", "the token is not the access token of this page")
    name = given["name"] or str(me.get("name") or me.get("username") or given["page_id"])[:200]
    subscribed: tuple[str, ...] = ()
    if given["platform"] == "facebook":
        try:
            client.request(
                "POST",
                f"/{given['page_id']}/subscribed_apps",
                params={"subscribed_fields": ",".join(SUBSCRIBED_FIELDS)},
            )
            subscribed = SUBSCRIBED_FIELDS
        except GraphError as error:
            raise ValidationError(
                "page_id", f"Graph refused to subscribe the app to the page: {error.message}"
            ) from None
    with app.transaction(actor) as tx:
        return store_account(
            tx,
            app,
            platform=given["platform"],
            page_id=given["page_id"],
            name=name,
            token=given["token"],
            expires_at=given["expires_at"],
            subscribed_fields=subscribed,
        )


def set_active(tx: Transaction, account_id: int, active: bool, version: int | None) -> AccountView:
    """Deactivate (or activate again) an account: an inactive page's changes are refused."""
    current = account_view(tx.conn, account_id)
    if version is not None and version != current.version:
        raise ConflictError(f"social account {account_id} has changed (version {current.version})")
    if current.active != active:
        tx.conn.execute(
            update(account_table)
            .where(account_table.c.id == account_id)
            .values(active=active, updated_at=utcnow(), version=account_table.c.version + 1)
        )
        record_audit(
            tx,
            "social.account",
            account_id,
            "updated",
            {"active": [current.active, active]},
        )
    return account_view(tx.conn, account_id)


def refresh_tokens(app: Crm) -> int:
    """Exchange the tokens of active pages that expire within ``refresh_before_days``;
    mark dead those already expired or refused. Idempotent; returns how many were exchanged."""
    settings = settings_of(app)
    now = utcnow()
    horizon = now + timedelta(days=settings.refresh_before_days)
    with app.read() as conn:
        rows = conn.execute(
            select(account_table).where(
                account_table.c.active.is_(True),
                account_table.c.token_state == "ok",
                account_table.c.token_expires_at.is_not(None),
                account_table.c.token_expires_at < horizon,
            )
        ).all()
    exchanged = 0
    for row in rows:
        if row.token_expires_at <= now:
            _mark(app, row.id, "dead", "the token expired before it could be exchanged")
            continue
        if not settings.app_id or not settings.app_secret:
            log.warning(
                "social: token of page %s expires soon; no app id/secret to exchange it",
                row.page_id,
            )
            continue
        account = Account(row.id, row.platform, row.page_id, row.name, True, row.token_expires_at)
        token = decrypt_token(app, row.token_cipher)
        client = GraphClient(app, account, token)
        try:
            answer = client.request(
                "GET",
                "/oauth/access_token",
                params={
                    "grant_type": "fb_exchange_token",
                    "client_id": settings.app_id,
                    "client_secret": settings.app_secret,
                    "fb_exchange_token": token,
                },
                token=False,
            )
        except GraphError as error:
            if not error.transient:
                _mark(app, row.id, "dead", f"the token exchange was refused: {error.message}")
            else:
                log.warning(
                    "social: token exchange of page %s failed, retried later: %s",
                    row.page_id,
                    error.message,
                )
            continue
        new_token = answer.get("access_token")
        if not isinstance(new_token, str) or not new_token:
            log.warning("social: token exchange of page %s answered no token", row.page_id)
            continue
        expires_in = answer.get("expires_in")
        expires_at = (
            utcnow() + timedelta(seconds=int(expires_in))
            if isinstance(expires_in, int) and expires_in > 0
            else None
        )
        with app.transaction() as tx:
            tx.conn.execute(
                update(account_table)
                .where(
                    account_table.c.id == row.id, account_table.c.token_cipher == row.token_cipher
                )
                .values(
                    token_cipher=encrypt_token(app, new_token),
                    token_expires_at=expires_at,
                    token_state="ok",
                    token_problem=None,
                    token_checked_at=utcnow(),
                    updated_at=utcnow(),
                    version=account_table.c.version + 1,
                )
            )
            record_audit(
                tx,
                "social.account",
                row.id,
                "updated",
                {"token_expires_at": [str(row.token_expires_at), str(expires_at)]},
            )
        exchanged += 1
    return exchanged


def _mark(app: Crm, account_id: int, state: str, problem: str) -> None:
    with app.transaction() as tx:
        tx.conn.execute(
            update(account_table)
            .where(account_table.c.id == account_id)
            .values(
                token_state=state,
                token_problem=problem[:500],
                token_checked_at=utcnow(),
                updated_at=utcnow(),
                version=account_table.c.version + 1,
            )
        )


__all__ = [
    "connect",
    "graph_client",
    "list_accounts",
    "refresh_tokens",
    "set_active",
    "store_account",
]
