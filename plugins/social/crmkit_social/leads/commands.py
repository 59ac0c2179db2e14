"""``crmkit social leads-backfill``: take the leads of a form that no webhook announced."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from crmkit import Crm


@click.command("leads-backfill")
@click.option("--page", "page_id", required=True, help="The page id the form belongs to")
@click.option("--form", "form_id", required=True, help="The Lead Ads form id")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only leads created after this (UTC)  [default: all the form's leads]",
)
@click.pass_obj
def leads_backfill(app: Crm, page_id: str, form_id: str, since: datetime | None) -> None:
    """Take a form's leads from Graph that were not taken yet (each once, whatever runs again)."""
    from crmkit_social.accounts.graph import GraphError
    from crmkit_social.leads.backfill import backfill

    try:
        done = backfill(app, page_id, form_id, since.replace(tzinfo=UTC) if since else None)
    except GraphError as error:
        raise click.ClickException(
            f"Graph refused: {error} (nothing is taken twice: run again)"
        ) from None
    for reason in done.failed:
        click.echo(f"failed {reason}", err=True)
    click.echo(f"taken {done.taken}, known already {done.known}, failed {len(done.failed)}")
    if done.failed:
        raise SystemExit(1)


COMMANDS = [leads_backfill]
