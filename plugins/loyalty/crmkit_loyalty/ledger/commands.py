"""``crmkit loyalty check``: recompute every balance and lot from the ledger."""

from __future__ import annotations

import click

from crmkit import Crm
from crmkit_loyalty.ledger.check import mismatches


@click.command("check")
@click.pass_obj
def check(app: Crm) -> None:
    """Recompute each member's balance from its entries and each lot's remaining points from
    its allocations; list every mismatch and exit with status 1 if there is one."""
    with app.read() as conn:
        found = mismatches(conn)
    for mismatch in found:
        click.echo(str(mismatch))
    if found:
        raise click.ClickException(f"{len(found)} mismatch(es): the ledger does not balance")
    click.echo("the ledger balances: every balance and lot agrees with the entries")


COMMANDS = [check]
