"""What the segments part answers: saved segments, lists, previews and import reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import field, frozen


@frozen
class Segment:
    """A saved segment: a named definition, run as whoever runs it."""

    id: int
    name: str
    description: str | None
    definition: dict[str, Any]
    owner_id: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int


@frozen
class PartyList:
    """A static list (targeted like a segment) or a suppression list (left out of every target).
    ``members``: how many of its parties the reader sees; ``addresses``: its email addresses
    (suppression lists only)."""

    id: int
    kind: str
    name: str
    description: str | None
    owner_id: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    version: int
    members: int
    addresses: int


@frozen
class SampleParty:
    """A party of a preview, as the preview shows it."""

    id: int
    name: str
    role: str
    city: str | None
    country: str | None


@frozen
class Preview:
    """How many parties a definition selects for its reader, and some of them."""

    count: int
    sample: list[SampleParty]


@frozen
class Unmatched:
    """A line of an import no visible party matched, and why."""

    line: int
    value: str
    reason: str


@frozen
class ImportReport:
    """What an import did: lines read, parties (or addresses) added, lines not matched."""

    lines: int
    matched: int
    added: int
    unmatched: list[Unmatched] = field(factory=list)


@frozen
class Criterion:
    """A criterion the segment form offers (built-in, custom field or a plugin's)."""

    name: str
    label: str
    operators: list[str]
    value: str
    options: dict[str, str]
