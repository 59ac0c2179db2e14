"""Prospects and customers: create, read, update with optimistic concurrency, convert, list."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    update,
)

from crmkit.core import audit
from crmkit.core.db import Transaction
from crmkit.core.entities import (
    NAME_FIELDS,
    PARTY_CLASSES,
    PARTY_KINDS,
    PROSPECT_STATUSES,
    Customer,
    Party,
)
from crmkit.core.errors import ConflictError, NotFound, ValidationError
from crmkit.core.external_id_changes import record_merged_ids
from crmkit.core.inputs import read_date, read_id
from crmkit.core.intake.match_keys import (
    add_match_keys,
    index_match_keys,
    unindex_match_keys,
)
from crmkit.core.intake.merge_log import carry_intake, describe, record_merge
from crmkit.core.json_rows import json_rows
from crmkit.core.pagination import (
    Page,
    check_limit,
    cursor_datetime,
    cursor_id,
    cursor_text,
    decode_cursor,
    encode_cursor,
)
from crmkit.core.prepared import Prepared
from crmkit.core.search import index_party, search_rows, unindex_party
from crmkit.core.stand_in import names_after_merge
from crmkit.core.tables import (
    consent,
    contact_point,
    external_id,
    interaction,
    merge_log,
    party,
    search_term,
    utcnow,
)
from crmkit.core.territories import territory_key
from crmkit.core.values import EmailAddress, PhoneNumber, PostalAddress, clean_text

NAME_LIMITS = {"first_name": 150, "last_name": 150, "organisation_name": 300}
"""The widths of the name columns; ``display_name`` (300) is checked in :func:`check_identity`."""
ADDRESS_FIELDS = tuple(a.name for a in attrs.fields(PostalAddress))
CONTACT_LIMITS = {"emails": 50, "phones": 50, "addresses": 20}
"""The most contact points of each kind a party has: every one is parsed, stored and indexed."""
EDITABLE = frozenset(
    {
        *NAME_FIELDS,
        "kind",
        "birth_date",
        "emails",
        "phones",
        "addresses",
        "owner_id",
        "custom",
        "source",
        "status",
        "customer_number",
    }
)


# --- Building entities from untrusted data (API bodies, CSV rows, connector records).


def _text(data: Mapping[str, Any], name: str, limit: int = 300) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"expected text, got {type(value).__name__}")
    value = clean_text(value)
    if len(value) > limit:
        raise ValidationError(name, f"longer than {limit} characters")
    return value or None


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name) or []
    if isinstance(value, str | Mapping) or not isinstance(value, Sequence):
        raise ValidationError(name, "expected a list")
    if len(value) > CONTACT_LIMITS[name]:
        raise ValidationError(name, f"more than {CONTACT_LIMITS[name]} items")
    return list(value)


def parse_emails(values: Sequence[Any]) -> tuple[EmailAddress, ...]:
    parsed = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ValidationError(f"emails[{i}]", "expected text")
        parsed.append(EmailAddress.parse(value, field_name=f"emails[{i}]"))
    return _unique(parsed, key=lambda e: e.normalised)


def parse_phones(values: Sequence[Any], region: str | None) -> tuple[PhoneNumber, ...]:
    parsed = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ValidationError(f"phones[{i}]", "expected text")
        parsed.append(PhoneNumber.parse(value, region=region, field_name=f"phones[{i}]"))
    return _unique(parsed, key=lambda p: p.e164)


def parse_addresses(values: Sequence[Any]) -> tuple[PostalAddress, ...]:
    parsed = []
    for i, value in enumerate(values):
        if not isinstance(value, Mapping):
            raise ValidationError(f"addresses[{i}]", "expected an object")
        unknown = set(value) - set(ADDRESS_FIELDS)
        if unknown:
            raise ValidationError(f"addresses[{i}].{sorted(unknown)[0]}", "unknown field")
        parts = {}
        for name in ADDRESS_FIELDS:
            try:
                parts[name] = _text(value, name, 200)
            except ValidationError as exc:
                raise ValidationError(f"addresses[{i}].{name}", exc.reason) from None
        try:
            address = PostalAddress(**parts)
        except ValidationError as exc:
            raise ValidationError(f"addresses[{i}].{exc.field}", exc.reason) from None
        if len(address.one_line()) > 500:
            raise ValidationError(f"addresses[{i}]", "longer than 500 characters in all")
        if not address.is_empty():
            parsed.append(address)
    return tuple(parsed)


def _unique(values: list[Any], key: Any) -> tuple[Any, ...]:
    seen: dict[Any, Any] = {}
    for value in values:
        seen.setdefault(key(value), value)
    return tuple(seen.values())


def _birth_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return read_date("birth_date", value)


def build_party(role: str, data: Mapping[str, Any], *, region: str | None) -> Party:
    """A validated, normalised prospect or customer from plain data; raises naming the field."""
    cls = PARTY_CLASSES.get(role)
    if cls is None:
        raise ValidationError("role", f"expected prospect or customer, got {role!r}")
    allowed = EDITABLE - ({"status"} if role == "customer" else {"customer_number"})
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    values: dict[str, Any] = {name: _text(data, name, NAME_LIMITS[name]) for name in NAME_FIELDS}
    kind = data.get("kind", "person")
    if kind not in PARTY_KINDS:
        raise ValidationError("kind", f"expected person or organisation, got {kind!r}")
    values["kind"] = kind
    values["birth_date"] = _birth_date(data.get("birth_date"))
    values["emails"] = parse_emails(_list(data, "emails"))
    values["phones"] = parse_phones(_list(data, "phones"), region)
    values["addresses"] = parse_addresses(_list(data, "addresses"))
    owner = data.get("owner_id")
    values["owner_id"] = None if owner is None else read_id("owner_id", owner)
    custom = data.get("custom") or {}
    if not isinstance(custom, Mapping):
        raise ValidationError("custom", "expected an object")
    values["custom"] = dict(custom)
    values["source"] = _text(data, "source", 100)
    if role == "prospect":
        status = data.get("status", "new")
        if status not in PROSPECT_STATUSES:
            raise ValidationError("status", f"expected one of {', '.join(PROSPECT_STATUSES)}")
        values["status"] = status
    else:
        values["customer_number"] = _text(data, "customer_number", 100)
    entity = cls(**values)
    check_identity(entity)
    return entity


def check_identity(entity: Party) -> None:
    """A party needs a name: a person's last name or an organisation's name."""
    if entity.kind == "organisation" and not entity.organisation_name:
        raise ValidationError("organisation_name", "an organisation needs a name")
    if entity.kind == "person" and not (entity.last_name or entity.first_name):
        raise ValidationError("last_name", "a person needs a first or last name")
    if len(entity.display_name) > 300:
        raise ValidationError("last_name", "the full name is longer than 300 characters")


# --- Rows <-> entities.


def party_row(entity: Party) -> dict[str, Any]:
    return {
        "role": entity.role,
        "kind": entity.kind,
        "display_name": entity.display_name,
        "first_name": entity.first_name,
        "last_name": entity.last_name,
        "organisation_name": entity.organisation_name,
        "birth_date": entity.birth_date,
        "owner_id": entity.owner_id,
        "source": getattr(entity, "source", None),
        "status": getattr(entity, "status", None),
        "customer_number": getattr(entity, "customer_number", None),
        "converted_at": getattr(entity, "converted_at", None),
        "custom": entity.custom,
    }


def contact_rows(party_id: int, entity: Party) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, email in enumerate(entity.emails):
        rows.append(
            dict(
                party_id=party_id,
                kind="email",
                position=i,
                value=email.original,
                key=email.normalised,
                data=None,
            )
        )
    for i, phone in enumerate(entity.phones):
        rows.append(
            dict(
                party_id=party_id,
                kind="phone",
                position=i,
                value=phone.e164,
                key=phone.e164,
                data=None,
            )
        )
    for i, address in enumerate(entity.addresses):
        rows.append(
            dict(
                party_id=party_id,
                kind="address",
                position=i,
                value=address.one_line(),
                key=territory_key(address),
                data=attrs.asdict(address),
            )
        )
    return rows


_CONTACTS = (
    select(
        json_rows(
            contact_point.c.kind,
            contact_point.c.position,
            contact_point.c.value,
            contact_point.c.key,
            contact_point.c.data,
        )
    )
    .where(contact_point.c.party_id == party.c.id)
    .scalar_subquery()
    .label("contacts")
)
"""Each party's contact points as ``[kind, position, value, key, data]`` arrays."""
_LOADED = (
    *(
        party.c[name]
        for name in (
            "id",
            "role",
            "kind",
            "first_name",
            "last_name",
            "organisation_name",
            "birth_date",
            "owner_id",
            "custom",
            "version",
            "created_at",
            "updated_at",
            "source",
            "status",
            "customer_number",
            "converted_at",
        )
    ),
    _CONTACTS,
)
"""What an entity is made of: only the columns it has, its contact points gathered along."""


def party_rows(*conditions: ColumnElement[bool]) -> Select[Any]:
    """The parties matching every condition with their contact points, one row each (:func:`party_of`)."""
    return select(*_LOADED).where(*conditions)


def party_of(row: Any) -> Party:
    """The entity of a row of :func:`party_rows`."""
    cls = PARTY_CLASSES[row.role]
    values: dict[str, Any] = dict(
        id=row.id,
        kind=row.kind,
        first_name=row.first_name,
        last_name=row.last_name,
        organisation_name=row.organisation_name,
        birth_date=row.birth_date,
        owner_id=row.owner_id,
        custom=dict(row.custom or {}),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        source=row.source,
    )
    if cls is Customer:
        values.update(customer_number=row.customer_number, converted_at=row.converted_at)
    else:
        values["status"] = row.status
    emails, phones, addresses = [], [], []
    # [kind, position, value, key, data], in the order they were given.
    for kind, _position, value, key, data in sorted(row.contacts or (), key=_contact_order):
        if kind == "email":
            emails.append(EmailAddress(value, key))
        elif kind == "phone":
            phones.append(PhoneNumber(value))
        elif kind == "address":
            addresses.append(PostalAddress(**data))
    values.update(emails=tuple(emails), phones=tuple(phones), addresses=tuple(addresses))
    return cls(**values)


def _contact_order(contact: Sequence[Any]) -> tuple[str, int]:
    return contact[0], contact[1]


_PARTIES_BY_ID = party_rows(party.c.id.in_(bindparam("ids", expanding=True)))


def load_parties(
    conn: Connection, ids: Sequence[int], conditions: Sequence[ColumnElement[bool]] = ()
) -> dict[int, Party]:
    """Parties by id (those matching every condition) with their contact points, in one query."""
    if not ids:
        return {}
    statement = _PARTIES_BY_ID.where(*conditions) if conditions else _PARTIES_BY_ID
    return {row.id: party_of(row) for row in conn.execute(statement, {"ids": ids})}


def party_by_id(*conditions: ColumnElement[bool]) -> Prepared:
    """The statement of :func:`load_party`: the party whose id is the ``party_id`` parameter.

    Build it once and keep it: it is compiled once, and on SQLite run on the driver
    (:class:`crmkit.core.prepared.Prepared`).
    """
    return Prepared(party_rows(party.c.id == bindparam("party_id"), *conditions))


_PARTY_BY_ID = party_by_id()


def load_party(conn: Connection, party_id: int, statement: Prepared = _PARTY_BY_ID) -> Party | None:
    """One party with its contact points, if ``statement`` (from :func:`party_by_id`) finds it."""
    row = statement.first(conn, {"party_id": party_id})
    return None if row is None else party_of(row)


def get_party(conn: Connection, party_id: int, role: str | None = None) -> Party:
    """One party; :class:`NotFound` if it does not exist (or has another role)."""
    found = load_party(conn, party_id)
    if found is None or (role is not None and found.role != role):
        raise NotFound(f"{role or 'party'} {party_id} does not exist")
    return found


# --- Writes.


def _validate_custom(tx: Transaction, entity: Party) -> None:
    fields = tx.app.custom_fields if tx.app is not None else None
    if fields is None:
        if entity.custom:
            raise ValidationError("custom", "no custom fields are declared")
        return
    entity.custom = fields.validate(entity.role, entity.custom)


_INSERT_PARTY = insert(party).returning(party.c.id)
_INSERT_CONTACTS = insert(contact_point)
_INSERT_TERMS = insert(search_term)


def create_party(tx: Transaction, entity: Party) -> Party:
    """Store a new prospect or customer with its contact points; emits ``<role>.created``."""
    return insert_new_party(tx, entity, columns={}, now=utcnow())


def insert_new_party(
    tx: Transaction, entity: Party, *, columns: Mapping[str, Any], now: datetime
) -> Party:
    """:func:`create_party`, with values of ``core_party`` columns that are no field of
    the entity (intake's quality and scores) and the creation time, written in the
    same insert."""
    if entity.id is not None:
        raise ValidationError("id", "a new party has no id yet")
    check_identity(entity)
    _validate_custom(tx, entity)
    row = party_row(entity)
    tx.hooks.call("entity_validate", tx=tx, entity_type=entity.role, entity=entity, changes=row)
    entity.version, entity.created_at, entity.updated_at = 1, now, now
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    entity.id = tx.conn.execute(_INSERT_PARTY, {**row, **columns, **stamps}).scalar_one()
    rows = contact_rows(entity.id, entity)
    if rows:
        tx.conn.execute(_INSERT_CONTACTS, rows)
    terms = search_rows(entity.id, entity)
    if terms:
        tx.conn.execute(_INSERT_TERMS, terms)
    add_match_keys(tx.conn, entity.id, entity)
    tx.hooks.call("entity_saved", tx=tx, entity_type=entity.role, entity=entity, change="created")
    audit.record(tx, "party", entity.id, "created", audit.diff({}, audited(entity)))
    tx.emit(
        f"{entity.role}.created",
        entity.role,
        entity.id,
        {"id": entity.id, "name": entity.display_name},
    )
    return entity


def _write(tx: Transaction, entity: Party, expected_version: int, changes: dict[str, Any]) -> Party:
    now = utcnow()
    result = tx.conn.execute(
        update(party)
        .where(party.c.id == entity.id, party.c.version == expected_version)
        .values(**party_row(entity), version=expected_version + 1, updated_at=now)
    )
    if result.rowcount != 1:
        raise ConflictError(
            f"{entity.role} {entity.id} was changed by someone else (version {expected_version} is stale)"
        )
    if {"emails", "phones", "addresses"} & set(changes):
        tx.conn.execute(delete(contact_point).where(contact_point.c.party_id == entity.id))
        rows = contact_rows(entity.id, entity)  # type: ignore[arg-type]
        if rows:
            tx.conn.execute(_INSERT_CONTACTS, rows)
    index_party(tx.conn, entity.id, entity)  # type: ignore[arg-type]
    index_match_keys(tx.conn, entity.id, entity)  # type: ignore[arg-type]
    entity.version, entity.updated_at = expected_version + 1, now
    return entity


def update_party(
    tx: Transaction,
    party_id: int,
    data: Mapping[str, Any],
    expected_version: int,
    *,
    region: str | None,
) -> Party:
    """Apply ``data`` (field -> new value) if the party is still at ``expected_version``.

    The loser of a race gets :class:`ConflictError`; nothing is overwritten silently.
    Values the party has already change nothing: it comes back as it is, at the same
    version, with no audit entry and no event.
    """
    current = get_party(tx.conn, party_id)
    updated, changes = prepare_update(tx, current, data, expected_version, region=region)
    if not changes:
        return current
    _write(tx, updated, expected_version, changes)
    audit.record(tx, "party", party_id, "updated", audit.diff(audited(current), audited(updated)))
    tx.hooks.call("entity_saved", tx=tx, entity_type=updated.role, entity=updated, change="updated")
    _emit_updated(tx, updated, changes)
    return updated


def prepare_update(
    tx: Transaction,
    current: Party,
    data: Mapping[str, Any],
    expected_version: int,
    *,
    region: str | None,
) -> tuple[Party, dict[str, Any]]:
    """``current`` with ``data`` applied and checked (``entity_validate`` included), and the
    fields that changed (none: nothing to write). ConflictError when ``current`` is not at
    ``expected_version``; ValidationError when the result is refused."""
    if current.version != expected_version:
        raise ConflictError(
            f"{current.role} {current.id} is at version {current.version}, not {expected_version}"
        )
    merged = {**_as_data(current), **data}
    if "custom" in data and isinstance(data["custom"], Mapping):
        merged["custom"] = {**current.custom, **data["custom"]}
        merged["custom"] = {k: v for k, v in merged["custom"].items() if v is not None}
    updated = build_party(current.role, merged, region=region)
    updated.id, updated.created_at = current.id, current.created_at
    if isinstance(updated, Customer) and isinstance(current, Customer):
        updated.converted_at = current.converted_at
    _validate_custom(tx, updated)
    changes = _changes(current, updated)
    if changes:
        tx.hooks.call(
            "entity_validate", tx=tx, entity_type=updated.role, entity=updated, changes=changes
        )
    return updated, changes


def _emit_updated(tx: Transaction, entity: Party, changes: Mapping[str, Any]) -> None:
    tx.emit(
        f"{entity.role}.updated",
        entity.role,
        entity.id,
        {"id": entity.id, "fields": sorted(changes), "version": entity.version},
    )


def _changes(current: Party, updated: Party) -> dict[str, Any]:
    """The fields ``updated`` changed, with their new values, as ``entity_validate`` gets them."""
    before = party_row(current)
    changes = {k: v for k, v in party_row(updated).items() if before.get(k) != v}
    for name in ("emails", "phones", "addresses"):
        if getattr(updated, name) != getattr(current, name):
            changes[name] = getattr(updated, name)
    return changes


def audited(entity: Party) -> dict[str, Any]:
    """The fields of a party as the audit trail compares them."""
    return {"role": entity.role, **_as_data(entity)}


def _as_data(entity: Party) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(entity, name) for name in NAME_FIELDS}
    data.update(
        kind=entity.kind,
        birth_date=entity.birth_date,
        emails=[e.original for e in entity.emails],
        phones=[p.e164 for p in entity.phones],
        addresses=[attrs.asdict(a) for a in entity.addresses],
        owner_id=entity.owner_id,
        custom=dict(entity.custom),
        source=getattr(entity, "source", None),
    )
    if isinstance(entity, Customer):
        data["customer_number"] = entity.customer_number
    else:
        data["status"] = getattr(entity, "status", "new")
    return data


def convert_prospect(
    tx: Transaction,
    party_id: int,
    expected_version: int | None = None,
    customer_number: str | None = None,
) -> Customer:
    """Turn a prospect into a customer: same id, so every interaction and plugin row stays attached."""
    current = get_party(tx.conn, party_id)
    if current.role != "prospect":
        raise ConflictError(f"party {party_id} is already a customer")
    version = current.version if expected_version is None else expected_version
    data = _as_data(current)
    data.pop("status")
    data["customer_number"] = customer_number
    # Custom fields declared for prospects only do not carry over; the rest do.
    fields = tx.app.custom_fields if tx.app is not None else None
    if fields is not None:
        data["custom"] = {k: v for k, v in current.custom.items() if k in fields.of("customer")}
    customer = build_party("customer", data, region=None)
    assert isinstance(customer, Customer)
    customer.id, customer.created_at, customer.converted_at = (
        current.id,
        current.created_at,
        utcnow(),
    )
    _validate_custom(tx, customer)
    tx.hooks.call(
        "entity_validate",
        tx=tx,
        entity_type="customer",
        entity=customer,
        changes={"role": "customer"},
    )
    _write(tx, customer, version, {})
    audit.record(
        tx, "party", party_id, "converted", audit.diff(audited(current), audited(customer))
    )
    tx.hooks.call("prospect_converted", tx=tx, customer=customer)
    tx.hooks.call("entity_saved", tx=tx, entity_type="customer", entity=customer, change="updated")
    tx.emit("prospect.converted", "customer", party_id, {"id": party_id})
    return customer


MOVED = (("interactions", interaction), ("external_ids", external_id), ("consents", consent))
"""The kernel's rows a merge re-points to the survivor, by their name in the merge log."""


def merge_parties(tx: Transaction, survivor_id: int, merged_id: int) -> Party:
    """Move everything of ``merged_id`` onto ``survivor_id`` and delete the merged party.

    Interactions, contact points (new ones appended), external ids and custom
    fields the survivor lacks all end on the survivor; each plugin re-points its
    own rows in ``parties_merged``. Plugins see the survivor's change as in
    :func:`merge_incoming` (``entity_validate`` may refuse the merge), and
    subscribers get ``<role>.updated`` (when a field changed) before ``party.merged``.
    """
    if survivor_id == merged_id:
        raise ValidationError("merged_id", "a party cannot be merged into itself")
    parties = load_parties(tx.conn, [survivor_id, merged_id])
    if survivor_id not in parties or merged_id not in parties:
        missing = merged_id if survivor_id in parties else survivor_id
        raise NotFound(f"party {missing} does not exist")
    survivor, merged = parties[survivor_id], parties[merged_id]
    original, changes = _take_in(tx, survivor, merged)
    record_merged_ids(tx, survivor_id, merged_id)
    # Consent is evidence that must outlive the duplicate; the latest statement of either wins.
    moved = {
        name: tx.conn.execute(
            update(table).where(table.c.party_id == merged_id).values(party_id=survivor_id)
        ).rowcount
        for name, table in MOVED
    }
    tx.hooks.call("parties_merged", tx=tx, survivor_id=survivor_id, merged_id=merged_id)
    tx.conn.execute(delete(contact_point).where(contact_point.c.party_id == merged_id))
    unindex_party(tx.conn, merged_id)
    unindex_match_keys(tx.conn, merged_id)
    carry_intake(tx.conn, survivor_id, merged_id)
    # The merged party's own merges become the survivor's: its log would go with it.
    tx.conn.execute(
        update(merge_log)
        .where(merge_log.c.survivor_id == merged_id)
        .values(survivor_id=survivor_id)
    )
    tx.conn.execute(delete(party).where(party.c.id == merged_id))
    _save_merge(tx, original, survivor, merged, moved, changes)
    audit.record(tx, "party", merged_id, "merged", {"survivor_id": [None, survivor_id]})
    return _announce_merge(tx, survivor, changes, merged_id)


def merge_incoming(tx: Transaction, survivor_id: int, incoming: Party) -> Party:
    """Merge ``incoming``, a party never stored (a prospect taken in), into ``survivor_id``.

    The survivor takes what it lacks as from :func:`merge_parties`, and the
    merge log says so, but no party is created or deleted: plugins see the
    survivor's change (``entity_validate``, ``entity_saved``), subscribers
    ``<role>.updated`` (when a field changed) and ``party.merged`` whose
    ``merged_id`` is None.
    """
    if incoming.id is not None:
        raise ValidationError("id", "an incoming party has no id yet")
    survivor = get_party(tx.conn, survivor_id)
    _validate_custom(tx, incoming)
    original, changes = _take_in(tx, survivor, incoming)
    nothing_moved = dict.fromkeys((n for n, _ in MOVED), 0)
    _save_merge(tx, original, survivor, incoming, nothing_moved, changes)
    return _announce_merge(tx, survivor, changes, None)


def _take_in(tx: Transaction, survivor: Party, other: Party) -> tuple[Party, dict[str, Any]]:
    """Fill ``survivor`` from ``other`` and let plugins validate that; the survivor as it was, the changes."""
    original = copy.copy(survivor)
    _fill(tx, survivor, other)
    changes = _changes(original, survivor)
    tx.hooks.call(
        "entity_validate", tx=tx, entity_type=survivor.role, entity=survivor, changes=changes
    )
    return original, changes


def _announce_merge(
    tx: Transaction, survivor: Party, changes: Mapping[str, Any], merged_id: int | None
) -> Party:
    """After a merge: ``entity_saved``, ``<role>.updated`` if a field changed, ``party.merged``."""
    tx.hooks.call(
        "entity_saved", tx=tx, entity_type=survivor.role, entity=survivor, change="updated"
    )
    if changes:
        _emit_updated(tx, survivor, changes)
    tx.emit(
        "party.merged",
        survivor.role,
        survivor.id,
        {"survivor_id": survivor.id, "merged_id": merged_id},
    )
    return survivor


def _fill(tx: Transaction, survivor: Party, other: Party) -> None:
    """Give ``survivor`` (in memory) the contact points, custom fields and fields it lacks of ``other``."""
    survivor.emails = _unique([*survivor.emails, *other.emails], key=lambda e: e.normalised)
    survivor.phones = _unique([*survivor.phones, *other.phones], key=lambda p: p.e164)
    survivor.addresses = _unique([*survivor.addresses, *other.addresses], key=lambda a: a)
    # Only fields declared for the survivor's role can be kept, as on conversion.
    fields = tx.app.custom_fields if tx.app is not None else None
    declared = fields.of(survivor.role) if fields is not None else {}
    carried = {k: v for k, v in other.custom.items() if k in declared}
    survivor.custom = {**carried, **survivor.custom}
    for name, value in names_after_merge(survivor, other).items():
        setattr(survivor, name, value)
    for name in ("birth_date", "owner_id"):
        if getattr(survivor, name) is None:
            setattr(survivor, name, getattr(other, name))


def _save_merge(
    tx: Transaction,
    original: Party,
    survivor: Party,
    other: Party,
    moved: dict[str, int],
    changes: Mapping[str, Any],
) -> None:
    """Write the filled-in ``survivor`` (``original`` as it was) and log what ``other`` brought.

    An incoming party that changed nothing leaves the survivor at its version, so that
    an enquiry repeating what is known cannot make its owner's next edit stale.
    """
    assert survivor.id is not None
    record_merge(tx, survivor.id, other, describe(original, other, moved))
    if changes or other.id is not None:
        _write(tx, survivor, original.version, {"emails": None})
    trail = audit.diff(audited(original), audited(survivor))
    if other.id is not None:
        trail["merged_id"] = [None, other.id]
    audit.record(tx, "party", survivor.id, "merged", trail)


# --- Lists.

SORTS = {"name": party.c.display_name, "created": party.c.created_at, "updated": party.c.updated_at}


def list_parties(
    conn: Connection,
    role: str,
    *,
    conditions: Sequence[ColumnElement[bool]] = (),
    sort: str = "name",
    descending: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Party]:
    """A page of parties of ``role`` matching every condition, keyset-paginated by (sort, id)."""
    if sort not in SORTS:
        raise ValidationError("sort", f"expected one of {', '.join(SORTS)}")
    check_limit(limit)
    key = SORTS[sort]
    query = party_rows(party.c.role == role, *conditions).add_columns(key.label("k"))
    if cursor is not None:
        last_key, raw_id = decode_cursor(cursor, 2)
        last_value = cursor_text(last_key) if sort == "name" else cursor_datetime(last_key)
        last_id = cursor_id(raw_id)
        after = (
            or_(key < last_value, and_(key == last_value, party.c.id < last_id))
            if descending
            else or_(key > last_value, and_(key == last_value, party.c.id > last_id))
        )
        query = query.where(after)
    order = (key.desc(), party.c.id.desc()) if descending else (key.asc(), party.c.id.asc())
    rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [party_of(r) for r in rows]
    next_cursor = encode_cursor([rows[-1].k, rows[-1].id]) if more else None
    return Page(items, next_cursor)


def find_by_contact(conn: Connection, kind: str, key: str) -> list[int]:
    """Ids of parties having the contact point (``email``: normalised, ``phone``: E.164)."""
    rows = conn.execute(
        select(contact_point.c.party_id)
        .where(contact_point.c.kind == kind, contact_point.c.key == key)
        .distinct()
    )
    return [r.party_id for r in rows]
