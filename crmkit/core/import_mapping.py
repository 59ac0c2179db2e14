"""CSV rows as parties: which column feeds which field, and a validated party from each row.

Everything here is pure (no database, no hooks), so that the import can build
rows in worker processes while it writes earlier batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from attrs import define, frozen

from crmkit.core.custom_fields import CustomFields
from crmkit.core.entities import Party, Prospect
from crmkit.core.errors import ValidationError
from crmkit.core.import_profiles import ProfilePlan
from crmkit.core.intake.findings import Finding
from crmkit.core.intake.match_keys import keys_of
from crmkit.core.intake.normalise import normalise
from crmkit.core.intake.sanity import SanityContext, kernel_findings
from crmkit.core.matching.record import normalise_country, record_from_party
from crmkit.core.parties import ADDRESS_FIELDS, NAME_FIELDS, build_party, party_row
from crmkit.core.search import terms_of
from crmkit.core.untrusted import check_storable_text
from crmkit.core.values import MULTI_VALUE_SEPARATOR

ALIASES = {"email": "emails", "phone": "phones"}
MULTI_FIELDS = ("emails", "phones")
COMMON_FIELDS = (
    *NAME_FIELDS,
    "kind",
    "birth_date",
    *MULTI_FIELDS,
    *ADDRESS_FIELDS,
    "source",
    "owner",
)
ROLE_FIELDS = {"prospect": ("status",), "customer": ("customer_number",)}


def import_fields(role: str, custom: Sequence[str] = ()) -> tuple[str, ...]:
    """The fields a CSV column can be mapped to for ``role`` (``custom``: custom field names)."""
    if role not in ROLE_FIELDS:
        raise ValidationError("role", f"expected prospect or customer, got {role!r}")
    return (*COMMON_FIELDS, *ROLE_FIELDS[role], *custom)


@frozen
class ColumnPlan:
    """Which CSV column feeds which field (by column index)."""

    header: tuple[str, ...]
    single: dict[str, int]
    multi: dict[str, tuple[int, ...]]
    custom: dict[str, int]
    key: int | None
    ignored: tuple[str, ...]

    def column_of(self, field_name: str, origins: Mapping[str, list[int]]) -> str:
        """The CSV column behind a field named in a validation error, or "" if none is."""
        name = field_name.removeprefix("addresses[0].").removeprefix("custom.")
        base, bracket, rest = name.partition("[")
        if bracket:  # one of several values: emails[1]
            position = rest.rstrip("]")
            columns = origins.get(base, [])
            if position.isdigit() and int(position) < len(columns):
                return self.header[columns[int(position)]]
            return ""
        if base in self.multi:
            return self.header[self.multi[base][0]] if self.multi[base] else ""
        column = self.single.get("owner" if base == "owner_id" else base, self.custom.get(base))
        return self.header[column] if column is not None else ""


def plan_columns(
    header: Sequence[str],
    mapping: Mapping[str, str],
    fields: Sequence[str],
    key: str | None,
    custom: Sequence[str] = (),
) -> ColumnPlan:
    """Match the header to fields: the explicit ``mapping`` first, then columns named like a field.

    A field mapped explicitly is not also fed by a column that happens to bear its
    name; emails and phones may come from several columns.
    """
    index: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        index.setdefault(name.strip(), []).append(i)

    def position(column: str, option: str) -> int:
        found = index.get(column.strip(), [])
        if len(found) != 1:
            problem = "no column" if not found else f"{len(found)} columns named"
            raise ValidationError(
                option, f"{problem} {column!r} in the file (columns: {', '.join(header)})"
            )
        return found[0]

    targets: dict[int, str] = {}
    for column, target in mapping.items():
        name = ALIASES.get(target.strip(), target.strip())
        option = f"--map {column}={target}"
        if name not in fields:
            raise ValidationError(option, f"unknown field {target!r} (fields: {', '.join(fields)})")
        targets[position(column, option)] = name
    explicit = set(targets.values())
    by_name = {f.lower(): f for f in fields} | ALIASES
    for i, column in enumerate(header):
        named = by_name.get(column.strip().lower())
        if (
            named is not None
            and i not in targets
            and (named in MULTI_FIELDS or named not in explicit)
        ):
            targets[i] = named

    single: dict[str, int] = {}
    custom_columns: dict[str, int] = {}
    multi: dict[str, list[int]] = {name: [] for name in MULTI_FIELDS}
    for i, name in sorted(targets.items()):
        if name in MULTI_FIELDS:
            multi[name].append(i)
            continue
        chosen = custom_columns if name in custom else single
        if name in chosen:
            raise ValidationError(
                "--map",
                f"columns {header[chosen[name]]!r} and {header[i]!r} both map to field {name!r}",
            )
        chosen[name] = i
    key_index = position(key, "--key") if key is not None else None
    return ColumnPlan(
        header=tuple(header),
        single=single,
        multi={name: tuple(columns) for name, columns in multi.items()},
        custom=custom_columns,
        key=key_index,
        ignored=tuple(c for i, c in enumerate(header) if i not in targets and i != key_index),
    )


@frozen
class Row:
    """One CSV record; ``number`` counts the header as row 1, as a spreadsheet shows it.

    A record read from a vCard file is a card, numbered from 1.
    """

    number: int
    values: list[str]
    unreadable: str | None = None
    """Why the record could not be read (a broken card); it is refused with this reason."""
    more_addresses: tuple[Mapping[str, str], ...] = ()
    """Addresses after the one in the address columns (a card's further ADR properties)."""


@frozen
class Refusal:
    """Why a row is rejected, and where: the CSV column and the field."""

    row: Row
    column: str
    field: str
    reason: str


@define
class Candidate:
    """A row that became a valid party (not yet checked by the ``entity_validate`` hooks)."""

    row: Row
    entity: Party
    origins: dict[str, list[int]]
    """For emails and phones: the column of each value, to name it in errors."""
    key: str | None
    """The hash of the normalised party, when the rows have no key column."""
    findings: tuple[Finding, ...] = ()
    """Prospects: values dropped while normalising (see :mod:`crmkit.core.intake.normalise`)."""
    ruled: tuple[Finding, ...] | None = None
    """Prospects: the findings of the kernel's sanity rules, found here (in the import's worker
    processes) rather than in the one writing (:func:`crmkit.core.intake.sanity.check`)."""
    link: tuple[str, str] | None = None
    """The row's (system, id) in the product a profile reads, linked to the party."""
    withdrawn: tuple[str, ...] = ()
    """Channels the row opted out of (a profile's opt-out columns)."""
    terms: tuple[str, ...] | None = None
    """Customers: the search terms of the party, found here (in the import's worker
    processes) rather than in the one writing; prospects' are found when intake stores them."""
    blocking_keys: tuple[str, ...] | None = None
    """Customers: the party's blocking keys (``core_match_key``), as :attr:`terms`."""

    def refusal(self, plan: ColumnPlan, exc: ValidationError) -> Refusal:
        return Refusal(self.row, plan.column_of(exc.field, self.origins), exc.field, exc.reason)


@frozen
class RowBuilder:
    """Builds validated, normalised parties from rows, with the kernel's own rules."""

    role: str
    plan: ColumnPlan
    region: str | None
    custom_fields: CustomFields
    profile: ProfilePlan | None = None
    sanity: SanityContext | None = None
    """Prospects: what the kernel's sanity rules read, to run them while building."""

    def build(self, rows: Sequence[Row], owners: Mapping[str, int]) -> list[Candidate | Refusal]:
        """A candidate or a refusal per row; ``owners`` maps the rows' owner usernames to ids."""
        return [self._build(row, owners) for row in rows]

    def _build(self, row: Row, owners: Mapping[str, int]) -> Candidate | Refusal:
        if row.unreadable is not None:
            return Refusal(row, "", "", row.unreadable)
        width = len(self.plan.header)
        if len(row.values) != width:
            return Refusal(row, "", "", f"expected {width} columns, got {len(row.values)}")
        for column, value in zip(self.plan.header, row.values, strict=True):
            try:
                check_storable_text(column, value)
            except ValidationError as exc:
                return Refusal(row, column, "", exc.reason)
        if self.profile is not None and (refused := self.profile.refusal(row.values)):
            return Refusal(row, "", "", refused)
        origins: dict[str, list[int]] = {}
        findings: list[Finding] = []
        try:
            data = self._data(row, owners, origins)
            if self.profile is not None:
                self.profile.apply(row.values, data, self.role)
            if self.role == "prospect":
                # Prospects go through the intake pipeline: an unusable value is a finding.
                data, findings = normalise(data, region=self.region)
            entity = build_party(self.role, data, region=self.region)
            entity.custom = self.custom_fields.validate(self.role, entity.custom)
        except ValidationError as exc:
            return Refusal(row, self.plan.column_of(exc.field, origins), exc.field, exc.reason)
        key = row_key(entity) if self.plan.key is None else None
        built = Candidate(row, entity, origins, key, tuple(findings))
        if self.sanity is not None and isinstance(entity, Prospect):
            built.ruled = tuple(kernel_findings(entity, self.sanity))
        if self.role != "prospect":
            # Written as built (prospects go through intake): what is indexed of it is known now.
            built.terms = tuple(terms_of(entity))
            built.blocking_keys = tuple(keys_of(record_from_party(entity)))
        if self.profile is not None:
            built.link = self.profile.link(row.values)
            built.withdrawn = self.profile.withdrawn(row.values)
        return built

    def _data(
        self, row: Row, owners: Mapping[str, int], origins: dict[str, list[int]]
    ) -> dict[str, Any]:
        """The row as the plain data :func:`build_party` takes; empty cells are left out."""
        values = row.values
        data: dict[str, Any] = {}
        address: dict[str, str] = {}
        for name, i in self.plan.single.items():
            value = values[i].strip()
            if not value:
                continue
            if name == "country":
                # A name ("Japan") becomes its code here, for customers as for prospects.
                address[name] = normalise_country(value) or value
            elif name in ADDRESS_FIELDS:
                address[name] = value
            elif name == "owner":
                if value not in owners:
                    raise ValidationError("owner", f"no user {value!r}")
                data["owner_id"] = owners[value]
            else:
                data[name] = value
        for name, columns in self.plan.multi.items():
            items: list[str] = []
            for i in columns:
                for part in values[i].split(MULTI_VALUE_SEPARATOR):
                    if part := part.strip():
                        items.append(part)
                        origins.setdefault(name, []).append(i)
            if items:
                data[name] = items
        addresses = [address] if address else []
        addresses += [dict(more) for more in row.more_addresses]
        if addresses:
            data["addresses"] = addresses
        custom = {name: values[i].strip() for name, i in self.plan.custom.items()}
        if any(custom.values()):
            data["custom"] = {name: value for name, value in custom.items() if value}
        return data


def row_key(entity: Party) -> str:
    """The key of a row without a key column: a hash of the normalised party.

    Rows written differently but meaning the same (spacing, phone format, case of
    the email domain) get the same key.
    """
    fields = party_row(entity)
    fields["custom"] = sorted(entity.custom.items())
    content = (
        tuple(fields.values()),
        tuple(e.normalised for e in entity.emails),
        tuple(p.e164 for p in entity.phones),
        tuple(attrs.astuple(a) for a in entity.addresses),
    )
    return f"{entity.role}:sha256:{hashlib.sha256(repr(content).encode()).hexdigest()}"
