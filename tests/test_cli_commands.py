"""Plugin commands: ``register_commands`` adds ``crmkit <plugin> …``, loaded only when invoked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crmkit import Crm, hookimpl
from crmkit.cli.main import cli
from crmkit.testing import invoke, register_plugin


class Greetings:
    @hookimpl
    def register_commands(self) -> list[click.Command]:
        @click.command()
        @click.argument("name")
        @click.pass_obj
        def hello(app: Crm, name: str) -> None:
            """Greet NAME."""
            click.echo(f"hello {name}, {len(app.host.loaded)} plugin(s) loaded")

        return [hello]


def test_hook_register_commands(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(Greetings(), name="greetings")])
    result = invoke(app, "greetings", "hello", "Ada")
    assert result.exit_code == 0, result.output
    assert result.output == "hello Ada, 1 plugin(s) loaded\n"


def test_plugin_group_lists_its_commands(make_crm: Callable[..., Crm]) -> None:
    app = make_crm(plugins=[register_plugin(Greetings(), name="greetings")])
    result = invoke(app, "greetings", "--help")
    assert result.exit_code == 0
    assert "hello" in result.output and "Greet NAME." in result.output


def test_commands_of_a_plugin_that_is_not_loaded_are_refused_with_the_reason(
    make_crm: Callable[..., Crm],
) -> None:
    broken = register_plugin(Greetings(), name="greetings", requires_api=">=9")
    app = make_crm(plugins=[broken])
    result = invoke(app, "greetings", "hello", "Ada")
    assert result.exit_code == 1
    assert "plugin greetings is not loaded (failed: requires crmkit API >=9" in result.output


class Quiet:
    @hookimpl
    def register_jobs(self) -> list[object]:
        return []


def test_only_plugins_with_commands_get_a_group(make_crm: Callable[..., Crm]) -> None:
    greetings = register_plugin(Greetings(), name="greetings")
    app = make_crm(plugins=[greetings, register_plugin(Quiet(), name="quiet")])

    listing = invoke(app, "--help")

    assert listing.exit_code == 0, listing.output
    groups = {line.split()[0] for line in listing.output.splitlines() if line.startswith("  ")}
    assert "greetings" in groups and "quiet" not in groups
    assert {"db", "import", "plugins"} <= groups
    refused = invoke(app, "quiet", "--help")
    assert refused.exit_code == 1
    assert "plugin quiet has no commands" in refused.output


def test_a_command_on_a_database_without_its_tables_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRMKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")

    result = CliRunner().invoke(cli, ["jobs", "list"])

    assert result.exit_code == 1
    assert "run `crmkit db upgrade` first" in result.output
    assert "lacks the table core_" in result.output  # which one, for when upgrading is not enough
    assert "Traceback" not in result.output
