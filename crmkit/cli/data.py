"""``crmkit import`` and ``crmkit export``: thin shells over the import and export services."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from crmkit.cli import context
from crmkit.core.errors import ValidationError
from crmkit.core.exporting import EXPORT_FORMATS, EXPORTABLE, PartySelection, export_records
from crmkit.core.import_profiles import import_profile
from crmkit.core.importing import (
    IMPORT_FORMATS,
    MAX_BATCH_SIZE,
    ImportOptions,
    ImportResult,
    import_parties,
)
from crmkit.core.vcard import VERSIONS

ROLES = {"customers": "customer", "prospects": "prospect"}


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, equals, target = pair.rpartition("=")
        if not equals or not column or not target:
            raise click.BadParameter(f"{pair!r} is not CSVCOLUMN=FIELD", param_hint="--map")
        mapping[column] = target
    return mapping


def _profile(ctx: click.Context, param: click.Parameter, name: str | None) -> str | None:
    """The profile's name if the CRM knows it (the kernel's or a plugin's)."""
    if name is None:
        return None
    try:
        return import_profile(context.get_app().import_profiles, name).name
    except ValidationError as exc:
        raise click.BadParameter(exc.reason) from None


def _summary(result: ImportResult) -> str:
    summary = (
        f"created {result.created}, skipped as already imported {result.skipped}, "
        f"rejected {result.rejected}"
    )
    if result.merged or result.reviews:
        summary += f", merged into existing {result.merged}, to review {result.reviews}"
    return summary


@click.command("import")
@click.argument("what", type=click.Choice(sorted(ROLES)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="CSVCOLUMN=FIELD",
    help="Read FIELD from CSVCOLUMN (repeatable); other columns named like a field are read too.",
)
@click.option(
    "--profile",
    metavar="NAME",
    callback=_profile,
    help="Read another CRM's export: its column names, record ids, statuses and opt-outs"
    " (salesforce, hubspot, or a plugin's profile).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    help="csv or vcard [default: vcard for .vcf and .vcard files, else csv].",
)
@click.option("--delimiter", default=",", show_default=True, help="The column separator.")
@click.option("--encoding", default="utf-8", show_default=True, help="The file's text encoding.")
@click.option(
    "--key",
    metavar="COLUMN",
    help="A column with the source system's id; without it a hash of the row is the key.",
)
@click.option(
    "--region", help="Region of phone numbers without a country code [default: from settings]."
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where rejected rows go [default: FILE.rejects.csv].",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH_SIZE),
    default=1000,
    show_default=True,
    help="Rows per transaction.",
)
@click.option(
    "--workers",
    type=click.IntRange(0),
    help="Processes validating rows; 0 validates in this one [default: by file size and CPUs].",
)
def import_(
    what: str,
    file: Path,
    pairs: tuple[str, ...],
    profile: str | None,
    fmt: str | None,
    delimiter: str,
    encoding: str,
    key: str | None,
    region: str | None,
    rejects: Path | None,
    batch_size: int,
    workers: int | None,
) -> None:
    """Import customers or prospects from a CSV or vCard file; running it again imports nothing twice.

    CSV fields: first_name, last_name, organisation_name, kind, birth_date, email(s),
    phone(s) (several in one cell separated by ';'), street, street_number,
    address_line2, postcode, city, region, country, source, status (prospects),
    customer_number (customers), owner (a username) and custom fields by name.
    --profile salesforce or hubspot (or a profile a plugin adds) reads that product's
    export as it is.

    vCard 3.0 and 4.0 (and 2.1) files: one party per card, keyed by its UID.
    """
    options = ImportOptions(
        mapping=_mapping(pairs),
        delimiter=delimiter,
        encoding=encoding,
        key=key,
        region=region,
        rejects=rejects,
        batch_size=batch_size,
        workers=workers,
        profile=profile,
        format=fmt,
    )
    app = context.get_app()
    size = file.stat().st_size if file.is_file() else 0
    columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=size)

        def advance(result: ImportResult, done: int) -> None:
            bar.update(task, completed=done, description=_summary(result))

        result = import_parties(app, ROLES[what], file, options, progress=advance)
    if result.ignored_columns:
        click.echo(f"ignored columns: {', '.join(result.ignored_columns)}")
    click.echo(_summary(result))
    if result.rejected:
        click.echo(f"rejected rows are in {result.rejects_path}")


@click.command("export")
@click.argument("what", type=click.Choice(EXPORTABLE))
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True
)
@click.option(
    "--vcard-version",
    type=click.Choice(VERSIONS),
    default="4.0",
    show_default=True,
    help="The vCard version written with --format vcard.",
)
@click.option(
    "--id",
    "ids",
    type=click.IntRange(1),
    multiple=True,
    help="Only the customer or prospect with this id (repeatable).",
)
@click.option("--search", help="Only customers or prospects a search for these words finds.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file [default: standard output].",
)
def export(
    what: str,
    fmt: str,
    vcard_version: str,
    ids: tuple[int, ...],
    search: str | None,
    output: Path | None,
) -> None:
    """Export customers, prospects or interactions as CSV, JSON lines or vCard, streamed.

    A customers or prospects CSV or vCard export can be imported back as it is.
    """
    app = context.get_app()
    selection = PartySelection(ids, search) if ids or search is not None else None

    def write(out: IO[str]) -> int:
        return export_records(app, what, fmt, out, selection=selection, vcard_version=vcard_version)

    if output is None:
        write(sys.stdout)
        return
    with output.open("w", newline="", encoding="utf-8") as out:
        count = write(out)
    click.echo(f"exported {count} {what} to {output}", err=True)
