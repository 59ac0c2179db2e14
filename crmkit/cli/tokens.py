"""``crmkit tokens``: API tokens, shown once when created, listed without secrets, revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from crmkit.cli.context import get_app
from crmkit.core import auth
from crmkit.core.tables import utcnow


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


@click.group()
def tokens() -> None:
    """API tokens: ``Authorization: Bearer <token>`` for programs calling the API."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. the program using it.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(auth.SCOPES),
    help="read (default), write (includes read) or admin (includes both); repeatable.",
)
@click.option("--expires", type=click.IntRange(1), metavar="DAYS", help="Valid for DAYS days.")
def create(username: str, name: str, scopes: tuple[str, ...], expires: int | None) -> None:
    """Create a token for USERNAME; it is printed once, on standard output, and never again."""
    expires_in = timedelta(days=expires) if expires is not None else None
    with get_app().transaction() as tx:
        new = auth.create_token(tx, username, name, scopes or ("read",), expires_in=expires_in)
    until = f"expires {_when(new.expires_at)} UTC" if new.expires_at else "does not expire"
    click.echo(
        f"token {new.id} ({auth.TOKEN_START}{new.prefix}…) for {username}, {until}. "
        "Store it now: it cannot be shown again.",
        err=True,
    )
    click.echo(new.token)


@tokens.command("list")
@click.argument("username", required=False)
def list_(username: str | None) -> None:
    """Every token (of USERNAME): id, prefix, user, name, scopes, state, created, expires, last used."""
    now = utcnow()
    with get_app().read() as conn:
        found = auth.list_tokens(conn, username)
    for t in found:
        click.echo(
            "\t".join(
                (
                    str(t.id),
                    t.prefix,
                    t.username,
                    t.name,
                    ",".join(t.scopes),
                    t.state(now),
                    _when(t.created_at),
                    _when(t.expires_at),
                    _when(t.last_used_at),
                )
            )
        )


@tokens.command("revoke")
@click.argument("token", metavar="ID|PREFIX")
def revoke(token: str) -> None:
    """Revoke a token at once: requests carrying it get 401 from now on."""
    with get_app().transaction() as tx:
        revoked = auth.revoke_token(tx, token)
    click.echo(f"revoked token {revoked.id} ({revoked.prefix}) of {revoked.username}")
