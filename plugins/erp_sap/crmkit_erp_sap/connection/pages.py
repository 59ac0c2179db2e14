"""The connection part's pages."""

from __future__ import annotations

from starlette.routing import BaseRoute

from crmkit import MenuItem

ROUTES: list[BaseRoute] = []
MENU: list[MenuItem] = []
