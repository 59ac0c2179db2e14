"""``crmkit db``: upgrade, downgrade and inspect the schema (one Alembic branch per plugin)."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crmkit.app import Crm
from crmkit.cli.context import get_app
from crmkit.core import migrate
from crmkit.core.reindex import BATCH_SIZE, reindex


def _app() -> Crm:
    """The app, after telling on standard error which plugins' migrations are left out and why."""
    app = get_app()
    for name, why in migrate.layout(app).skipped.items():
        click.echo(f"warning: plugin {name} {why}; its migrations are skipped", err=True)
    return app


def _table(rows: dict[str, str]) -> None:
    width = max((len(branch) for branch in rows), default=0)
    for branch, value in rows.items():
        click.echo(f"{branch.ljust(width)}  {value}")


@click.group()
def db() -> None:
    """The database schema: one migration branch for the kernel (core) and one per plugin."""


@db.command()
@click.argument("revision", default="heads")
def upgrade(revision: str) -> None:
    """Upgrade to REVISION; by default the kernel's and every loaded plugin's branch to its head."""
    app = _app()
    migrate.upgrade(app, revision)
    _table(migrate.current(app))


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade to REVISION: a revision id, NAME@base for one branch, or base for all."""
    app = _app()
    migrate.downgrade(app, revision)
    _table(migrate.current(app) or {"(all branches)": "base"})


@db.command()
def current() -> None:
    """Show the revision each branch of the database is at."""
    app = _app()
    at = migrate.current(app)
    plan = migrate.layout(app)
    _table(
        {
            branch: at.get(branch, "base")
            + ("" if plan.branches[branch].active else " (not loaded)")
            for branch in plan.branches
        }
    )


@db.command()
def heads() -> None:
    """Show the head revision of each branch (two heads on one branch must be merged)."""
    found = migrate.branch_heads(_app())
    _table({branch: " + ".join(revisions) for branch, revisions in found.items()})


@db.command()
@click.option(
    "-p", "--plugin", "plugin", required=True, help="The branch: a plugin's name, or core."
)
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--autogenerate", is_flag=True, help="Fill in what differs from the plugin's tables.")
def revision(plugin: str, message: str, autogenerate: bool) -> None:
    """Write a new revision on a plugin's branch (the first one creates the branch)."""
    path = migrate.revision(_app(), plugin, message, autogenerate=autogenerate)
    click.echo(f"wrote {_shown(path)}")


@db.command("reindex")
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=BATCH_SIZE,
    show_default=True,
    help="Parties per transaction.",
)
def reindex_command(batch_size: int) -> None:
    """Rebuild every party's match keys and search terms from its stored data.

    Run it after `crmkit db upgrade` from a version before the intake pipeline:
    parties stored then have no match keys. Each batch commits on its own, so an
    interrupted run is simply run again.
    """
    app = _app()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reindexing parties", total=None)
        done = reindex(
            app.engine,
            batch_size=batch_size,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    click.echo(f"{done} parties reindexed")


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return os.fspath(path)
