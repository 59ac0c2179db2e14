"""The rollups part's command under ``crmkit analytics``: rebuild the rollups.

It runs as the operator (the system actor): whoever runs it administers the CRM.
"""

from __future__ import annotations

import json

import click

from crmkit import Crm, CrmError
from crmkit_analytics.rollups import feed


@click.command("rebuild")
@click.option("--source", "source_name", default=None, help="Rebuild this source only.")
@click.pass_obj
def rebuild(app: Crm, source_name: str | None) -> None:
    """Recompute the rollups (and purchases) of every source, or of one, from the tables of
    the plugins that publish them. Prints what each source wrote, as JSON on its last line."""
    try:
        done = feed.rebuild(app, source_name)
    except CrmError as exc:
        raise click.ClickException(exc.message) from None
    for name, counts in done.items():
        click.echo(f"{name}\t{counts['cells']} cells\t{counts['purchases']} purchase lines")
    click.echo(json.dumps(done, sort_keys=True))


COMMANDS = [rebuild]
