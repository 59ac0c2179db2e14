"""Add the search index over names, emails, phones and organisations.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    op.create_table(
        "core_search_term",
        sa.Column("party_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "term",
            sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_search_term_party_id_core_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("party_id", "term", name=op.f("pk_core_search_term")),
    )
    with op.batch_alter_table("core_search_term", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_search_term_term_party_id"), ["term", "party_id"], unique=False
        )

    _index_existing_parties()


def _index_existing_parties() -> None:
    """Give every party stored so far the terms ``crmkit.core.search`` gives a new one.

    Spelled out here rather than imported, so that this revision keeps its meaning.
    """
    party = sa.table(
        "core_party",
        sa.column("id", sa.Integer()),
        sa.column("display_name", sa.String()),
        sa.column("first_name", sa.String()),
        sa.column("last_name", sa.String()),
        sa.column("organisation_name", sa.String()),
    )
    contact = sa.table(
        "core_contact_point",
        sa.column("party_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("key", sa.String()),
    )
    term = sa.table("core_search_term", sa.column("party_id"), sa.column("term"))
    conn = op.get_bind()
    last_id = 0
    while True:
        parties = conn.execute(
            sa.select(party).where(party.c.id > last_id).order_by(party.c.id).limit(BATCH)
        ).all()
        if not parties:
            return
        last_id = parties[-1].id
        terms: dict[int, set[str]] = {
            p.id: _words(p.display_name, p.first_name, p.last_name, p.organisation_name)
            for p in parties
        }
        contacts = conn.execute(
            sa.select(contact).where(
                contact.c.party_id.in_(list(terms)),
                contact.c.kind.in_(("email", "phone")),
                contact.c.key.is_not(None),
            )
        )
        for c in contacts:
            terms[c.party_id] |= _email_terms(c.key) if c.kind == "email" else _phone_terms(c.key)
        rows = [
            {"party_id": party_id, "term": t}
            for party_id, found in terms.items()
            for t in sorted({t[:100] for t in found if t})
        ]
        if rows:
            conn.execute(term.insert(), rows)


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(*texts: str | None) -> set[str]:
    found: set[str] = set()
    for text in texts:
        for word in _normalise(text or "").split():
            word = word.strip("\"'()[]{}<>,;:!?.`")
            found.add(word)
            found.update(re.split(r"\W+", word))
    return found


def _email_terms(address: str) -> set[str]:
    local, _, domain = address.partition("@")
    return {address, local, domain} | _words(local, domain)


def _phone_terms(e164: str) -> set[str]:
    number = phonenumbers.parse(e164)
    return {e164.lstrip("+"), phonenumbers.national_significant_number(number)}


def downgrade() -> None:
    with op.batch_alter_table("core_search_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_search_term_term_party_id"))

    op.drop_table("core_search_term")
