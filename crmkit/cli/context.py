"""The application a CLI command works on, built once per process from settings."""

from __future__ import annotations

from functools import cache

from crmkit.app import Crm


@cache
def get_app() -> Crm:
    """The CRM configured by crmkit.toml and ``CRMKIT_*``; plugin failures are reported, not raised."""
    return Crm()
