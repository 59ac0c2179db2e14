"""``crmkit users``: add users, list them, set a password, deactivate; passwords come from stdin."""

from __future__ import annotations

import sys

import click

from crmkit.cli.context import get_app
from crmkit.core import auth
from crmkit.core.entities import User
from crmkit.core.permissions import ROLES
from crmkit.core.users import create_user, list_users


def read_password() -> str:
    """A new password: typed twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        typed: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return typed
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("no password on standard input")
    return line.rstrip("\r\n")


@click.group()
def users() -> None:
    """The people who work in the CRM."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they may do.")
@click.option("--display-name", help="The name people see (default: the username).")
@click.option("--email")
@click.option("--team")
@click.option("--territory", "territories", multiple=True, help="Repeat for several.")
@click.option("--manager", metavar="USERNAME", help="Their manager, an existing user.")
def add(
    username: str,
    role: str,
    display_name: str | None,
    email: str | None,
    team: str | None,
    territories: tuple[str, ...],
    manager: str | None,
) -> None:
    """Add a user; the password is read from standard input."""
    # Hashed before the transaction opens: argon2 is slow on purpose, the write lock need not wait.
    hashed = auth.hash_password(read_password(), username)
    with get_app().transaction() as tx:
        manager_id = auth.user_named(tx.conn, manager).id if manager else None
        created = create_user(
            tx,
            User(
                username=username,
                display_name=display_name or username,
                email=email,
                role=role,
                team=team,
                territories=territories,
                manager_id=manager_id,
            ),
        )
        assert created.id is not None
        auth.store_password_hash(tx, created.id, hashed)
    click.echo(f"added user {username} ({role})")


@users.command("list")
def list_() -> None:
    """Every user: username, role, name, team, territories and whether they are active."""
    with get_app().read() as conn:
        everyone = list_users(conn)
    for u in everyone:
        state = "active" if u.active else "deactivated"
        where = ",".join(u.territories) or "-"
        click.echo(f"{u.username}\t{u.role}\t{u.display_name}\t{u.team or '-'}\t{where}\t{state}")


@users.command("passwd")
@click.argument("username")
def passwd(username: str) -> None:
    """Set a user's password (from standard input); their sessions end, their API tokens too.

    The tokens go on working when the setting ``revoke_tokens_on_password_change`` is off.
    """
    app = get_app()
    hashed = auth.hash_password(read_password(), username)
    with app.transaction() as tx:
        auth.change_password(tx, auth.user_named(tx.conn, username).id, hashed)
    revoked = ", their API tokens revoked" if app.settings.revoke_tokens_on_password_change else ""
    click.echo(f"password of {username} changed; their sessions have ended{revoked}")


@users.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Deactivate a user: they cannot log in, their sessions end and their tokens are revoked."""
    with get_app().transaction() as tx:
        auth.deactivate_user(tx, username)
    click.echo(f"deactivated {username}")
