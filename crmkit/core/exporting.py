"""Export of customers, prospects and interactions as CSV or JSON lines, in constant memory.

Rows are streamed (``yield_per``: a server-side cursor on PostgreSQL) and loaded
in partitions. A customers or prospects CSV has one column per import field,
named as ``crmkit import`` expects, so it can be imported back with no mapping
options; it holds a party's first postal address only, JSON lines hold them all.
Owners are written as usernames, the way ``crmkit import`` reads them.

Every CSV cell that a spreadsheet program would run as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a ``'`` in
front, phone numbers (``'+4930...``) and negative numbers included, and ``crmkit
import`` takes it off again (see :mod:`crmkit.core.csv_cells`). Columns of custom
fields, which plugins register, are written the same way. JSON lines are written as
they are: no spreadsheet opens them.

Customers and prospects are also written as vCards (3.0 or 4.0, see
:mod:`crmkit.core.vcard_parties`), which ``crmkit import`` reads back as well.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Any

import attrs
from attrs import frozen
from sqlalchemy import ColumnElement, Connection, select

from crmkit.core.csv_cells import csv_cell
from crmkit.core.db import reading
from crmkit.core.entities import Customer, Party, Prospect
from crmkit.core.errors import ValidationError
from crmkit.core.import_mapping import import_fields
from crmkit.core.interactions import from_row, row_of
from crmkit.core.parties import ADDRESS_FIELDS, load_parties
from crmkit.core.search import party_search
from crmkit.core.tables import interaction, party, user
from crmkit.core.values import MULTI_VALUE_SEPARATOR
from crmkit.core.vcard import VERSIONS
from crmkit.core.vcard_parties import party_card

if TYPE_CHECKING:
    from crmkit.app import Crm

EXPORTABLE = ("customers", "interactions", "prospects")
EXPORT_FORMATS = ("csv", "jsonl", "vcard")
PARTITION = 500
"""Rows fetched and loaded at a time."""

INTERACTION_COLUMNS = (
    "id",
    "party_id",
    "channel",
    "direction",
    "occurred_at",
    "subject",
    "summary",
    "outcome",
    "owner",
    "source",
    "refs",
    "custom",
    "created_at",
)


@frozen
class PartySelection:
    """Which customers or prospects an export holds; by default all of them."""

    ids: Sequence[int] = ()
    """Only these parties (an unknown id is refused)."""
    search: str | None = None
    """Only parties a search for these words finds, as the list's ``q`` does."""


def export_records(
    app: Crm,
    what: str,
    fmt: str,
    out: IO[str],
    *,
    selection: PartySelection | None = None,
    vcard_version: str = "4.0",
) -> int:
    """Write every record of ``what`` (customers, prospects, interactions) to ``out``; return the count.

    ``selection`` narrows customers and prospects; ``vcard_version`` is 3.0 or 4.0.
    """
    if what not in EXPORTABLE:
        raise ValidationError("what", f"expected one of {', '.join(EXPORTABLE)}, got {what!r}")
    if fmt not in EXPORT_FORMATS:
        raise ValidationError("format", f"expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if vcard_version not in VERSIONS:
        raise ValidationError("version", f"expected one of {', '.join(VERSIONS)}")
    if what == "interactions" and (fmt == "vcard" or selection is not None):
        raise ValidationError("format" if fmt == "vcard" else "selection", "only for parties")
    # One read-only connection: on SQLite, writers go on while a long export runs.
    with reading(app.engine) as conn:
        owners = _Usernames(conn)
        if what == "interactions":
            records = _interactions(conn, owners)
            columns: tuple[str, ...] = INTERACTION_COLUMNS
            return _write_csv(out, columns, records) if fmt == "csv" else _write_jsonl(out, records)
        role = what.removesuffix("s")
        entities = _entities(conn, role, _conditions(conn, role, selection or PartySelection()))
        if fmt == "vcard":
            return write_cards(out, entities, vcard_version)
        custom = tuple(app.custom_fields.of(role))
        records = _parties(entities, owners, custom, flat=fmt == "csv")
        columns = ("id", *import_fields(role, custom), "created_at", "updated_at")
        return _write_csv(out, columns, records) if fmt == "csv" else _write_jsonl(out, records)


def write_cards(out: IO[str], entities: Iterable[Party], version: str) -> int:
    """Write each party as a vCard of ``version``; return the count."""
    count = 0
    for entity in entities:
        out.write(party_card(entity, version))
        count += 1
    return count


def _conditions(
    conn: Connection, role: str, selection: PartySelection
) -> list[ColumnElement[bool]]:
    conditions = [party.c.role == role]
    if selection.ids:
        wanted = set(selection.ids)
        found = set(
            conn.execute(select(party.c.id).where(party.c.id.in_(wanted), *conditions)).scalars()
        )
        if missing := sorted(wanted - found):
            raise ValidationError("id", f"no {role} {missing[0]}")
        conditions.append(party.c.id.in_(wanted))
    if selection.search is not None:
        conditions.append(party_search(selection.search))
    return conditions


def _write_csv(out: IO[str], columns: tuple[str, ...], records: Iterable[dict[str, Any]]) -> int:
    # Every cell quoted: a spreadsheet splitting lines on another separator (``;`` in a
    # German locale, tabs) would otherwise find a formula after one inside a cell.
    writer = csv.DictWriter(out, columns, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    count = 0
    for record in records:
        # The one place every CSV cell of an export passes: a planted formula cannot get by.
        writer.writerow({name: csv_cell(_cell(record.get(name))) for name in columns})
        count += 1
    return count


def _write_jsonl(out: IO[str], records: Iterable[dict[str, Any]]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, default=_json_value, ensure_ascii=False) + "\n")
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=_json_value, ensure_ascii=False)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _Usernames:
    """Usernames by user id, looked up once per partition for the ids not seen yet."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known: dict[int, str] = {}

    def load(self, ids: Iterable[int | None]) -> None:
        wanted = {i for i in ids if i is not None} - set(self.known)
        if wanted:
            query = select(user.c.id, user.c.username).where(user.c.id.in_(wanted))
            self.known.update((user_id, name) for user_id, name in self.conn.execute(query))

    def __call__(self, user_id: int | None) -> str | None:
        return None if user_id is None else self.known.get(user_id)


def _entities(
    conn: Connection, role: str, conditions: Sequence[ColumnElement[bool]]
) -> Iterator[Party]:
    ids = conn.execution_options(yield_per=PARTITION).execute(
        select(party.c.id).where(*conditions).order_by(party.c.id)
    )
    for partition in ids.partitions():
        wanted = [row.id for row in partition]
        loaded = load_parties(conn, wanted)
        for party_id in wanted:
            yield loaded[party_id]


def _parties(
    entities: Iterable[Party],
    owners: _Usernames,
    custom: tuple[str, ...],
    *,
    flat: bool,
) -> Iterator[dict[str, Any]]:
    for entity in entities:
        owners.load((entity.owner_id,))  # each user once: a look-up only for one not seen yet
        yield _flat(entity, owners, custom) if flat else _nested(entity, owners)


def _common(entity: Party, owners: _Usernames) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": entity.id,
        "kind": entity.kind,
        "first_name": entity.first_name,
        "last_name": entity.last_name,
        "organisation_name": entity.organisation_name,
        "birth_date": entity.birth_date,
        "source": getattr(entity, "source", None),
        "owner": owners(entity.owner_id),
    }
    if isinstance(entity, Prospect):
        record["status"] = entity.status
    if isinstance(entity, Customer):
        record["customer_number"] = entity.customer_number
    return record


def _flat(entity: Party, owners: _Usernames, custom: tuple[str, ...]) -> dict[str, Any]:
    """One CSV row: the import's fields, several emails or phones joined, the first address."""
    address = attrs.asdict(entity.addresses[0]) if entity.addresses else {}
    return {
        **_common(entity, owners),
        "emails": MULTI_VALUE_SEPARATOR.join(e.original for e in entity.emails),
        "phones": MULTI_VALUE_SEPARATOR.join(p.e164 for p in entity.phones),
        **{name: address.get(name) for name in ADDRESS_FIELDS},
        **{name: entity.custom.get(name) for name in custom},
        "created_at": entity.created_at,
        "updated_at": entity.updated_at,
    }


def _nested(entity: Party, owners: _Usernames) -> dict[str, Any]:
    """One JSON document: everything the kernel holds on the party."""
    record = {
        "role": entity.role,
        **_common(entity, owners),
        "emails": [e.original for e in entity.emails],
        "phones": [p.e164 for p in entity.phones],
        "addresses": [attrs.asdict(a) for a in entity.addresses],
        "custom": entity.custom,
        "version": entity.version,
        "created_at": entity.created_at,
        "updated_at": entity.updated_at,
    }
    if isinstance(entity, Customer):
        record["converted_at"] = entity.converted_at
    return record


def _interactions(conn: Connection, owners: _Usernames) -> Iterator[dict[str, Any]]:
    rows = conn.execution_options(yield_per=PARTITION).execute(
        select(interaction).order_by(interaction.c.id)
    )
    for partition in rows.partitions():
        items = [from_row(row) for row in partition]
        owners.load(item.owner_id for item in items)
        for item in items:
            record = {"id": item.id, **row_of(item), "created_at": item.created_at}
            record["owner"] = owners(record.pop("owner_id"))
            yield record
