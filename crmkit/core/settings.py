"""Settings: one attrs object per application and one per plugin.

Sources, strongest first: ``CRMKIT_*`` environment variables, then ``crmkit.toml``
(``CRMKIT_CONFIG`` names another file), then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from attrs import field, frozen
from cattrs.errors import AttributeValidationNote, ForbiddenExtraKeysError

from crmkit.core.errors import ConfigurationError

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///crmkit.db"
_converter = cattrs.Converter(forbid_extra_keys=True)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is not a boolean")


_converter.register_structure_hook(bool, lambda v, _: _bool(v))


@frozen
class Settings:
    """The application's settings (``[crmkit]`` table of crmkit.toml, ``CRMKIT_*`` variables)."""

    database_url: str = DEFAULT_DATABASE_URL
    default_region: str = "DE"
    """Region assumed for phone numbers written without a country code."""
    strict_plugins: bool = False
    """Refuse to start when any enabled plugin fails to load."""
    broker_url: str | None = None
    max_body_bytes: int = 1_000_000
    plugins: Mapping[str, bool] = field(factory=dict)
    """Plugin enablement from ``[plugins]`` / ``CRMKIT_PLUGINS``; missing means the plugin's default."""
    plugin_settings: Mapping[str, Mapping[str, Any]] = field(factory=dict)
    """``[plugins.<name>]`` tables, validated by each plugin's settings class."""
    source: str = "defaults"
    """Where the settings came from, for messages."""


def structure_settings(
    cls: type[T],
    data: Mapping[str, Any],
    location: str,
    origins: Mapping[str, str] | None = None,
) -> T:
    """Build an attrs settings object; an error names the offending key and where it was set.

    Keys are reported as ``<location>.<key>`` (e.g. ``crmkit.toml: crmkit.database_url``)
    unless ``origins`` names another source for a key (e.g. an environment variable).
    """
    try:
        return _converter.structure(dict(data), cls)
    except cattrs.ClassValidationError as exc:
        key, reason = _first_problem(exc, data)
        where = (origins or {}).get(key.split(".", 1)[0]) or ".".join(
            p for p in (location, key) if p
        )
        raise ConfigurationError(where, reason) from None
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(location, str(exc)) from None


def _first_problem(exc: cattrs.ClassValidationError, data: Any) -> tuple[str, str]:
    """The dotted key of the first error cattrs found, and what is wrong with its value.

    An error raised by the settings class itself (an attrs validator) has no key
    of its own; its message names the field.
    """
    for problem in exc.exceptions:
        if isinstance(problem, ForbiddenExtraKeysError):
            return sorted(problem.extra_fields)[0], "unknown key"
        notes = getattr(problem, "__notes__", [])
        note = next((n for n in notes if isinstance(n, AttributeValidationNote)), None)
        if note is None:
            return "", str(problem)
        if isinstance(problem, KeyError):
            return note.name, "is required"
        value = data.get(note.name) if isinstance(data, Mapping) else None
        if isinstance(problem, cattrs.ClassValidationError):
            key, reason = _first_problem(problem, value)
            return f"{note.name}.{key}", reason
        expected = getattr(note.type, "__name__", str(note.type))
        return note.name, f"expected {expected}, got {value!r}"
    return "", str(exc)


def parse_plugin_list(value: str) -> dict[str, bool]:
    """``CRMKIT_PLUGINS="sfa,-social"``: names to enable; ``-name`` disables; ``*`` keeps the rest.

    Without ``*`` the list is exhaustive: every plugin not named is disabled. With
    ``*`` a plugin not named is enabled as crmkit.toml or its own default says.
    """
    enabled: dict[str, bool] = {}
    exhaustive = True
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item == "*":
            exhaustive = False
        elif item.startswith("-"):
            enabled[item[1:]] = False
        else:
            enabled[item] = True
    if exhaustive:
        enabled["*"] = False
    return enabled


def load_settings(
    environ: Mapping[str, str] | None = None, config_path: str | os.PathLike[str] | None = None
) -> Settings:
    """Read crmkit.toml and the environment into a validated :class:`Settings`."""
    env = os.environ if environ is None else environ
    path = Path(config_path or env.get("CRMKIT_CONFIG", "crmkit.toml"))
    data: dict[str, Any] = {}
    plugins: dict[str, bool] = {}
    plugin_settings: dict[str, dict[str, Any]] = {}
    source = "defaults"
    if path.is_file():
        source = str(path)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(str(path), f"not valid TOML: {exc}") from None
        unknown = set(document) - {"crmkit", "plugins"}
        if unknown:
            raise ConfigurationError(f"{path}: [{sorted(unknown)[0]}]", "unknown table")
        for table in ("crmkit", "plugins"):
            if not isinstance(document.get(table, {}), dict):
                raise ConfigurationError(f"{path}: {table}", "must be a table")
        data.update(document.get("crmkit", {}))
        # These are filled from [plugins] and the file's name, never written in [crmkit].
        for reserved in ("plugins", "plugin_settings", "source"):
            if reserved in data:
                raise ConfigurationError(f"{path}: crmkit.{reserved}", "unknown key")
        for name, value in document.get("plugins", {}).items():
            if isinstance(value, bool):
                plugins[name] = value
            elif isinstance(value, dict):
                plugin_settings[name] = dict(value)
                if "enabled" in value:
                    enabled = plugin_settings[name].pop("enabled")
                    if not isinstance(enabled, bool):
                        raise ConfigurationError(
                            f"{path}: plugins.{name}.enabled",
                            f"expected true or false, got {enabled!r}",
                        )
                    plugins[name] = enabled
            else:
                raise ConfigurationError(
                    f"{path}: plugins.{name}", "must be true, false or a table"
                )
    names = {a.name for a in attrs.fields(Settings)} - {"plugins", "plugin_settings", "source"}
    origins: dict[str, str] = {}
    for name in names:
        variable = f"CRMKIT_{name.upper()}"
        value = env.get(variable)
        if value is not None:
            data[name] = value
            origins[name] = f"environment variable {variable}"
    if "CRMKIT_PLUGINS" in env:
        chosen = parse_plugin_list(env["CRMKIT_PLUGINS"])
        # An exhaustive list replaces the file's choices; with ``*`` it only overrides them.
        plugins = chosen if "*" in chosen else {**plugins, **chosen}
    data.update(plugins=plugins, plugin_settings=plugin_settings, source=source)
    return structure_settings(Settings, data, f"{source}: crmkit", origins)


def is_enabled(settings: Settings, name: str, default: bool) -> bool:
    """Enablement: explicit entry > ``*`` entry > the plugin's own default."""
    if name in settings.plugins:
        return settings.plugins[name]
    return settings.plugins.get("*", default)
