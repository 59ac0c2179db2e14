"""The routing part's commands under ``crmkit dms``."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
