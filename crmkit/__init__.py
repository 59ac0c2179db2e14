"""crmkit: a plugin-based, extensible CRM framework.

This module is the public API plugins import from; anything else is internal.
"""

from __future__ import annotations

from crmkit.core.actors import SYSTEM, Actor
from crmkit.core.custom_fields import CustomField
from crmkit.core.db import Transaction
from crmkit.core.entities import Customer, Interaction, Party, Prospect, RecordRef, User
from crmkit.core.errors import (
    ConfigurationError,
    ConflictError,
    CrmError,
    NotFound,
    PermissionDenied,
    PluginError,
    ValidationError,
)
from crmkit.core.events import Event, EventType
from crmkit.core.jobs import Job
from crmkit.core.pagination import Page
from crmkit.core.permissions import Permission
from crmkit.core.tables import metadata
from crmkit.core.ui import MenuItem, Widget
from crmkit.core.values import EmailAddress, Money, PhoneNumber, PostalAddress
from crmkit.hooks.markers import hookimpl
from crmkit.hooks.plugin_info import PluginInfo
from crmkit.hooks.specs import spec as hookspec
from crmkit.version import API_VERSION

__all__ = [
    "API_VERSION",
    "SYSTEM",
    "Actor",
    "ConfigurationError",
    "ConflictError",
    "CrmError",
    "CustomField",
    "Customer",
    "EmailAddress",
    "Event",
    "EventType",
    "Interaction",
    "Job",
    "MenuItem",
    "Money",
    "NotFound",
    "Page",
    "Party",
    "Permission",
    "PermissionDenied",
    "PhoneNumber",
    "PluginError",
    "PluginInfo",
    "PostalAddress",
    "Prospect",
    "RecordRef",
    "Transaction",
    "User",
    "ValidationError",
    "Widget",
    "hookimpl",
    "hookspec",
    "metadata",
]
