"""The ``{name:id}`` path parameter: a record id, as an int no database refuses.

Starlette's ``int`` takes any run of digits, and an id beyond 64 bits makes the
database driver fail; ``id`` matches 1 to 15 digits (every id JSON carries
exactly), so a longer one is simply a path that does not exist (404).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class IdConvertor(Convertor[int]):
    """Record ids in paths: ``/parties/{party_id:id}``."""

    regex = "[0-9]{1,15}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())
