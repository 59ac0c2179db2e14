"""Fixtures shared by the kernel's tests."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from crmkit.hooks.plugin_info import PluginInfo

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def demo_plugin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], PluginInfo]:
    """``demo_plugin("ticketing_demo")``: a throwaway plugin of tests/plugins, installed for this test."""
    monkeypatch.syspath_prepend(str(PLUGINS))
    return lambda name: importlib.import_module(f"crmkit_{name}.__crmkit__").PLUGIN


@pytest.fixture
def migrations_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dict[str, str]], str]:
    """``migrations_package({file name: source})``: a new importable migrations package; returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(revisions: dict[str, str]) -> str:
        name = f"crmkit_migrations_{uuid.uuid4().hex[:8]}"
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
        if revisions:
            (tmp_path / name / "versions").mkdir()
        for file_name, source in revisions.items():
            (tmp_path / name / "versions" / file_name).write_text(source)
        return name

    return make
