"""A plugin laid out in parts: a folder per part holding modules of the same names
(``tables``, ``access``, ``routes`` …), which the plugin's hooks gather in one order."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

from attrs import frozen


@frozen
class Parts:
    """The parts of ``package`` in ``names`` order (the order tables are created and demo data
    seeded). A part's module is imported the first time a hook asks for it, so that loading the
    plugin (``crmkit plugins list``, a command) does not import every part's pages and routes."""

    package: str
    names: tuple[str, ...]

    def each(self, module: str) -> list[ModuleType]:
        """Every part's ``module`` (``"privacy"``: ``<package>.<part>.privacy``), in order."""
        return [import_module(f"{self.package}.{part}.{module}") for part in self.names]

    def gathered(self, module: str, name: str) -> list[Any]:
        """The items of every part's ``module.name`` list, in order: ``gathered("tables", "TABLES")``."""
        return [item for found in self.each(module) for item in getattr(found, name)]
