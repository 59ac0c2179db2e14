"""Who may do what in the triggers part."""

from __future__ import annotations

from crmkit import Permission

PERMISSIONS: list[Permission] = []
