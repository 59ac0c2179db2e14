"""``crmkit channels suppression list|remove``: the suppression list from the command line.

The command line is the server's operator, who acts as the system.
"""

from __future__ import annotations

import click

from crmkit import Crm, NotFound
from crmkit_channels.suppression import list_suppressions, remove_suppression


@click.group("suppression")
def suppression_group() -> None:
    """The addresses no email is sent to (hard bounces, spam complaints)."""


@suppression_group.command("list")
@click.pass_obj
def list_command(app: Crm) -> None:
    """Print each entry: id, address (blank once erased), reason, detail, date."""
    with app.transaction() as tx:
        entries = list_suppressions(tx)
    for e in entries:
        address = e.address or "(erased: kept as a hash)"
        click.echo(f"{e.id}\t{address}\t{e.reason}\t{e.detail or ''}\t{e.created_at.isoformat()}")


@suppression_group.command("remove")
@click.argument("entry_id", type=int)
@click.pass_obj
def remove_command(app: Crm, entry_id: int) -> None:
    """Take entry ENTRY_ID off the list: the address may be emailed again."""
    try:
        with app.transaction() as tx:
            remove_suppression(tx, entry_id)
    except NotFound as exc:
        raise click.BadParameter(exc.message, param_hint="ENTRY_ID") from None
    click.echo(f"removed suppression entry {entry_id}", err=True)
