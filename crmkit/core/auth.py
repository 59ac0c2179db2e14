"""Authentication: passwords (argon2), login sessions, API tokens and the failed-login limit.

No secret is stored in the clear. Passwords are argon2 hashes. Session ids and
API tokens are 256-bit random values, so their SHA-256 is enough to make a
leaked table useless, and it keeps the per-request look-up cheap.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from attrs import frozen
from sqlalchemy import ColumnElement, Connection, delete, insert, or_, select, update

from crmkit.core import audit, recent_tokens
from crmkit.core.actors import Actor
from crmkit.core.attempts import (
    Budget,
    Limit,
    client_key,
    forget_attempts,
    return_attempt,
    take_attempt,
)
from crmkit.core.db import Transaction
from crmkit.core.errors import NotFound, ValidationError
from crmkit.core.passwords import MAX_PASSWORD_LENGTH, check_new_password
from crmkit.core.permissions import SCOPES
from crmkit.core.tables import api_token, password, session, user, utcnow
from crmkit.core.users import get_user, update_user

if TYPE_CHECKING:
    from crmkit.app import Crm

HASHER = PasswordHasher()
"""argon2id with the library's current recommended parameters; older hashes are upgraded at login."""

SESSION_IDLE = timedelta(hours=8)
"""A session unused this long ends."""
SESSION_LIFETIME = timedelta(days=7)
"""A session ends this long after login however much it is used."""
SEEN_EVERY = timedelta(minutes=5)
"""A session's (or token's) last use is written at most this often: not one write per request."""

TOKEN_START = "crm_"


UNKNOWN_ADDRESS = "unknown"
"""The address of a login whose client address is not known: all such clients share it."""


@frozen
class LoginLimit:
    """How many failed logins within ``window`` refuse further attempts, and of whom.

    One address may try one username ``per_address_username`` times and all usernames
    together ``per_address`` times. So a client at one address can neither guess on at
    one account nor try many, and whoever fails an account's logins locks out only
    themselves: the account's owner logs in from another address as ever. Across all
    addresses an account may fail ``per_username`` times, far more than one address
    can add (at most ``per_address_username``), so that guessing spread over many
    addresses is slowed down, and locking an account out takes that many addresses.
    """

    per_address_username: int = 5
    per_address: int = 20
    per_username: int = 100
    window: timedelta = timedelta(minutes=15)

    def budgets(self, username: str, address: str | None) -> list[Budget]:
        """What a login attempt of ``username`` from ``address`` counts against."""
        # Usernames are counted case-blind so that "Admin" and "admin" share one budget.
        name, where = username.casefold(), client_key(address or UNKNOWN_ADDRESS)
        return [
            Budget("addr-user", f"{where} {name}", self._limit(self.per_address_username)),
            Budget("address", where, self._limit(self.per_address)),
            Budget("username", name, self._limit(self.per_username)),
        ]

    def _limit(self, attempts: int) -> Limit:
        return Limit(attempts, self.window)


LOGIN_LIMIT = LoginLimit()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- Users and passwords


def user_named(conn: Connection, username: str) -> Any:
    """The ``core_user`` row of ``username``; NotFound names the username."""
    row = conn.execute(select(user).where(user.c.username == username)).first()
    if row is None:
        raise NotFound(f"there is no user {username!r}")
    return row


def actor_for(row: Any, scopes: Sequence[str] | None = None) -> Actor:
    """The actor of a ``core_user`` row; ``scopes`` when it acts through an API token."""
    return Actor(
        user_id=row.id,
        username=row.username,
        role=row.role,
        team=row.team,
        territories=tuple(row.territories),
        scopes=None if scopes is None else tuple(scopes),
    )


def hash_password(plain: str, username: str) -> str:
    """The argon2 hash of ``plain``, refusing it unless it may be ``username``'s password.

    See :mod:`crmkit.core.passwords` for what is refused.
    """
    check_new_password(plain, username)
    return HASHER.hash(plain)


def set_password(tx: Transaction, user_id: int, plain: str) -> None:
    """Give the user a new password (see :func:`change_password`)."""
    change_password(tx, user_id, hash_password(plain, get_user(tx.conn, user_id).username))


def change_password(tx: Transaction, user_id: int, hashed: str) -> None:
    """Give the user a new password, hashed already: their sessions end, their API tokens too.

    The tokens are revoked unless the setting ``revoke_tokens_on_password_change`` is
    off: a password is changed when it may have leaked, and whoever had it could have
    made a token with it. The user's audit trail records when the password changed,
    never what it is.
    """
    before = tx.conn.execute(
        select(password.c.changed_at).where(password.c.user_id == user_id)
    ).scalar()
    changed_at = store_password_hash(tx, user_id, hashed)
    close_sessions(tx, user_id)
    audit.record(
        tx,
        "user",
        user_id,
        "updated",
        audit.diff({"password_changed_at": before}, {"password_changed_at": changed_at}),
    )
    settings = getattr(tx.app, "settings", None)
    if settings is None or settings.revoke_tokens_on_password_change:
        revoke_tokens_of(tx, user_id, now=changed_at)


def store_password_hash(tx: Transaction, user_id: int, hashed: str) -> datetime:
    """Store a password hashed already (outside the transaction, or once for many users).

    Only the storage: a change of password goes through :func:`change_password`.
    Returns the time stored as the password's change.
    """
    changed_at = utcnow()
    tx.conn.execute(delete(password).where(password.c.user_id == user_id))
    tx.conn.execute(insert(password).values(user_id=user_id, hash=hashed, changed_at=changed_at))
    return changed_at


@functools.cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, plain: str) -> bool:
    # An unknown user costs a verification too, so that timing does not tell who exists.
    try:
        return HASHER.verify(stored or _decoy_hash(HASHER), plain) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


# --- Sessions


@frozen
class NewSession:
    """A session just opened: ``token`` goes into the cookie and is not kept anywhere."""

    token: str
    user_id: int
    csrf_token: str
    expires_at: datetime


@frozen
class ActiveSession:
    """The session a request presented: who it is, and its CSRF token."""

    id: str
    actor: Actor
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@frozen
class Login:
    """The outcome of a login attempt: a session, or why not (``retry_after`` when rate-limited)."""

    session: NewSession | None = None
    retry_after: int | None = None


def attempt_login(
    app: Crm,
    username: str,
    plain: str,
    address: str | None = None,
    *,
    now: datetime | None = None,
    limit: LoginLimit = LOGIN_LIMIT,
) -> Login:
    """Check a password and open a session, or record the failure; over the limit, refuse.

    Over the limit the password is not even checked, so guessing on cannot succeed.
    Every attempt counts as a failure before its password is checked: argon2 is slow on
    purpose and runs outside any transaction (on SQLite a transaction holds the write
    lock), yet attempts in flight at the same moment cannot together try more passwords
    than the limit allows. A success forgets the failures of its username at its address
    and gives back its own attempt; the address and the account keep the others'
    failures, so that a valid account cannot reset the budget guarding every other one,
    nor its owner the budget slowing down guessing from elsewhere.
    """
    now = now or utcnow()
    budgets = limit.budgets(username, address)
    with app.transaction() as tx:
        wait = take_attempt(tx, budgets, now)
    if wait is not None:
        return Login(retry_after=wait)
    with app.read() as conn:
        row = conn.execute(
            select(user.c.id, user.c.active, password.c.hash)
            .select_from(user.outerjoin(password, password.c.user_id == user.c.id))
            .where(user.c.username == username)
        ).first()
    stored = row.hash if row is not None else None
    verified = _verify(stored, plain[:MAX_PASSWORD_LENGTH])
    if not verified or row is None or stored is None or not row.active:
        return Login()
    upgraded = HASHER.hash(plain) if HASHER.check_needs_rehash(stored) else None
    with app.transaction() as tx:
        for budget in budgets:
            if budget.kind == "addr-user":
                forget_attempts(tx, [budget])
            else:
                return_attempt(tx, budget, now)
        if upgraded is not None:
            store_password_hash(tx, row.id, upgraded)
        return Login(session=open_session(tx, row.id, now=now))


def open_session(tx: Transaction, user_id: int, *, now: datetime | None = None) -> NewSession:
    """A new session for ``user_id``; only the hash of its token is stored."""
    now = now or utcnow()
    # Ended sessions are dropped whenever one opens, so no job is needed to bound the table.
    tx.conn.execute(delete(session).where(session.c.expires_at <= now))
    token = secrets.token_urlsafe(32)
    opened = NewSession(
        token=token,
        user_id=user_id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + SESSION_IDLE,
    )
    tx.conn.execute(
        insert(session).values(
            id=_digest(token),
            user_id=user_id,
            csrf_token=opened.csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=opened.expires_at,
        )
    )
    return opened


def find_session(
    conn: Connection, token: str, *, now: datetime | None = None
) -> ActiveSession | None:
    """The unexpired session of an active user that ``token`` opens, else None."""
    now = now or utcnow()
    row = conn.execute(
        select(user, session.c.id.label("session_id"), session.c.csrf_token)
        .add_columns(session.c.created_at.label("opened_at"), session.c.last_seen_at)
        .select_from(session.join(user, user.c.id == session.c.user_id))
        .where(session.c.id == _digest(token), session.c.expires_at > now, user.c.active)
    ).first()
    if row is None:
        return None
    return ActiveSession(
        id=row.session_id,
        actor=actor_for(row),
        csrf_token=row.csrf_token,
        created_at=row.opened_at,
        last_seen_at=row.last_seen_at,
    )


def needs_touch(last_seen_at: datetime | None, now: datetime) -> bool:
    """Whether a session's or token's last use is old enough to be written again."""
    return last_seen_at is None or now - last_seen_at >= SEEN_EVERY


def touch_session(tx: Transaction, active: ActiveSession, *, now: datetime | None = None) -> None:
    """Record a use of the session, pushing its idle expiry out (never past its lifetime)."""
    now = now or utcnow()
    expires = min(now + SESSION_IDLE, active.created_at + SESSION_LIFETIME)
    tx.conn.execute(
        update(session)
        .where(session.c.id == active.id)
        .values(last_seen_at=now, expires_at=expires)
    )


def close_session(tx: Transaction, token: str) -> None:
    """End the session ``token`` opened (logout); an unknown token is already closed."""
    tx.conn.execute(delete(session).where(session.c.id == _digest(token)))


def close_sessions(tx: Transaction, user_id: int) -> None:
    """End every session of a user (new password, deactivation)."""
    tx.conn.execute(delete(session).where(session.c.user_id == user_id))


# --- API tokens


@frozen
class NewToken:
    """A token just created: ``token`` is shown once and never stored."""

    id: int
    token: str
    prefix: str
    expires_at: datetime | None


@frozen
class TokenInfo:
    """What is kept about a token: everything but its secret."""

    id: int
    prefix: str
    username: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@frozen
class TokenUse:
    """The token a request presented and the actor it acts for."""

    id: int
    actor: Actor
    last_used_at: datetime | None
    expires_at: datetime | None = None


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """``scopes`` without repeats, each a known one."""
    chosen: list[str] = []
    for scope in scopes:
        if scope not in SCOPES:
            raise ValidationError("scope", f"{scope!r} is not one of {', '.join(SCOPES)}")
        if scope not in chosen:
            chosen.append(scope)
    return tuple(chosen)


def create_token(
    tx: Transaction,
    username: str,
    name: str,
    scopes: Iterable[str] = ("read",),
    *,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> NewToken:
    """A new API token for ``username``: ``crm_<prefix>_<secret>``, stored as prefix and hash."""
    now = now or utcnow()
    owner = user_named(tx.conn, username)
    if not owner.active:
        raise ValidationError("username", f"user {username!r} is deactivated")
    if not name.strip():
        raise ValidationError("name", "is required: say what the token is for")
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationError("expires", "must be at least one day")
    chosen = check_scopes(scopes) or ("read",)
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = now + expires_in if expires_in is not None else None
    token_id = tx.conn.execute(
        insert(api_token)
        .values(
            prefix=prefix,
            secret_hash=_digest(token),
            user_id=owner.id,
            name=name.strip(),
            scopes=list(chosen),
            created_at=now,
            expires_at=expires_at,
        )
        .returning(api_token.c.id)
    ).scalar_one()
    issued = {"name": name.strip(), "scopes": list(chosen), "expires_at": expires_at}
    audit.record(tx, "user", owner.id, "updated", audit.diff({}, {_token_field(prefix): issued}))
    return NewToken(id=token_id, token=token, prefix=prefix, expires_at=expires_at)


def _token_field(prefix: str) -> str:
    """How a user's audit trail names one of their API tokens: by its prefix, never its secret."""
    return f"api_token {prefix}"


def _record_revoked(tx: Transaction, user_id: int, prefixes: Iterable[str], at: datetime) -> None:
    revoked = {f"{_token_field(p)} revoked_at": at for p in prefixes}
    if revoked:
        audit.record(tx, "user", user_id, "updated", audit.diff({}, revoked))


def _token_prefix(token: str) -> str | None:
    if not token.startswith(TOKEN_START):
        return None
    prefix, _, secret = token[len(TOKEN_START) :].partition("_")
    return prefix if prefix and secret else None


def find_token(conn: Connection, token: str, *, now: datetime | None = None) -> TokenUse | None:
    """The unrevoked, unexpired token of an active user that ``token`` is, else None."""
    now = now or utcnow()
    prefix = _token_prefix(token)
    if prefix is None:
        return None
    row = conn.execute(
        select(user)
        .add_columns(
            api_token.c.id.label("token_id"),
            api_token.c.secret_hash,
            api_token.c.scopes,
            api_token.c.last_used_at,
            api_token.c.expires_at,
        )
        .select_from(api_token.join(user, user.c.id == api_token.c.user_id))
        .where(
            api_token.c.prefix == prefix,
            api_token.c.revoked_at.is_(None),
            or_(api_token.c.expires_at.is_(None), api_token.c.expires_at > now),
            user.c.active,
        )
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(token)):
        return None
    return TokenUse(
        id=row.token_id,
        actor=actor_for(row, row.scopes),
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
    )


def recent_token_actor(app: Crm, token: str, *, now: datetime | None = None) -> Actor | None:
    """The actor of ``token`` if it was found valid in the last seconds, else None; no query.

    None does not mean invalid: ask :func:`use_token`.
    """
    digest = _digest(token)
    recalled, _ = recent_tokens.recall(app.engine.url.render_as_string(), digest, now or utcnow())
    return recalled


def use_token(app: Crm, token: str, *, now: datetime | None = None) -> Actor | None:
    """The actor of a valid ``token``, its use recorded; recently found tokens are not queried.

    See :mod:`crmkit.core.recent_tokens` for how soon a revocation takes effect.
    """
    now = now or utcnow()
    database, digest = app.engine.url.render_as_string(), _digest(token)
    recalled, generation = recent_tokens.recall(database, digest, now)
    if recalled is not None:
        return recalled
    with app.read() as conn:
        use = find_token(conn, token, now=now)
    if use is None:
        return None
    if needs_touch(use.last_used_at, now):
        with app.transaction() as tx:
            touch_token(tx, use.id, now=now)
    trusted_until = now + recent_tokens.TRUSTED_FOR
    if use.expires_at is not None:
        trusted_until = min(trusted_until, use.expires_at)
    recent_tokens.remember(database, digest, use.actor, until=trusted_until, generation=generation)
    return use.actor


def touch_token(tx: Transaction, token_id: int, *, now: datetime | None = None) -> None:
    """Record a use of the token (shown by ``crmkit tokens list``)."""
    tx.conn.execute(
        update(api_token).where(api_token.c.id == token_id).values(last_used_at=now or utcnow())
    )


def _token_query() -> Any:
    return (
        select(api_token, user.c.username)
        .select_from(api_token.join(user, user.c.id == api_token.c.user_id))
        .order_by(api_token.c.id)
    )


def _token_info(row: Any) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        prefix=row.prefix,
        username=row.username,
        name=row.name,
        scopes=tuple(row.scopes),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def list_tokens(conn: Connection, username: str | None = None) -> list[TokenInfo]:
    """Every token (of ``username``), oldest first, without secrets."""
    query = _token_query()
    if username is not None:
        query = query.where(api_token.c.user_id == user_named(conn, username).id)
    return [_token_info(row) for row in conn.execute(query)]


def revoke_token(tx: Transaction, id_or_prefix: str, *, now: datetime | None = None) -> TokenInfo:
    """Revoke a token named by its id or its prefix; revoking twice keeps the first time."""
    which = api_token.c.prefix == id_or_prefix.removeprefix(TOKEN_START)
    if id_or_prefix.isdigit():
        which = or_(which, api_token.c.id == int(id_or_prefix))
    rows = tx.conn.execute(_token_query().where(which)).all()
    if not rows:
        raise NotFound(f"there is no token with id or prefix {id_or_prefix!r}")
    if len(rows) > 1:
        raise ValidationError(
            "token", f"{id_or_prefix!r} is the id of one token and the prefix of another"
        )
    found = rows[0]
    if found.revoked_at is None:
        _revoke(tx, found.user_id, api_token.c.id == found.id, now or utcnow())
        found = tx.conn.execute(_token_query().where(api_token.c.id == found.id)).one()
    return _token_info(found)


def revoke_tokens_of(tx: Transaction, user_id: int, *, now: datetime | None = None) -> None:
    """Revoke every token of a user still valid (deactivation, new password)."""
    _revoke(tx, user_id, api_token.c.user_id == user_id, now or utcnow())


def _revoke(tx: Transaction, user_id: int, which: ColumnElement[bool], now: datetime) -> None:
    """Revoke the unrevoked tokens of ``user_id`` that ``which`` selects, in the audit trail too."""
    revoked = tx.conn.execute(
        update(api_token)
        .where(which, api_token.c.user_id == user_id, api_token.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(api_token.c.prefix)
    ).scalars()
    _record_revoked(tx, user_id, list(revoked), now)
    # Dropped after commit: a request reading the old row meanwhile must not cache it again.
    tx.after_commit.append(recent_tokens.forget_all)


# --- Deactivation


def deactivate_user(tx: Transaction, username: str, *, now: datetime | None = None) -> None:
    """Deactivate a user: their sessions end and their tokens are revoked at once."""
    row = user_named(tx.conn, username)
    if row.active:
        update_user(tx, row.id, {"active": False}, row.version)
    close_sessions(tx, row.id)
    revoke_tokens_of(tx, row.id, now=now)
