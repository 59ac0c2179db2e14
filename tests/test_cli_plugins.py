"""``crmkit plugins list|check`` on really installed (fake) distributions, broken ones included."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from crmkit.cli.context import configured_app
from crmkit.cli.main import cli
from crmkit.version import API_VERSION

WORKING_HOOKS = "from crmkit import hookimpl\n"


class Site:
    """A folder on ``sys.path`` holding installed distributions (``*.dist-info`` and package)."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.enabled: list[str] = []

    def install(
        self,
        name: str,
        *,
        version: str = "1.0.0",
        depends: tuple[str, ...] = (),
        requires_api: str = f"=={API_VERSION}",
        hooks: str = WORKING_HOOKS,
        metadata: str | None = None,
        enabled: bool = True,
    ) -> None:
        package = f"crmkit_{name}"
        dist = self.folder / f"{package}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: crmkit-{name}\nVersion: {version}\nSummary: The {name} plugin\n"
        )
        (dist / "entry_points.txt").write_text(
            f"[crmkit.plugin]\n{name} = {package}.__crmkit__:PLUGIN\n"
        )
        code = self.folder / package
        code.mkdir()
        (code / "__init__.py").write_text("")
        (code / "__crmkit__.py").write_text(
            metadata
            or "from crmkit import PluginInfo\n"
            f"PLUGIN = PluginInfo(name={name!r}, requires_api={requires_api!r}, "
            f"hooks='{package}.hooks', depends={depends!r})\n"
        )
        (code / "hooks.py").write_text(hooks)
        if enabled:
            self.enabled.append(name)
        # An exhaustive list: other plugins installed in this environment stay out of the tests.
        self.monkeypatch.setenv("CRMKIT_PLUGINS", ",".join(self.enabled) or "-")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.chdir(tmp_path)  # no crmkit.toml
    monkeypatch.setenv("CRMKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'crmkit.db'}")
    monkeypatch.setenv("CRMKIT_PLUGINS", "-")
    for name in ("CRMKIT_CONFIG", "CRMKIT_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    modules = set(sys.modules)
    configured_app.cache_clear()
    yield Site(folder, monkeypatch)
    configured_app.cache_clear()
    for name in set(sys.modules) - modules:
        if name.startswith("crmkit_fake"):
            del sys.modules[name]


def run(*args: str) -> Result:
    configured_app.cache_clear()
    return CliRunner().invoke(cli, ["plugins", *args], env={"COLUMNS": "200"})


def listed(*args: str) -> dict[str, dict[str, Any]]:
    result = run("list", "--json", *args)
    assert result.exit_code == 0, result.output
    return {p["name"]: p for p in json.loads(result.stdout)["plugins"]}


def install_broken_plugins(site: Site) -> None:
    site.install("fakebase")
    site.install("fakeaddon", version="2.1.0", depends=("fakebase",))
    site.install("fakemeta", metadata="raise ImportError('no module named fakelib')\n")
    site.install("fakehooks", hooks="raise RuntimeError('boom at import')\n")
    site.install("fakeorphan", depends=("fakemissing",))
    site.install("fakefuture", requires_api=">=99")


def test_list_shows_each_plugin_with_version_state_and_dependencies(site: Site) -> None:
    site.install("fakebase", version="1.2.0")
    site.install("fakeaddon", version="2.1.0", depends=("fakebase",))

    plugins = listed()

    assert (plugins["fakebase"]["version"], plugins["fakebase"]["state"]) == ("1.2.0", "loaded")
    assert plugins["fakeaddon"]["depends"] == ["fakebase"]
    assert plugins["fakeaddon"]["state"] == "loaded"
    assert plugins["fakeaddon"]["description"] == "The fakeaddon plugin"


def test_list_table_shows_each_plugins_description(site: Site) -> None:
    site.install("fakebase", version="1.2.0")

    result = run("list")

    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if "fakebase" in line]
    assert re.search(r"fakebase\s*│\s*1\.2\.0\s*│\s*The fakebase plugin\s*│\s*loaded", row), row


def test_list_names_why_each_broken_plugin_failed(site: Site) -> None:
    install_broken_plugins(site)

    plugins = listed()

    assert plugins["fakebase"]["state"] == plugins["fakeaddon"]["state"] == "loaded"
    failed = {name: p["reason"] for name, p in plugins.items() if p["state"] == "failed"}
    assert set(failed) == {"fakemeta", "fakehooks", "fakeorphan", "fakefuture"}
    assert "no module named fakelib" in failed["fakemeta"]
    assert failed["fakehooks"] == "RuntimeError: boom at import"
    assert failed["fakeorphan"] == "depends on 'fakemissing', which is not installed"
    assert failed["fakefuture"] == f"requires crmkit API >=99, this is {API_VERSION}"


def test_list_prints_a_table_for_people(site: Site) -> None:
    install_broken_plugins(site)

    result = run("list")

    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if "fake" in line}
    assert "2.1.0" in lines["fakeaddon"] and "loaded" in lines["fakeaddon"]
    assert "failed" in lines["fakehooks"] and "boom at import" in lines["fakehooks"]


def test_a_disabled_plugin_is_listed_without_importing_its_code(site: Site) -> None:
    site.install("fakeoff", hooks="raise RuntimeError('must not be imported')\n", enabled=False)

    plugins = listed()

    assert plugins["fakeoff"]["state"] == "disabled"
    assert plugins["fakeoff"]["reason"] == "disabled by configuration"
    assert "crmkit_fakeoff.hooks" not in sys.modules


def test_check_fails_naming_each_failed_plugin_and_why(site: Site) -> None:
    install_broken_plugins(site)

    result = run("check")

    assert result.exit_code == 1
    assert "fakehooks: failed: RuntimeError: boom at import" in result.stderr
    assert "fakeorphan: failed: depends on 'fakemissing'" in result.stderr
    assert "fakefuture: failed: requires crmkit API >=99" in result.stderr
    assert "fakemeta: failed:" in result.stderr
    assert "fakebase" not in result.stderr


def test_check_passes_when_every_enabled_plugin_loads(site: Site) -> None:
    site.install("fakebase")
    site.install("fakeoff", hooks="raise RuntimeError('disabled anyway')\n", enabled=False)

    result = run("check")

    assert result.exit_code == 0, result.output
    # Every other installed plugin (the repository's own) is disabled too.
    assert re.search(r"^ok: 1 plugins loaded, [1-9][0-9]* disabled$", result.stdout, re.M)


def test_both_commands_work_when_strict_mode_stops_the_application(site: Site) -> None:
    install_broken_plugins(site)
    site.monkeypatch.setenv("CRMKIT_STRICT_PLUGINS", "true")

    plugins = listed()
    check = run("check")

    assert plugins["fakeaddon"]["state"] == "loaded"
    assert plugins["fakehooks"]["reason"] == "RuntimeError: boom at import"
    assert check.exit_code == 1
    assert "the application does not start" in check.stderr


def test_a_plugin_breaking_the_application_after_loading_is_reported_failed(site: Site) -> None:
    bad_tables = (
        "from sqlalchemy import Column, Integer, MetaData, Table\n"
        "from crmkit import hookimpl\n"
        "@hookimpl\n"
        "def register_tables():\n"
        "    return [Table('faketables_x', MetaData(), Column('id', Integer, primary_key=True))]\n"
    )
    site.install("fakebase")
    site.install("faketables", hooks=bad_tables)

    plugins = listed()
    check = run("check")

    assert plugins["fakebase"]["state"] == "loaded"
    assert plugins["faketables"]["state"] == "failed"
    assert "is not on crmkit.metadata" in plugins["faketables"]["reason"]
    assert check.exit_code == 1


def test_a_plugin_registering_a_bad_import_profile_is_reported_failed_naming_it(
    site: Site,
) -> None:
    bad_profile = (
        "from crmkit import ImportProfile, hookimpl\n"
        "PROFILE = ImportProfile(name='PipeDrive', system='pipedrive', columns={})\n"
        "@hookimpl\n"
        "def register_import_profiles():\n"
        "    return [PROFILE]\n"
    )
    site.install("fakebase")
    site.install("fakeprofiles", hooks=bad_profile)

    plugins = listed()
    check = run("check")

    assert plugins["fakebase"]["state"] == "loaded"
    assert plugins["fakeprofiles"]["state"] == "failed"
    assert plugins["fakeprofiles"]["reason"] == (
        "plugin 'fakeprofiles': register_import_profiles: 'PipeDrive': name: expected lower-case"
        " letters (a-z), digits, '_' or '-', not starting with '_' or '-'"
    )
    assert check.exit_code == 1
    assert "fakeprofiles: failed: plugin 'fakeprofiles': register_import_profiles:" in check.stderr
