"""The pluggy markers of the ``crmkit`` project."""

from __future__ import annotations

import pluggy

PROJECT = "crmkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
