"""The contract test every plugin runs (being written)."""

from __future__ import annotations

from typing import Any


def check_plugin(name: Any) -> None:
    raise NotImplementedError
