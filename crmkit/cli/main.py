"""Entry point of ``crmkit``; kernel commands and each plugin's group load lazily.

``crmkit plugins …`` imports no plugin code. ``crmkit --help`` loads the
application (and so the enabled plugins) to list a group only for each plugin
that registers commands; ``crmkit <plugin> …`` loads it when run.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from crmkit.core.errors import CrmError

KERNEL_COMMANDS: dict[str, str] = {
    "db": "crmkit.cli.db:db",
    "demo": "crmkit.cli.serve:demo",
    "export": "crmkit.cli.data:export",
    "import": "crmkit.cli.data:import_",
    "jobs": "crmkit.cli.jobs:jobs",
    "match": "crmkit.cli.match:match",
    "plugins": "crmkit.cli.plugins:plugins",
    "privacy": "crmkit.cli.privacy:privacy",
    "serve": "crmkit.cli.serve:serve",
    "tokens": "crmkit.cli.tokens:tokens",
    "users": "crmkit.cli.users:users",
    "webhooks": "crmkit.cli.webhooks:webhooks",
    "worker": "crmkit.cli.jobs:worker",
}


def _load(path: str) -> click.Command:
    module, _, name = path.partition(":")
    command = getattr(importlib.import_module(module), name)
    assert isinstance(command, click.Command)
    return command


def _plugin_names(ctx: click.Context) -> list[str]:
    """Plugins that may have commands: the given CRM's (tests), else those installed (no import)."""
    from crmkit.app import Crm
    from crmkit.hooks.host import discover

    given = ctx.find_root().obj
    if isinstance(given, Crm):
        return sorted(given.host.statuses)
    return sorted(c.name for c in discover() if c.info is not None)


def _plugins_with_commands() -> list[str]:
    """The loaded plugins implementing ``register_commands``: the groups ``--help`` lists."""
    from crmkit.cli.context import get_app

    return sorted(get_app().host.implementers("register_commands"))


class PluginCommands(click.Group):
    """The commands of one plugin, collected from ``register_commands`` when invoked.

    The CRM is the root context's ``obj``: a plugin command receives it with
    ``@click.pass_obj``.
    """

    def __init__(self, plugin: str) -> None:
        super().__init__(name=plugin, help=f"Commands of the {plugin} plugin.")
        self.plugin = plugin
        self._loaded = False

    def _ensure(self, ctx: click.Context) -> None:
        if self._loaded:
            return
        from crmkit.cli.context import get_app

        app = get_app()
        # A context copies its parent's obj when made, and this group's was made before now.
        ctx.obj = ctx.find_root().obj = app
        if self.plugin not in app.host.loaded:
            status = app.host.statuses.get(self.plugin)
            why = f"{status.state}: {status.reason}" if status else "not installed"
            raise click.ClickException(f"plugin {self.plugin} is not loaded ({why})")
        for plugin, commands in app.host.collect_by_plugin("register_commands"):
            if plugin == self.plugin:
                for command in commands:
                    self.add_command(command)
        if not self.commands:
            raise click.ClickException(f"plugin {self.plugin} has no commands")
        self._loaded = True

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._ensure(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._ensure(ctx)
        return super().get_command(ctx, cmd_name)


class Root(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            plugins = _plugins_with_commands()
        except Exception:  # a broken install or configuration must not break --help
            plugins = []
        return sorted(KERNEL_COMMANDS) + [p for p in plugins if p not in KERNEL_COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in KERNEL_COMMANDS:
            return _load(KERNEL_COMMANDS[cmd_name])
        if cmd_name in _plugin_names(ctx):
            return PluginCommands(cmd_name)
        return None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CrmError as exc:
            raise click.ClickException(exc.message) from None
        except DBAPIError as exc:
            missing = _missing_table(exc)
            if missing is None:
                raise
            raise click.ClickException(
                f"the database lacks {missing} (of crmkit or of a plugin): run `crmkit db"
                " upgrade` first; if it still lacks it then, a migration of that plugin was"
                " changed after this database ran it"
            ) from None


def _missing_table(exc: DBAPIError) -> str | None:
    """``the table <name>`` a statement found missing, or None when that is not what went wrong."""
    # SQLite: "no such table: x"; PostgreSQL: SQLSTATE 42P01 (undefined_table), 'relation "x"'.
    found = re.search(r'no such table: (\S+)|relation "([^"]+)" does not exist', str(exc.orig))
    if found is not None:
        return f"the table {found[1] or found[2]}"
    return "a table" if getattr(exc.orig, "sqlstate", None) == "42P01" else None


@click.group(cls=Root)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to standard error).")
def cli(verbose: bool) -> None:
    """crmkit: a plugin-based CRM. Kernel commands and one group per enabled plugin."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    cli(prog_name="crmkit")
