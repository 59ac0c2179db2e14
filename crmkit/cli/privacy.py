"""``crmkit privacy``: a person's data request from the shell, run as a named user.

Each command acts as the user given with ``--as``, under that user's permissions and
record rules, so that the audit trail says who exported or erased the party.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import click
from sqlalchemy import Connection

from crmkit.app import Crm
from crmkit.cli.context import get_app
from crmkit.core import auth
from crmkit.core.actors import Actor
from crmkit.core.entities import Party
from crmkit.core.errors import NotFound
from crmkit.core.parties import get_party
from crmkit.core.permissions import is_allowed, require
from crmkit.core.privacy import erase_party, export_on_request, export_text

acting_user = click.option(
    "--as",
    "username",
    required=True,
    metavar="USERNAME",
    help="The user doing this, named in the audit trail; their permissions apply.",
)


def _actor(app: Crm, username: str) -> Actor:
    with app.read() as conn:
        row = auth.user_named(conn, username)
    if not row.active:
        raise click.ClickException(f"user {username} is deactivated")
    return auth.actor_for(row)


def _party(app: Crm, conn: Connection, actor: Actor, party_id: int, action: str) -> Party:
    """The party, if ``actor`` may see it (else not found, as in the API) and may ``action`` it."""
    entity = get_party(conn, party_id)
    if not is_allowed(app.host, actor, "core:party.read", entity, conn=conn):
        raise NotFound(f"party {party_id} does not exist")
    require(app.host, actor, action, entity, conn=conn)
    return entity


def _private_file(path: Path) -> IO[str]:
    """``path`` opened for writing, readable by its owner alone: an export is personal data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file that was there keeps its mode otherwise
    return os.fdopen(descriptor, "w", encoding="utf-8")


@click.group()
def privacy() -> None:
    """A person's data requests: export everything held on them, or erase it."""


@privacy.command("export")
@click.argument("party_id", metavar="PARTY", type=click.IntRange(1))
@acting_user
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file, readable by you alone [default: standard output].",
)
def export(party_id: int, username: str, output: Path | None) -> None:
    """Export everything the CRM and its plugins hold on PARTY as one JSON document.

    Needs core:party.export; the export is recorded in the party's audit trail.
    """
    app = get_app()
    actor = _actor(app, username)
    # Written before the transaction commits: an export that could not be written is not
    # recorded as made.
    with app.transaction(actor) as tx:
        _party(app, tx.conn, actor, party_id, "core:party.export")
        text = export_text(export_on_request(tx, party_id))
        if output is None:
            click.echo(text, nl=False)
        else:
            with _private_file(output) as out:
                out.write(text)
    if output is not None:
        click.echo(f"exported party {party_id} to {output}", err=True)


@privacy.command("erase")
@click.argument("party_id", metavar="PARTY", type=click.IntRange(1))
@acting_user
@click.option(
    "--expected-version",
    type=click.IntRange(1),
    help="Erase only if the party is still at this version [default: the version shown].",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(party_id: int, username: str, expected_version: int | None, yes: bool) -> None:
    """Erase PARTY and everything the CRM and its plugins hold on them; it cannot be undone.

    Needs core:party.write, as deleting the party through the API does.
    """
    app = get_app()
    actor = _actor(app, username)
    with app.read() as conn:
        entity = _party(app, conn, actor, party_id, "core:party.write")
    if not yes:
        click.confirm(
            f"Erase {entity.role} {party_id} ({entity.display_name}) and everything held on them?",
            abort=True,
        )
    # What was confirmed is what is erased: a change made meanwhile keeps the party.
    version = expected_version if expected_version is not None else entity.version
    with app.transaction(actor) as tx:
        _party(app, tx.conn, actor, party_id, "core:party.write")
        erase_party(tx, party_id, version)
    click.echo(f"erased {entity.role} {party_id}")
