"""Blocking keys: records are compared only with records sharing a key, so cost stays linear.

Each key is one piece of evidence that two records could be one party: an exact
contact point or id, or a coarse name combined with a date of birth or a place.
Names enter in a swap-proof order, so that swapped first and last names still meet.
"""

from __future__ import annotations

from crmkit.core.matching.nicknames import canonical_first_name
from crmkit.core.matching.record import MatchRecord

MAX_KEY_LENGTH = 64
_NAME_PREFIX = 3


def _compact(text: str) -> str:
    return text.replace(" ", "")


def _names(record: MatchRecord) -> tuple[str, str]:
    # Either name may stand in the other's place, so both are read as possible first names.
    first = record.first_name.split(" ")[0] if record.first_name else ""
    last = _compact(record.last_name)
    return _compact(canonical_first_name(first)), canonical_first_name(last)


def _name_pair(names: tuple[str, str], length: int | None = _NAME_PREFIX) -> str:
    return "+".join(sorted(name[:length] for name in names))


def _initials(names: tuple[str, str]) -> str:
    return "".join(sorted(name[:1] for name in names if name))


def _person_keys(record: MatchRecord) -> list[str]:
    names = _names(record)
    pair = _name_pair(names)
    place = record.postcode or _compact(record.city)
    keys = []
    if record.birth_date:
        keys.append(f"nd:{pair}:{record.birth_date.year}")
        keys.append(f"d:{record.birth_date.isoformat()}:{_initials(names)}")
    if place:
        keys.append(f"np:{pair}:{place[:12]}")
    if record.city and record.postcode:
        # A mistyped postcode keeps the city; whole names keep the block small in a big one.
        keys.append(f"nc:{_name_pair(names, None)[:40]}:{_compact(record.city)[:12]}")
    if record.birth_date and record.postcode:
        # Names mistyped in their first letters keep the date of birth and the postcode.
        keys.append(f"dp:{record.birth_date.isoformat()}:{record.postcode[:12]}")
    if not keys:
        keys.append(f"n:{_name_pair(names, None)}")
    return keys


def _organisation_keys(record: MatchRecord) -> list[str]:
    name = _compact(record.organisation)
    keys = [f"o:{name[:24]}"]
    first_word = record.organisation.split(" ")[0]
    place = record.postcode or _compact(record.city)
    if place:
        keys.append(f"op:{first_word[:8]}:{place[:12]}")
    return keys


def blocking_keys(record: MatchRecord) -> list[str]:
    """Short strings (at most 64 characters) that a duplicate of ``record`` likely shares."""
    keys = [f"e:{email}" for email in record.emails]
    keys += [f"p:{phone}" for phone in record.phones]
    if record.national_id:
        keys.append(f"i:{record.national_id}")
    if record.external_id:
        keys.append(f"x:{record.external_id}")
    if record.is_person:
        keys += _person_keys(record)
    elif record.organisation:
        keys += _organisation_keys(record)
    if record.street and (record.postcode or record.city):
        place = record.postcode or _compact(record.city)
        keys.append(f"a:{place[:12]}:{_compact(record.street)[:10]}:{record.street_number[:8]}")
    return list(dict.fromkeys(key[:MAX_KEY_LENGTH] for key in keys))
