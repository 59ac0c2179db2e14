"""The repository's promises to a newcomer: the Quick start installs every plugin."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def plugin_folders() -> list[Path]:
    return sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())


def test_quick_start_installs_every_plugin() -> None:
    listed = {
        line.removeprefix("-e").strip().rstrip("/")
        for line in (ROOT / "requirements" / "plugins.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert listed == {f"plugins/{p.name}" for p in plugin_folders()}


def test_plugin_distributions_follow_the_naming_rule() -> None:
    for folder in plugin_folders():
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        name = folder.name
        assert project["name"] == "crmkit-" + name.replace("_", "-")
        entry_points = project["entry-points"]["crmkit.plugin"]
        assert entry_points == {name: f"crmkit_{name}.__crmkit__:PLUGIN"}
        assert (folder / f"crmkit_{name}" / "__crmkit__.py").is_file()


def test_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("crmkit demo")
    assert "requirements/test.txt" in commands[1]
    assert commands[1].rsplit("&& ", 1)[1].startswith(".venv/bin/pytest")
