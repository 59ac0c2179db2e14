"""Running ``crmkit`` commands against a test application."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from crmkit.app import Crm
from crmkit.cli.main import cli


def invoke(app: Crm, *args: str, input: str | None = None, **options: Any) -> Result:
    """Run ``crmkit ARGS`` (kernel or plugin commands) against ``app`` and return click's result."""
    return CliRunner(**options).invoke(
        cli, list(args), obj=app, input=input, catch_exceptions=False
    )
