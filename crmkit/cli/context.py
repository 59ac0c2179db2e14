"""The application a CLI command works on: the one given to the command line, else the configured one."""

from __future__ import annotations

from functools import cache

import click

from crmkit.app import Crm


@cache
def configured_app() -> Crm:
    """The CRM configured by crmkit.toml and ``CRMKIT_*``; plugin failures are reported, not raised."""
    return Crm()


def get_app() -> Crm:
    """The CRM of this invocation: ``obj`` of the root click context if it is one (tests), else the configured."""
    context = click.get_current_context(silent=True)
    given = context.find_root().obj if context is not None else None
    return given if isinstance(given, Crm) else configured_app()
