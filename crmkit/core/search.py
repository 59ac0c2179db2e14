"""Finding parties by what a person types: part of a name, an email address or a phone number."""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, and_, or_, select

from crmkit.core.tables import contact_point, party
from crmkit.core.values import clean_text

MIN_PHONE_DIGITS = 3
"""Fewer digits would match most numbers; they are searched as part of a name only."""


def party_search(text: str) -> ColumnElement[bool]:
    """A condition on ``core_party`` matching ``text`` in the name, an email or a phone number.

    Phone numbers are stored in E.164, so the digits typed are looked for without
    the national trunk prefix: "030 1234" finds +49301234….
    """
    words = clean_text(text)
    matches = [
        and_(
            contact_point.c.kind == "email",
            contact_point.c.key.contains(words.casefold(), autoescape=True),
        )
    ]
    digits = re.sub(r"\D", "", words).lstrip("0")
    if len(digits) >= MIN_PHONE_DIGITS:
        matches.append(and_(contact_point.c.kind == "phone", contact_point.c.key.contains(digits)))
    contacts = select(contact_point.c.party_id).where(or_(*matches))
    return or_(party.c.display_name.icontains(words, autoescape=True), party.c.id.in_(contacts))
