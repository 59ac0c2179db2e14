"""``crmkit erp_sap idoc import [FILE...]`` and ``crmkit erp_sap idoc export --order N``."""

from __future__ import annotations

from pathlib import Path

import click

from crmkit import SYSTEM, Crm, CrmError, utcnow
from crmkit_erp_sap.idoc.files import IdocFile, record_export
from crmkit_erp_sap.idoc.intake import Taken, sap_system, take_in, take_in_inbox
from crmkit_erp_sap.idoc.orders_out import docnum_of, orders05


def _taken_line(taken: Taken) -> str:
    if taken.again:
        return (
            f"{taken.name}: already taken in as file {taken.file.id} ({taken.file.name}),"
            " not applied again"
        )
    return _line(taken.file)


def _line(found: IdocFile) -> str:
    counts = f"{found.applied} applied, {found.unchanged} unchanged, {found.failed} failed"
    error = f": {found.error}" if found.error else ""
    return f"{found.name}: {found.status} ({found.message_type or '-'}; {counts}){error}"


@click.group("idoc")
def idoc() -> None:
    """IDoc XML files: DEBMAS and ORDERS05 in, ORDERS05 out."""


@idoc.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_command(app: Crm, files: tuple[Path, ...]) -> None:
    """Take in FILES (left where they are), or without FILES every file of the inbox (moved to
    done/ or failed/). A file taken in before is not applied again. Exits 1 if one failed."""
    try:
        found = [take_in(app, path, None) for path in files] if files else take_in_inbox(app)
    except CrmError as exc:
        raise click.ClickException(str(exc)) from None
    if not files and not found:
        click.echo("no IDoc file waiting (or no [plugins.erp_sap.idoc] inbox set)")
    for each in found:
        click.echo(_taken_line(each))
    if any(each.file.status != "imported" for each in found):
        raise SystemExit(1)


@idoc.command("export")
@click.option(
    "--order", "order_id", type=click.IntRange(min=1), required=True, help="The sfa order's id"
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not to stdout"
)
@click.pass_obj
def export_command(app: Crm, order_id: int, out: Path | None) -> None:
    """Write the ORDERS05 IDoc XML of an sfa order."""
    try:
        with app.read() as conn:
            content = orders05(app, conn, SYSTEM, order_id, sap_system(app), utcnow())
    except CrmError as exc:
        raise click.ClickException(str(exc)) from None
    if out is None:
        click.echo(content.decode(), nl=False)
        return
    out.write_bytes(content)
    with app.transaction() as tx:
        record_export(tx, out.name, content, docnum_of(order_id), "ORDERS")
    click.echo(f"order {order_id} written to {out}")


COMMANDS = [idoc]
