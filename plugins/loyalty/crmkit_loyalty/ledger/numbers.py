"""Member numbers: ``L`` and the member's id in eight digits, then a Luhn check digit.

Readable over the phone, unique because the id is, and a mistyped digit (or two swapped
neighbours) is caught by the check digit before any lookup.
"""

from __future__ import annotations


def _luhn(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def member_number(member_id: int) -> str:
    digits = f"{member_id:08d}"
    return f"L{digits}{_luhn(digits)}"


def is_member_number(text: str) -> bool:
    """Whether ``text`` is well formed and its check digit right."""
    body = text.strip().upper()
    if len(body) < 10 or body[0] != "L" or not body[1:].isdigit():
        return False
    return _luhn(body[1:-1]) == int(body[-1])
