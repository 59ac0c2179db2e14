"""The connection part's commands under ``crmkit erp_sap``."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
