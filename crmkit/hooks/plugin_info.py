"""``PluginInfo``: the metadata a plugin's entry point points at (no code, no imports)."""

from __future__ import annotations

import re

from attrs import field, frozen
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from crmkit.core.errors import PluginError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
PART_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
RESERVED_NAMES = frozenset({"core", "api", "static", "login", "logout"})


def _names(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen
class PluginInfo:
    """What crmkit needs to know about a plugin before importing any of its code.

    ``hooks`` and ``settings`` are dotted paths (``package.module`` and
    ``package.module:Class``) imported only when the plugin is enabled. ``parts`` names the
    sub-packages of the hooks module's package a plugin is laid out in (:class:`crmkit.Parts`):
    crmkit then gathers their tables, permissions, routes … without hooks written for them.
    """

    name: str
    requires_api: str
    hooks: str
    depends: tuple[str, ...] = field(default=(), converter=_names)
    optional_depends: tuple[str, ...] = field(default=(), converter=_names)
    parts: tuple[str, ...] = field(default=(), converter=_names)
    migrations: str | None = None
    settings: str | None = None
    critical: bool = False
    default_enabled: bool = True

    def validate(self) -> None:
        """Raise :class:`PluginError` naming the first field that is wrong."""
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise PluginError(str(self.name), "name must match [a-z][a-z0-9_]*")
        if self.name in RESERVED_NAMES:
            raise PluginError(self.name, f"name {self.name!r} is reserved by the kernel")
        try:
            SpecifierSet(self.requires_api)
        except (InvalidSpecifier, TypeError):
            raise PluginError(
                self.name, f"requires_api {self.requires_api!r} is not a PEP 440 specifier"
            ) from None
        if not self.hooks or not isinstance(self.hooks, str):
            raise PluginError(self.name, "hooks must be the dotted path of the hooks module")
        for dep in (*self.depends, *self.optional_depends):
            if not NAME_PATTERN.match(dep):
                raise PluginError(self.name, f"dependency {dep!r} is not a plugin name")
        for part in self.parts:
            if not PART_PATTERN.match(part):
                raise PluginError(self.name, f"part {part!r} is not a module name")
        if self.name in self.depends or self.name in self.optional_depends:
            raise PluginError(self.name, "a plugin cannot depend on itself")
        if self.settings is not None and ":" not in self.settings:
            raise PluginError(self.name, "settings must be 'package.module:Class'")

    @property
    def table_prefix(self) -> str:
        return f"{self.name}_"

    @property
    def distribution(self) -> str:
        return "crmkit-" + self.name.replace("_", "-")

    @property
    def hooks_package(self) -> str:
        """The package of the hooks module: where the parts are."""
        return self.hooks.rpartition(".")[0]
