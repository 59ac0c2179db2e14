"""``crmkit match``: duplicates within a CSV file, without importing it; a shell over core matching."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from crmkit.app import Crm
from crmkit.cli.data import _mapping
from crmkit.core.matching import DEFAULT_MATCH_CONFIG
from crmkit.core.matching.batch import match_indexed, pairs_of_ids
from crmkit.core.matching.source import read_records
from crmkit.core.settings import load_settings


def _default_region() -> str:
    given = click.get_current_context().find_root().obj
    settings = given.settings if isinstance(given, Crm) else load_settings()
    return settings.default_region


@click.command("match")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--id", "id_column", required=True, metavar="COLUMN", help="The column of record ids."
)
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="CSVCOLUMN=FIELD",
    help="Read FIELD from CSVCOLUMN (repeatable); columns named like a field are read too.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where the pairs go (CSV: id_a,id_b,score).",
)
@click.option(
    "--review",
    is_flag=True,
    help="Also write the pairs a person should decide on (the review threshold, not auto-merge).",
)
@click.option(
    "--region", help="Region of phone numbers without a country code [default: from settings]."
)
@click.option("--delimiter", default=",", show_default=True, help="The column separator.")
@click.option("--encoding", default="utf-8", show_default=True, help="The file's text encoding.")
@click.option(
    "--workers",
    type=click.IntRange(0),
    help="Worker processes; 0 works in this one [default: one per CPU for large files].",
)
@click.option(
    "--estimate-weights",
    is_flag=True,
    help="Weigh comparisons as estimated from the file's own pairs (EM), not as single intake does.",
)
def match(
    file: Path,
    id_column: str,
    pairs: tuple[str, ...],
    out: Path,
    review: bool,
    region: str | None,
    delimiter: str,
    encoding: str,
    workers: int | None,
    estimate_weights: bool,
) -> None:
    """Find records of one person or organisation in FILE and write them as pairs to --out.

    A pair is written when the engine would merge its records automatically on
    intake (or, with --review, would ask a person). Fields: first_name,
    last_name, full_name, organisation, email, phone (several in one cell
    separated by ';'), street, street_number, address_line2, city, postcode,
    region, country, birth_date, national_id, external_id.
    """
    if len(delimiter) != 1:
        raise click.BadParameter("must be one character", param_hint="--delimiter")
    mapping = _mapping(pairs)
    config = DEFAULT_MATCH_CONFIG
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    # No refresh thread: the work forks worker processes, which must not inherit a held lock.
    with Progress(
        *columns, console=Console(stderr=True), auto_refresh=False, transient=True
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)
            bar.refresh()

        source = read_records(
            file,
            id_column=id_column,
            mapping=mapping,
            default_region=region or _default_region(),
            delimiter=delimiter,
            encoding=encoding,
            workers=workers,
            progress=advance,
        )
        threshold = config.review if review else config.auto_merge
        found = match_indexed(
            source.records,
            source.keys,
            config,
            threshold=threshold,
            workers=workers,
            estimate=estimate_weights,
            progress=advance,
        )
        rows = sorted(pairs_of_ids(source.ids, found))
    with out.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(("id_a", "id_b", "score"))
        writer.writerows((a, b, f"{score:.4f}") for a, b, score in rows)
    click.echo(f"{len(source.ids)} records, {len(rows)} duplicate pairs written to {out}", err=True)
