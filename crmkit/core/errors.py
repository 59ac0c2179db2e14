"""Domain exceptions, mapped to HTTP problems and CLI messages in one place each."""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error crmkit raises on purpose."""

    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(CrmError):
    """Input that cannot be accepted; ``field`` names where it is wrong."""

    title = "Invalid input"

    def __init__(self, field: str, message: str, *, location: str | None = None) -> None:
        where = f"{location}: " if location else ""
        super().__init__(f"{where}{field}: {message}")
        self.field = field
        self.reason = message
        self.location = location


class ConflictError(CrmError):
    """A write lost a race (stale version) or would break a uniqueness rule."""

    title = "Conflict"


class NotFound(CrmError):
    """The record does not exist (or the actor may not know that it does)."""

    title = "Not found"


class PermissionDenied(CrmError):
    """The actor may not do this."""

    title = "Forbidden"


class PluginError(CrmError):
    """A plugin could not be loaded or is inconsistent; ``plugin`` names it."""

    title = "Plugin error"

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin
        self.reason = message


class ConfigurationError(CrmError):
    """Settings that cannot be used; ``key`` names the setting and where it came from."""

    title = "Configuration error"

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = message


class MigrationError(CrmError):
    """A schema migration that cannot run: unknown branch or revision, several heads, a failed step."""

    title = "Migration error"
