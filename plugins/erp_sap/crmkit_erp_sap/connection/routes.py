"""The connection part's JSON API under ``/p/erp_sap/``."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
