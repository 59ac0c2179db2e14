"""``crmkit erp_sap sync``: pull business partners now, with a progress display."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crmkit import ConfigurationError, Crm
from crmkit_erp_sap.partners.runs import SyncRun
from crmkit_erp_sap.partners.sync import sync


def _counts(run: SyncRun) -> str:
    return (
        f"created {run.created}, updated {run.updated}, unchanged {run.unchanged},"
        f" failed {run.failed}"
    )


@click.command("sync")
@click.option(
    "--full", is_flag=True, help="Pull every partner, not only those changed since the last run."
)
@click.option(
    "--system", default=None, help="The SAP system id (default: the only one configured)."
)
@click.pass_obj
def sync_command(app: Crm, full: bool, system: str | None) -> None:
    """Pull SAP business partners (with addresses, e-mails, phones, customer data) into
    parties; a delta from the last committed page unless --full."""
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("pulling partners", total=None)

        def shown(run: SyncRun) -> None:
            bar.update(task, description=f"run {run.id}: {_counts(run)}")

        try:
            run = sync(app, system, full=full, trigger="cli", progress=shown)
        except ConfigurationError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"run {run.id} ({run.kind}, {run.system}) {run.status}: {_counts(run)}")
    if run.status != "finished":
        raise click.ClickException(run.error or run.status)


COMMANDS = [sync_command]
