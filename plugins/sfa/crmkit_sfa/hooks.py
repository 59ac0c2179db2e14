"""The plugin's hook implementations: thin adapters onto the pipeline, quotes and planning services."""

from __future__ import annotations
