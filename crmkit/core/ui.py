"""Values plugins contribute to the user interface (no rendering here: that is crmkit.web)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import frozen


@frozen
class MenuItem:
    """A link in the navigation or an action on an entity's page."""

    label: str
    url: str
    permission: str | None = None
    order: int = 100


@frozen
class Widget:
    """A dashboard tile: ``render(app, actor)`` returns safe HTML for its body."""

    name: str
    title: str
    render: Callable[[Any, Any], str]
    permission: str | None = None


@frozen
class Panel:
    """A section of a party's page (the 360-degree view): ``render(conn)`` returns safe HTML for
    its body, read on the page's connection."""

    title: str
    render: Callable[[Any], str]
    order: int = 100
