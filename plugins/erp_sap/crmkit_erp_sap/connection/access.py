"""Who may do what in the connection part."""

from __future__ import annotations

from crmkit import Permission

PERMISSIONS: list[Permission] = []
