"""The parties a segment or a static list targets: one SELECT other parts build on.

Whoever runs it sees only the parties the kernel's record rules let them see, and never a
party on a suppression list (by party, or by one of its email addresses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from crmkit import (
    Transaction,
    ValidationError,
    contact_point_table,
    party_table,
    seen_parties,
    sees_every_party,
)
from crmkit_campaigns.segments import records
from crmkit_campaigns.segments.criteria import resolve
from crmkit_campaigns.segments.language import compile_definition
from crmkit_campaigns.segments.tables import list_address, list_member, party_list


def target_query(
    tx: Transaction, *, segment_id: int | None = None, list_id: int | None = None
) -> Select[Any]:
    """The parties (one column, ``party_id``) the saved segment or the static list selects that
    ``tx.actor`` may see, less every suppression list. NotFound for an unknown or unreadable one."""
    if (segment_id is None) == (list_id is None):
        raise ValidationError("segment_id", "give either a segment_id or a list_id")
    if segment_id is not None:
        row = records.segment_row(tx, segment_id)
        try:
            return targets(tx, matching(tx, row.definition, segment_id))
        except ValidationError as exc:
            # A segment saved valid can stop being so (a custom field or plugin removed).
            raise ValidationError(
                "segment_id", f"segment {segment_id} cannot be used: {exc}"
            ) from None
    assert list_id is not None
    records.list_row(tx, list_id, "static")
    members = select(list_member.c.party_id).where(list_member.c.list_id == list_id)
    return targets(tx, party_table.c.id.in_(members))


def compile_segment(tx: Transaction, definition: Mapping[str, Any]) -> Select[Any]:
    """:func:`target_query` for a definition not saved; ValidationError naming the bad part."""
    return targets(tx, matching(tx, definition))


def matching(
    tx: Transaction, definition: Any, segment_id: int | None = None
) -> ColumnElement[bool]:
    """The condition on the party table ``definition`` (of saved segment ``segment_id``) stands
    for, without visibility and suppression."""
    return compile_definition(tx, definition, resolve, segment_id=segment_id)


def targets(tx: Transaction, condition: ColumnElement[bool]) -> Select[Any]:
    """The parties meeting ``condition`` that ``tx.actor`` sees, less the suppressed ones."""
    where = [condition, *not_suppressed()]
    if not sees_every_party(tx.hooks, tx.actor):
        where.append(seen_parties(tx.hooks, tx.actor))
    return select(party_table.c.id.label("party_id")).where(*where)


def not_suppressed() -> list[ColumnElement[bool]]:
    """Conditions on the party table leaving out whoever a suppression list names."""
    suppression = select(party_list.c.id).where(party_list.c.kind == "suppression")
    by_party = select(list_member.c.party_id).where(list_member.c.list_id.in_(suppression))
    cp = contact_point_table
    by_address = (
        select(cp.c.party_id)
        .join(list_address, list_address.c.address == cp.c.key)
        .where(cp.c.kind == "email", list_address.c.list_id.in_(suppression))
    )
    return [party_table.c.id.not_in(by_party), party_table.c.id.not_in(by_address)]


__all__ = ["compile_segment", "target_query"]
