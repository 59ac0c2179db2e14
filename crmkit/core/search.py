"""Finding parties by what a person types: the start of a name, an email address or a phone number.

Every party has its search terms in ``core_search_term``: the words of its names
and organisation, its email addresses with their parts, and the digits of its
phone numbers, all normalised (case and accents folded). A typed word matches
the terms it begins, so a search is one index range per word whatever the
number of parties. Writes keep the terms in step through :func:`index_party`
(one party) and :func:`search_rows` (bulk writes); an import of customers finds them
with :func:`terms_of` while it builds the rows, in its worker processes.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Sequence
from functools import reduce
from typing import TYPE_CHECKING

import phonenumbers
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    false,
    insert,
    literal,
    select,
)

from crmkit.core.errors import ValidationError
from crmkit.core.tables import party, search_term
from crmkit.core.text import strip_accents
from crmkit.core.untrusted import check_storable_text
from crmkit.core.values import parsed_phone

if TYPE_CHECKING:
    from crmkit.core.entities import Party

MIN_PHONE_DIGITS = 3
"""Fewer digits would match most numbers; they are searched as a word only."""
TERM_LENGTH = 100
"""Longer terms are cut: nobody types more than that into a search box."""
MAX_TYPED = 200
"""The longest search text, in characters."""
MAX_WORDS = 10
"""The most words a search looks for: each one is a condition of the query."""
PHONE_TYPED = re.compile(r"^[\d\s+()./-]+$")
LAST_CHARACTER = chr(sys.maxunicode)
"""Sorts after every character that may follow a prefix, on SQLite and in PostgreSQL's C collation."""
NOT_WORD = re.compile(r"\W+")
EDGE_PUNCTUATION = "\"'()[]{}<>,;:!?.`"


def normalise(text: str) -> str:
    """Case and accents folded: "Krüger" and "KRUGER" are both "kruger"."""
    return strip_accents(text.casefold())


def _words(text: str) -> set[str]:
    """The whitespace-separated words of ``text`` and the alphanumeric runs inside each."""
    found: set[str] = set()
    for word in normalise(text).split():
        word = word.strip(EDGE_PUNCTUATION)
        found.add(word)
        found.update(NOT_WORD.split(word))
    return found


def _phone_terms(e164: str) -> set[str]:
    """The number's digits internationally (``4930123``) and nationally without trunk prefix."""
    number = parsed_phone(e164)
    return {e164.lstrip("+"), phonenumbers.national_significant_number(number)}


def search_terms(entity: Party) -> set[str]:
    """Every term the party is found by."""
    terms: set[str] = set()
    for name in (entity.display_name, entity.first_name, entity.last_name):
        terms |= _words(name or "")
    terms |= _words(entity.organisation_name or "")
    for email in entity.emails:
        local, _, domain = email.normalised.partition("@")
        terms |= {email.normalised, local, domain} | _words(local) | _words(domain)
    for phone in entity.phones:
        terms |= _phone_terms(phone.e164)
    return {term[:TERM_LENGTH] for term in terms if term}


def terms_of(entity: Party) -> list[str]:
    """The party's search terms, in order."""
    return sorted(search_terms(entity))


def search_rows(party_id: int, entity: Party) -> list[dict[str, object]]:
    """``core_search_term`` rows of a party about to be inserted in bulk."""
    return term_rows(party_id, terms_of(entity))


def term_rows(party_id: int, terms: Sequence[str]) -> list[dict[str, object]]:
    """``core_search_term`` rows of a party's terms (:func:`terms_of`)."""
    return [{"party_id": party_id, "term": term} for term in terms]


def index_party(conn: Connection, party_id: int, entity: Party) -> None:
    """Replace the party's search terms with those of ``entity`` (after a create, update or merge)."""
    conn.execute(delete(search_term).where(search_term.c.party_id == party_id))
    rows = search_rows(party_id, entity)
    if rows:
        conn.execute(insert(search_term), rows)


def unindex_party(conn: Connection, party_id: int) -> None:
    """Forget the party's search terms (it was merged away or erased)."""
    conn.execute(delete(search_term).where(search_term.c.party_id == party_id))


def typed_terms(text: str) -> list[str]:
    """What a search box's text looks for: one phone number, or each of its words as typed.

    Text longer than :data:`MAX_TYPED`, of more than :data:`MAX_WORDS` words or
    that no database stores is refused, naming ``q``, the search parameter of the
    API and the pages.

    A phone number counts its digits without the national trunk prefix or the
    international ``00``, so that "030 1234" finds +49301234… by its national
    digits and "0049 30 1234" by its international ones.
    """
    if len(text) > MAX_TYPED:
        raise ValidationError("q", f"longer than {MAX_TYPED} characters")
    check_storable_text("q", text)
    digits = re.sub(r"\D", "", text).lstrip("0")
    if PHONE_TYPED.match(text) and len(digits) >= MIN_PHONE_DIGITS:
        return [digits]
    words = (word.strip(EDGE_PUNCTUATION) for word in normalise(text).split())
    terms = sorted({word[:TERM_LENGTH] for word in words if NOT_WORD.sub("", word)})
    # A query with thousands of conditions is more than a database takes ("too large").
    if len(terms) > MAX_WORDS:
        raise ValidationError("q", f"more than {MAX_WORDS} words")
    return terms


def _starting_with(prefix: str) -> Select[tuple[int]]:
    """Ids of the parties having a term that begins with ``prefix``: one range of the term index."""
    return select(search_term.c.party_id).where(
        search_term.c.term >= prefix, search_term.c.term < prefix + LAST_CHARACTER
    )


def party_search(text: str) -> ColumnElement[bool]:
    """A condition on ``core_party``: every typed word begins a term of the party."""
    terms = typed_terms(text)
    if not terms:
        return false()
    return and_(*(party.c.id.in_(_starting_with(term)) for term in terms))


def relevance(text: str) -> ColumnElement[int]:
    """How many typed words are a whole term of the party: "ann" ranks Ann above Annabel."""
    whole = (
        case(
            (party.c.id.in_(select(search_term.c.party_id).where(search_term.c.term == term)), 1),
            else_=0,
        )
        for term in typed_terms(text)
    )
    return reduce(operator.add, whole, literal(0))
