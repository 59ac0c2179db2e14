"""Versions: the package's, and the plugin API's that plugins declare against."""

from __future__ import annotations

API_VERSION = "1.2"
"""The plugin API version, separate from the package version; see docs/upgrade-guide.md."""
