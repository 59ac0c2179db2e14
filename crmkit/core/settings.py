"""Settings: one attrs object per application and one per plugin.

Sources, strongest first: ``CRMKIT_*`` environment variables, then ``crmkit.toml``
(``CRMKIT_CONFIG`` names another file), then the defaults below.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs
import cattrs
from attrs import field, frozen
from cattrs.errors import (
    AttributeValidationNote,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

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


# cattrs alone would call int() and float(): 3.7 would become 3 and true 1. A setting is
# what was written, or an error; text comes from environment variables.
def _whole(value: Any, _: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return int(value)
    raise ValueError(f"{value!r} is not a whole number")


def _number(value: Any, _: Any) -> float:
    number = float(value) if isinstance(value, int | float | str) else math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"{value!r} is not a number")
    return number


def _day(value: Any, _: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"{value!r} is not a date")


_converter.register_structure_hook(int, _whole)
_converter.register_structure_hook(float, _number)
_converter.register_structure_hook(date, _day)


def _texts(value: Any, _: Any) -> tuple[str, ...]:
    # A string is iterable too: its characters are not the items that were meant.
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"expected an array, got {value!r}")
    return tuple(_converter.structure(item, str) for item in value)


_converter.register_structure_hook_func(lambda tp: tp == tuple[str, ...], _texts)


def _ordered_bands(instance: Any, attribute: Any, value: int) -> None:
    if not 0 < instance.warm_score < instance.hot_score <= 100:
        raise ValueError("warm_score and hot_score: expected 0 < warm_score < hot_score <= 100")


def _ordered_thresholds(instance: Any, attribute: Any, value: float | None) -> None:
    for name in ("merge_threshold", "review_threshold"):
        threshold = getattr(instance, name)
        if threshold is not None and not 0 < threshold <= 1:
            raise ValueError(f"{name}: expected a number in (0, 1], got {threshold!r}")
    merge, review = instance.merge_threshold, instance.review_threshold
    if merge is not None and review is not None and review >= merge:
        raise ValueError("review_threshold: must be below merge_threshold")


def _addresses(instance: Any, attribute: Any, value: tuple[str, ...]) -> None:
    for entry in value:
        try:
            # As uvicorn reads them, which takes anything else for a name and trusts no address.
            ipaddress.ip_network(entry) if "/" in entry else ipaddress.ip_address(entry)
        except ValueError:
            raise ValueError(
                f"{attribute.name}: expected IP addresses or networks (10.0.0.0/8), got {entry!r}"
            ) from None


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name}: expected a positive number, got {value!r}")


AssignmentStrategy = Literal["round_robin", "territory", "workload"]


@frozen
class IntakeSettings:
    """How prospects are taken in (``[intake]`` table of crmkit.toml).

    The phone region is the application's ``default_region``.
    """

    merge_threshold: float | None = field(default=None, validator=_ordered_thresholds)
    """Match score from which a prospect is merged automatically; None: the engine's default."""
    review_threshold: float | None = field(default=None, validator=_ordered_thresholds)
    """Match score from which a possible duplicate goes to the review queue."""
    disabled_rules: tuple[str, ...] = ()
    """Codes of sanity rules not to run (e.g. ``"phone_not_mobile"``)."""
    disposable_domains: tuple[str, ...] = ()
    """Email domains treated as disposable in addition to the built-in list."""
    hot_score: int = field(default=70, validator=_ordered_bands)
    """Lowest score of the hot band."""
    warm_score: int = field(default=40, validator=_ordered_bands)
    """Lowest score of the warm band; below it a prospect is cold."""
    hot_deadline_hours: float = field(default=1, validator=_positive)
    warm_deadline_hours: float = field(default=24, validator=_positive)
    cold_deadline_hours: float = field(default=7 * 24, validator=_positive)
    expire_after_days: int = field(default=30, validator=_positive)
    """A prospect untouched this long expires (kept, marked, out of work lists)."""
    assignment: AssignmentStrategy = "round_robin"

    def first_contact_deadline(self, band: str) -> timedelta:
        """How soon a prospect of ``band`` (hot, warm, cold) must be contacted."""
        hours: float = getattr(self, f"{band}_deadline_hours")
        return timedelta(hours=hours)

    @property
    def expire_after(self) -> timedelta:
        return timedelta(days=self.expire_after_days)


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
    trusted_proxies: tuple[str, ...] = field(default=(), validator=_addresses)
    """Addresses (or networks) of the reverse proxies whose X-Forwarded-For/-Proto are believed."""
    force_secure_cookies: bool = False
    """Mark the session and login cookies Secure even on a request that came over plain HTTP."""
    revoke_tokens_on_password_change: bool = True
    """A new password revokes the user's API tokens; off, the tokens go on working."""
    access_log: bool = False
    """Log a line per HTTP request (uvicorn's access log); off, only errors are logged."""
    signature_tolerance: int = field(default=300, validator=attrs.validators.ge(1))
    """Seconds a signed request's timestamp may lie from the server's clock (plugins' public routes)."""
    idempotency_retention_hours: int = field(default=24, validator=attrs.validators.ge(1))
    """Hours the answer to an ``Idempotency-Key`` is kept; a retry after that is a new request."""
    plugins: Mapping[str, bool] = field(factory=dict)
    """Plugin enablement from ``[plugins]`` / ``CRMKIT_PLUGINS``; missing means the plugin's default."""
    plugin_settings: Mapping[str, Mapping[str, Any]] = field(factory=dict)
    """``[plugins.<name>]`` tables, validated by each plugin's settings class."""
    source: str = "defaults"
    """Where the settings came from, for messages."""
    intake: IntakeSettings = field(factory=IntakeSettings)
    """The ``[intake]`` table: how prospects are checked, matched, scored and assigned."""


def structure_settings(
    cls: type[T],
    data: Mapping[str, Any],
    location: str,
    origins: Mapping[str, str] | None = None,
) -> T:
    """Build an attrs settings object; an error names the offending key and where it was set.

    Keys are reported as ``<location>.<key>`` (e.g. ``crmkit.toml: crmkit.database_url``),
    nested ones in full (``plugins.sfa.pipeline.pipelines[0].stages[1].probability``),
    unless ``origins`` names another source for a key (e.g. an environment variable).
    """
    try:
        return _converter.structure(dict(data), cls)
    except cattrs.ClassValidationError as exc:
        key, reason = _first_problem(exc, data)
        top = re.split(r"[.\[]", key, maxsplit=1)[0]
        where = (origins or {}).get(top) or _join(location, key)
        raise ConfigurationError(where, reason) from None
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(location, str(exc)) from None


def _first_problem(exc: cattrs.BaseValidationError, data: Any) -> tuple[str, str]:
    """The key path of the first error cattrs found below ``data``, and what is wrong there.

    cattrs nests one error per table and per array it structures; each carries a
    note saying which attribute or index it was structuring.
    """
    problem = exc.exceptions[0]
    if isinstance(problem, ForbiddenExtraKeysError):
        return sorted(problem.extra_fields)[0], "unknown key"
    notes = getattr(problem, "__notes__", [])
    note = next(
        (n for n in notes if isinstance(n, AttributeValidationNote | IterableValidationNote)),
        None,
    )
    if note is None:
        return _validator_problem(problem, exc)
    if isinstance(note, AttributeValidationNote):
        step = note.name
        value = data.get(note.name) if isinstance(data, Mapping) else None
    else:
        step = f"[{note.index}]"
        indexable = isinstance(data, list | tuple) and isinstance(note.index, int)
        value = data[note.index] if indexable else None
    if isinstance(problem, cattrs.IterableValidationError) and not isinstance(value, list | tuple):
        # A string is iterable too: its characters are not the items that were meant.
        return step, f"expected {_describe(note.type)}, got {value!r}"
    if isinstance(problem, cattrs.BaseValidationError):
        key, reason = _first_problem(problem, value)
        return _join(step, key), reason
    if isinstance(problem, KeyError):
        return step, "is required"
    return step, f"expected {_describe(note.type)}, got {value!r}"


def _validator_problem(problem: Exception, exc: cattrs.BaseValidationError) -> tuple[str, str]:
    """An error raised by the settings class itself: an attrs validator.

    Its message starts with the name of the field it is about (attrs' own validators
    write ``'days' must be >= 0: -1``); that field is the key.
    """
    # attrs validators put the message first and the attribute and value after it.
    message = problem.args[0] if problem.args and isinstance(problem.args[0], str) else str(problem)
    fields = (
        {a.name for a in attrs.fields(exc.cl)}
        if isinstance(exc, cattrs.ClassValidationError)
        else set()
    )
    named = re.match(r"'?(\w+)'?", message)
    if named is None or named.group(1) not in fields:
        return "", message
    return named.group(1), message.removeprefix(f"{named.group(1)}: ")


def _describe(expected: Any) -> str:
    """How a type is written in messages about crmkit.toml."""
    if attrs.has(expected):
        return "a table"
    if typing.get_origin(expected) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(expected)))
    if typing.get_origin(expected) in (tuple, list):
        return "an array"
    return getattr(expected, "__name__", str(expected))


def _join(path: str, key: str) -> str:
    if not key:
        return path
    if not path or key.startswith("["):
        return path + key
    return f"{path}.{key}"


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
        unknown = set(document) - {"crmkit", "plugins", "intake"}
        if unknown:
            raise ConfigurationError(f"{path}: [{sorted(unknown)[0]}]", "unknown table")
        for table in ("crmkit", "plugins", "intake"):
            if not isinstance(document.get(table, {}), dict):
                raise ConfigurationError(f"{path}: {table}", "must be a table")
        data.update(document.get("crmkit", {}))
        # These are filled from [plugins] and the file's name, never written in [crmkit].
        for reserved in ("plugins", "plugin_settings", "source", "intake"):
            if reserved in data:
                raise ConfigurationError(f"{path}: crmkit.{reserved}", "unknown key")
        if "intake" in document:
            data["intake"] = document["intake"]
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
    names = {a.name for a in attrs.fields(Settings)} - {
        "plugins",
        "plugin_settings",
        "source",
        "intake",
    }
    origins: dict[str, str] = {}
    hints = typing.get_type_hints(Settings)
    for name in names:
        variable = f"CRMKIT_{name.upper()}"
        value = env.get(variable)
        if value is not None:
            # A list is written comma-separated in its variable.
            listed = typing.get_origin(hints[name]) is tuple
            data[name] = [v.strip() for v in value.split(",") if v.strip()] if listed else value
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
