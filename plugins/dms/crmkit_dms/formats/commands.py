"""``crmkit dms import FILE --source NAME``: take in an ADF or STAR document from a file, as if
its source had posted it; ``crmkit dms send-leads``: export due leads to partners' DMS now."""

from __future__ import annotations

import json
from pathlib import Path

import click

from crmkit import SYSTEM, Crm, ValidationError
from crmkit_dms.formats.outbound import send_due, write_due
from crmkit_dms.formats.receiving import receive_in_own_transaction, settings_of


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", required=True, help="The sender the document came from, e.g. autotrader")
@click.option("--format", "fmt", type=click.Choice(["adf", "star"]), help="Default: by its root")
@click.pass_obj
def import_document(app: Crm, path: Path, source: str, fmt: str | None) -> None:
    """Take in one ADF or STAR document (a lead provider's export, a DMS's file); print what
    became of each lead as JSON. The same file again takes nothing twice."""
    limit = settings_of(app).max_document_bytes
    if path.stat().st_size > limit:
        raise click.ClickException(f"{path}: larger than max_document_bytes ({limit})")
    try:
        found = receive_in_own_transaction(app, SYSTEM, path.read_bytes(), source=source, fmt=fmt)
    except ValidationError as refused:
        raise click.ClickException(f"{path}: {refused.reason}") from None
    click.echo(json.dumps(found.as_json(), indent=2))


@click.command("send-leads")
@click.pass_obj
def send_leads(app: Crm) -> None:
    """Write and send the leads offered to partners with an ADF endpoint (as the job does)."""
    written = write_due(app)
    delivered = send_due(app)
    click.echo(f"{written} lead(s) written, {delivered} delivered")


COMMANDS = [import_document, send_leads]
