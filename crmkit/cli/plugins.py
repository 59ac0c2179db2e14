"""``crmkit plugins``: what is installed, what loaded, and why not — even when plugins are broken."""

from __future__ import annotations

import json

import attrs
import click
from attrs import frozen
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crmkit.cli import context
from crmkit.core.settings import is_enabled, load_settings
from crmkit.hooks.host import PluginHost, PluginStatus, discover
from crmkit.version import API_VERSION

STATE_STYLES = {"loaded": "green", "disabled": "dim", "failed": "bold red"}


@frozen
class PluginReport:
    """Every installed plugin's status, and why the application does not start if it does not."""

    statuses: tuple[PluginStatus, ...]
    problem: str | None = None

    @property
    def failed(self) -> list[PluginStatus]:
        return [s for s in self.statuses if s.state == "failed"]


def plugin_report() -> PluginReport:
    """The statuses from the application; if it cannot start, from loading the plugins alone."""
    try:
        statuses = dict(context.get_app().host.statuses)
    except Exception as exc:
        # Strict mode, a critical plugin or a failing registration hook stop the application;
        # an integrator still needs to see every plugin to repair the install.
        problem = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        return PluginReport(_load_alone(getattr(exc, "plugin", None), problem), problem)
    return PluginReport(tuple(statuses[name] for name in sorted(statuses)))


def _load_alone(culprit: str | None, problem: str) -> tuple[PluginStatus, ...]:
    settings = load_settings()
    host = PluginHost(API_VERSION, strict=False)
    candidates = [
        attrs.evolve(c, info=attrs.evolve(c.info, critical=False)) if c.info else c
        for c in discover()
    ]
    host.load(
        candidates,
        enabled=lambda name, default: is_enabled(settings, name, default),
        plugin_settings=settings.plugin_settings,
        settings_source=settings.source,
    )
    statuses = dict(host.statuses)
    # A plugin that loads but breaks the application afterwards (in a registration hook).
    status = statuses.get(culprit) if culprit else None
    if status is not None and status.state == "loaded":
        statuses[status.name] = attrs.evolve(status, state="failed", reason=problem)
    return tuple(statuses[name] for name in sorted(statuses))


def _as_json(status: PluginStatus) -> dict[str, object]:
    return {
        "name": status.name,
        "version": status.version,
        "description": status.description,
        "state": status.state,
        "reason": status.reason,
        "depends": list(status.depends),
        "optional_depends": list(status.info.optional_depends) if status.info else [],
    }


@click.group()
def plugins() -> None:
    """Installed plugins: list them, check that every enabled one loads."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def list_plugins(as_json: bool) -> None:
    """Every installed plugin: version, description, state (loaded, disabled, failed, with why), dependencies."""
    report = plugin_report()
    if as_json:
        document = {"plugins": [_as_json(s) for s in report.statuses], "problem": report.problem}
        click.echo(json.dumps(document, indent=2))
        return
    table = Table("Plugin", "Version", "Description", "State", "Depends on", "Reason")
    for status in report.statuses:
        # Text, not markup: a reason or a description may contain brackets.
        table.add_row(
            Text(status.name),
            Text(status.version or ""),
            Text(status.description or ""),
            Text(status.state, style=STATE_STYLES[status.state]),
            Text(", ".join(status.depends)),
            Text(status.reason or ""),
        )
    console = Console()
    console.print(table if report.statuses else "No plugins are installed.")
    if report.problem:
        message = Text.assemble(("The application does not start: ", "bold red"), report.problem)
        Console(stderr=True).print(message)


@plugins.command()
def check() -> None:
    """Exit non-zero when an enabled plugin failed to load, naming each with the reason."""
    report = plugin_report()
    for status in report.failed:
        click.echo(f"{status.name}: failed: {status.reason}", err=True)
    if report.problem:
        click.echo(f"the application does not start: {report.problem}", err=True)
    if report.failed or report.problem:
        raise click.exceptions.Exit(1)
    loaded = sum(s.state == "loaded" for s in report.statuses)
    disabled = sum(s.state == "disabled" for s in report.statuses)
    click.echo(f"ok: {loaded} plugins loaded, {disabled} disabled")
