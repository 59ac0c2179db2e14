"""``crmkit jobs`` and ``crmkit worker``: see, run and schedule the background jobs."""

from __future__ import annotations

import signal
import threading
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import click

from crmkit.cli.context import get_app

COLUMNS = ("JOB", "EVERY", "LAST RUN", "LAST SUCCESS", "LAST ERROR")


def _every(every: timedelta | None) -> str:
    if every is None:
        return "on demand"
    seconds = int(every.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "never"


def _error(state: Any) -> str:
    if state is None or state.last_error is None:
        return "-"
    first_line = state.last_error.splitlines()[0]
    return f"{_when(state.last_error_at)} {first_line}"


@click.group()
def jobs() -> None:
    """Background jobs: their schedules and what happened when they last ran."""


@jobs.command("list")
def list_jobs() -> None:
    """Show every job with its schedule, last run, last success and last error."""
    app = get_app()
    rows = [COLUMNS]
    for name, state in app.jobs.states().items():
        rows.append(
            (
                name,
                _every(app.jobs.jobs[name].every),
                _when(state.last_run_at if state else None),
                _when(state.last_success_at if state else None),
                _error(state),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


@jobs.command("run")
@click.argument("name")
def run_job(name: str) -> None:
    """Run the job NAME now, once, and record the outcome."""
    result = get_app().jobs.run(name)
    if not result.ok:
        raise click.ClickException(
            f"job {name} failed after {result.duration_ms} ms: {result.error}"
        )
    click.echo(f"job {name} succeeded in {result.duration_ms} ms")


@click.command()
@click.option(
    "--tick",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between checks for due jobs.",
)
def worker(tick: float) -> None:
    """Run the scheduled jobs in this process until interrupted (SIGINT or SIGTERM)."""
    app = get_app()
    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"worker: {signal.Signals(signum).name} received, stopping", err=True)
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    scheduled = sorted(name for name, job in app.jobs.jobs.items() if job.every is not None)
    click.echo(f"worker: scheduling {', '.join(scheduled) or 'no jobs'}", err=True)
    try:
        app.start()
        app.jobs.serve(stopping.is_set, tick, sleep=stopping.wait)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.close()
    click.echo("worker: stopped", err=True)
