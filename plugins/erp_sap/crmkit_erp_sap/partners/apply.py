"""Applying business partners to parties, a batch at a time, at import speed.

A partner is its party through the kernel's external ids (``sap.<system>``, the
BusinessPartner number). One seen for the first time is matched by e-mail address to a
party no other partner of its system has; failing that, a customer is created. New
parties are written set-based (:func:`crmkit.create_parties`); a partner whose mapped
content hashes as last time costs no write at all; a changed one is updated through
:func:`crmkit.update_parties` (each audited, versioned, with its event, as
:func:`crmkit.update_party` does, written set-based). Blocked partners stay,
marked blocked.

The caller's transaction acts as its actor: the sync runs as the system, which sees
every party, so that a partner is never created twice beside a party it cannot see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Literal

import attrs
from attrs import frozen
from sqlalchemy import bindparam, delete, insert, select, update

from crmkit import (
    ConflictError,
    Party,
    PartyUpdate,
    Transaction,
    ValidationError,
    build_party,
    contact_point_table,
    create_parties,
    link_external_id,
    linked_parties,
    load_parties,
    update_parties,
    utcnow,
)
from crmkit_erp_sap.partners.record import PartnerRecord, external_system
from crmkit_erp_sap.partners.tables import AREA_CODE_LENGTH, AREA_CODES, partner, sales_area

Result = Literal["created", "updated", "unchanged", "failed"]
SOURCE = "erp_sap"


@frozen
class Outcome:
    """What became of one record: its party, or why it failed and which field."""

    number: str
    result: Result
    party_id: int | None = None
    field: str = ""
    reason: str = ""


@frozen
class Planned:
    """A record checked and built into a party, ready to write: what
    :func:`plan_partners` makes (ahead of the write, in another thread if the caller likes)."""

    record: PartnerRecord
    data: dict[str, Any]
    entity: Party
    content_hash: str


def apply_partners(tx: Transaction, records: Sequence[PartnerRecord]) -> list[Outcome]:
    """Apply ``records`` (all of one SAP system) in ``tx``; one outcome per record, in order.

    A record repeated in the batch is applied once, as its last occurrence says.
    """
    return apply_planned(tx, plan_partners(records, _default_region(tx)))


def plan_partners(
    records: Sequence[PartnerRecord], default_region: str | None
) -> list[Planned | Outcome]:
    """Check and build each record (no database needed): the planned party, or the failed
    outcome naming the field. Phone numbers are read in the country of the partner's
    first address, else in ``default_region``."""
    found: list[Planned | Outcome] = []
    for record in records:
        try:
            found.append(_plan(record, default_region))
        except ValidationError as exc:
            found.append(Outcome(record.number, "failed", field=exc.field, reason=exc.reason))
    return found


def apply_planned(tx: Transaction, plans: Sequence[Planned | Outcome]) -> list[Outcome]:
    """Write what :func:`plan_partners` made, in ``tx``; one outcome per item, in order."""
    if not plans:
        return []
    systems = {p.record.system for p in plans if isinstance(p, Planned)}
    if len(systems) > 1:
        raise ValueError("apply_partners takes the records of one SAP system at a time")
    outcomes: dict[int, Outcome] = {}
    planned: dict[str, tuple[int, Planned]] = {}
    for position, plan in enumerate(plans):
        if isinstance(plan, Outcome):
            outcomes[position] = plan
            continue
        earlier = planned.get(plan.record.number)
        if earlier is not None:
            outcomes[earlier[0]] = Outcome(
                plan.record.number, "unchanged", reason="repeated in the batch"
            )
        planned[plan.record.number] = (position, plan)
    if planned:
        writer = _Writer(tx, systems.pop(), [p for _, p in planned.values()])
        for number, outcome in writer.run().items():
            outcomes[planned[number][0]] = outcome
    return [outcomes[i] for i in range(len(plans))]


MAPPING_VERSION = 2
"""Raised whenever a record maps to a party differently: every partner's hash changes, so
the next run writes each again the new way instead of counting it unchanged.
2: fields SAP no longer sends are cleared; sales areas stored."""


def content_hash(record: PartnerRecord) -> str:
    """A hash of everything a partner maps to (and how) but the time SAP changed it."""
    # The repr of frozen attrs classes of text, booleans and tuples is stable and cheap.
    mapped = repr((MAPPING_VERSION, attrs.evolve(record, last_change_at=None)))
    return hashlib.sha256(mapped.encode()).hexdigest()


def party_data(record: PartnerRecord) -> dict[str, Any]:
    """The party fields of ``record``, as :func:`crmkit.build_party` takes them."""
    data: dict[str, Any] = {
        "kind": record.category,
        "emails": list(record.emails),
        "phones": list(record.phones),
        "addresses": [
            {
                "street": a.street or None,
                "street_number": a.house_number or None,
                "postcode": a.postcode or None,
                "city": a.city or None,
                "region": a.region or None,
                "country": a.country or None,
            }
            for a in record.addresses
        ],
        "custom": dict(record.custom),
        "source": SOURCE,
    }
    # Every mapped field is set, to None when SAP no longer sends it: an update then leaves
    # the party as a create from the same record would (a person turned organisation keeps
    # no first name, a partner that lost its customer role no customer number).
    organisation = record.category == "organisation"
    data["organisation_name"] = (record.organisation_name or None) if organisation else None
    data["first_name"] = None if organisation else record.first_name or None
    data["last_name"] = None if organisation else record.last_name or None
    data["customer_number"] = record.customer.number if record.customer is not None else None
    return data


def _plan(record: PartnerRecord, default_region: str | None) -> Planned:
    if not record.number.strip():
        raise ValidationError("BusinessPartner", "the partner has no number")
    _check_sales_areas(record)
    data = party_data(record)
    region = next((a.country for a in record.addresses if a.country), None)
    # None in ``custom`` clears a field on update; a new party simply has none.
    fresh = {**data, "custom": {k: v for k, v in record.custom.items() if v is not None}}
    entity = build_party("customer", fresh, region=region or default_region)
    return Planned(record, data, entity, content_hash(record))


def _check_sales_areas(record: PartnerRecord) -> None:
    if record.customer is None:
        return
    for position, area in enumerate(record.customer.sales_areas):
        if not area.sales_organization:
            raise ValidationError(f"customer.sales_areas[{position}].sales_organization", "missing")
        for name in AREA_CODES:
            if len(getattr(area, name)) > AREA_CODE_LENGTH:
                raise ValidationError(
                    f"customer.sales_areas[{position}].{name}",
                    f"longer than {AREA_CODE_LENGTH} characters",
                )


def sales_area_rows(record: PartnerRecord, party_id: int) -> list[dict[str, Any]]:
    """The ``erp_sap_sales_area`` rows of ``record``; an area named twice counts as its last."""
    if record.customer is None:
        return []
    rows = {
        (a.sales_organization, a.distribution_channel, a.division): {
            "system": record.system,
            "business_partner": record.number,
            "party_id": party_id,
            "customer": record.customer.number,
            "deletion_flag": a.deletion_flag,
            **{name: getattr(a, name) for name in AREA_CODES},
        }
        for a in record.customer.sales_areas
    }
    return list(rows.values())


def _default_region(tx: Transaction) -> str | None:
    return tx.app.settings.default_region if tx.app is not None else None


class _Writer:
    """Writes one batch: looks every partner up at once, then creates, updates, or skips."""

    def __init__(self, tx: Transaction, system: str, planned: list[Planned]) -> None:
        self.tx = tx
        self.system = system
        self.external = external_system(system)
        self.planned = planned
        self.now = utcnow()
        self.outcomes: dict[str, Outcome] = {}
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.areas: list[dict[str, Any]] = []
        self.replaced_areas: list[str] = []

    def run(self) -> dict[str, Outcome]:
        numbers = [p.record.number for p in self.planned]
        linked = linked_parties(self.tx.conn, self.external, numbers)
        tracked = {
            row.business_partner: row
            for row in self.tx.conn.execute(
                select(partner).where(
                    partner.c.system == self.system, partner.c.business_partner.in_(numbers)
                )
            )
        }
        erased = {
            number
            for number, row in tracked.items()
            if row.party_id is None and number not in linked
        }
        for number in erased:
            self.outcomes[number] = Outcome(
                number, "unchanged", reason="its party was erased in the CRM: not taken in again"
            )
        fresh = [
            p
            for p in self.planned
            if p.record.number not in linked and p.record.number not in erased
        ]
        matched = self._match(fresh)
        changed: list[tuple[Planned, int]] = []
        for plan in self.planned:
            number = plan.record.number
            party_id = linked.get(number) or matched.get(number)
            if party_id is None or number in erased:
                continue
            row = tracked.get(number)
            if (
                row is not None
                and row.party_id == party_id
                and row.content_hash == plan.content_hash
                and number in linked
            ):
                self.outcomes[number] = Outcome(number, "unchanged", party_id)
                if row.last_change_at != plan.record.last_change_at:
                    self._keep(plan, party_id, tracked, areas=False)
            else:
                changed.append((plan, party_id))
        self._update(changed, matched, tracked)
        self._create([p for p in fresh if p.record.number not in matched], tracked)
        self._save_rows()
        return self.outcomes

    def _match(self, fresh: list[Planned]) -> dict[str, int]:
        """Partners new to us -> the party with one of their e-mail addresses, when only one
        party has it and no other partner of this system is that party."""
        wanted = {e.normalised: p.record.number for p in fresh for e in p.entity.emails}
        if not wanted:
            return {}
        owners: dict[str, set[int]] = {}
        rows = self.tx.conn.execute(
            select(contact_point_table.c.key, contact_point_table.c.party_id).where(
                contact_point_table.c.kind == "email", contact_point_table.c.key.in_(wanted)
            )
        )
        for key, party_id in rows:
            owners.setdefault(key, set()).add(int(party_id))
        candidates = {p for found in owners.values() if len(found) == 1 for p in found}
        taken = set(
            self.tx.conn.execute(
                select(partner.c.party_id).where(
                    partner.c.system == self.system, partner.c.party_id.in_(candidates)
                )
            ).scalars()
        )
        matched: dict[str, int] = {}
        for plan in fresh:
            for email in plan.entity.emails:
                found = owners.get(email.normalised, set())
                if len(found) == 1 and (party_id := next(iter(found))) not in taken:
                    matched[plan.record.number] = party_id
                    taken.add(party_id)
                    break
        return matched

    def _update(
        self, changed: list[tuple[Planned, int]], matched: dict[str, int], tracked: dict[str, Any]
    ) -> None:
        current = load_parties(self.tx.conn, [party_id for _, party_id in changed])
        found = [(plan, party_id) for plan, party_id in changed if party_id in current]
        updates = []
        for plan, party_id in found:
            data = dict(plan.data)
            if current[party_id].role != "customer":
                data.pop("customer_number", None)
            updates.append(PartyUpdate(party_id, data, current[party_id].version))
        # Set-based: a query per changed partner made a rerun cost a tenth of the first run.
        stored = update_parties(self.tx, updates, region=_default_region(self.tx))
        for (plan, party_id), outcome in zip(found, stored, strict=True):
            number = plan.record.number
            if isinstance(outcome, ValidationError):
                self.outcomes[number] = Outcome(
                    number, "failed", field=outcome.field, reason=outcome.reason
                )
                continue
            if isinstance(outcome, ConflictError):
                self.outcomes[number] = Outcome(
                    number, "failed", field="party", reason=str(outcome)
                )
                continue
            if number in matched:
                link_external_id(self.tx, party_id, self.external, number)
            self.outcomes[number] = Outcome(number, "updated", party_id)
            self._keep(plan, party_id, tracked)

    def _create(self, plans: list[Planned], tracked: dict[str, Any]) -> None:
        keys = [(self.external, p.record.number) for p in plans]
        stored = create_parties(self.tx, [p.entity for p in plans], keys)
        for plan, outcome in zip(plans, stored, strict=True):
            number = plan.record.number
            if isinstance(outcome, ValidationError):
                self.outcomes[number] = Outcome(
                    number, "failed", field=outcome.field, reason=outcome.reason
                )
                continue
            assert outcome.id is not None
            self.outcomes[number] = Outcome(number, "created", outcome.id)
            self._keep(plan, outcome.id, tracked)

    def _keep(
        self, plan: Planned, party_id: int, tracked: dict[str, Any], *, areas: bool = True
    ) -> None:
        """Remember the partner's row to write, and its sales areas unless ``areas`` is False
        (only its change time moved: what it maps to is as last written)."""
        record = plan.record
        if areas:
            if record.number in tracked:
                self.replaced_areas.append(record.number)
            self.areas.extend(sales_area_rows(record, party_id))
        row = {
            "party_id": party_id,
            "category": record.category,
            "blocked": record.blocked,
            "content_hash": plan.content_hash,
            "last_change_at": record.last_change_at,
            "synced_at": self.now,
        }
        if record.number in tracked:
            self.updates.append(
                {"b_number": record.number, **{f"b_{k}": v for k, v in row.items()}}
            )
        else:
            self.inserts.append({"system": self.system, "business_partner": record.number, **row})

    def _save_rows(self) -> None:
        if self.inserts:
            self.tx.conn.execute(insert(partner), self.inserts)
        if self.replaced_areas:
            self.tx.conn.execute(
                delete(sales_area).where(
                    sales_area.c.system == self.system,
                    sales_area.c.business_partner.in_(self.replaced_areas),
                )
            )
        if self.areas:
            self.tx.conn.execute(insert(sales_area), self.areas)
        if self.updates:
            self.tx.conn.execute(
                update(partner)
                .where(
                    partner.c.system == self.system,
                    partner.c.business_partner == bindparam("b_number"),
                )
                .values(
                    {
                        name: bindparam(f"b_{name}")
                        for name in (
                            "party_id",
                            "category",
                            "blocked",
                            "content_hash",
                            "last_change_at",
                            "synced_at",
                        )
                    }
                ),
                self.updates,
            )
