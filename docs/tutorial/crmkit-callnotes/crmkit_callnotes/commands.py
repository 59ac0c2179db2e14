"""``crmkit callnotes …``: the plugin's command-line group."""

from __future__ import annotations

from datetime import datetime

import click

from crmkit import Crm, utcnow
from crmkit_callnotes import service


@click.command()
@click.option(
    "--by",
    "due_by",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Due on or before this day (YYYY-MM-DD)  [default: today]",
)
@click.pass_obj
def due(app: Crm, due_by: datetime | None) -> None:
    """List the open follow-ups that are due, oldest first."""
    day = due_by.date() if due_by else utcnow().date()
    with app.read() as conn:
        follow_ups = service.open_follow_ups(conn, day)
    for item in follow_ups:
        click.echo(f"{item.due_on}  {item.party_name} (party {item.party_id})")
    click.echo(f"{len(follow_ups)} follow-up(s) due by {day}")
