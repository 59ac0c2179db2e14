"""What the events part's routes and pages share: the ids in their paths."""

from __future__ import annotations

from starlette.requests import Request


def path_id(request: Request, name: str = "event_id") -> int:
    value: int = request.path_params[name]
    return value
