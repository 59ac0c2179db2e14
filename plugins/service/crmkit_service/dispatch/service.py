"""Dispatches: a visit to a customer's site for a case, assigned, followed and closed.

A dispatch starts ``requested`` (no one assigned) or ``dispatched`` (someone
assigned), goes ``on_site`` and ends ``done`` or ``cancelled``. Every change is
a public event of the case (so on the party's timeline) with its time, and the
customer is told of it (:mod:`crmkit_service.dispatch.notify`). The
entitlement is taken when the visit is requested and settled when it is done:
a visit covered by a contract then counts as one of its visits, and one that
no warranty or contract covers stays flagged billable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from attrs import asdict, frozen
from attrs import fields as fields_of
from sqlalchemy import Connection, insert, select

from crmkit import (
    NotFound,
    PostalAddress,
    Transaction,
    ValidationError,
    check_fields,
    clean_territory,
    get_party,
    read_choice,
    read_id,
    read_text,
    read_timestamp,
    utcnow,
)
from crmkit_service import versions
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.assets.service import assets_of_party, use_visit, visits_lock
from crmkit_service.cases.model import Case
from crmkit_service.cases.service import add_event, get_case
from crmkit_service.dispatch import events, notify
from crmkit_service.dispatch.availability import why_not
from crmkit_service.dispatch.settings import DispatchSettings
from crmkit_service.dispatch.tables import dispatch
from crmkit_service.dispatch.technicians import Technician, read_technician

URGENCIES = ("low", "normal", "high", "emergency")
STATUSES = ("requested", "dispatched", "on_site", "done", "cancelled")
NEXT: dict[str, tuple[str, ...]] = {
    "requested": ("dispatched", "cancelled"),
    "dispatched": ("dispatched", "on_site", "cancelled"),
    "on_site": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
"""The statuses a dispatch may move to from each; ``dispatched`` again is a reassignment."""
REPORTED = ("on_site", "done", "cancelled")
ADDRESS_FIELDS = tuple(a.name for a in fields_of(PostalAddress))
"""The parts of a site's address, as the kernel's postal addresses have them."""
ADDRESS_PART_LENGTH = 200
TEXT_LENGTH = 10_000
MAX_VISIT = timedelta(days=14)
REPORT_SKEW = timedelta(minutes=5)
"""How far ahead of the server's clock a reported step's time may be."""
PLANNING_HORIZON = timedelta(days=3653)
POSTCODE_LENGTH = 20
FIELDS = (
    "address",
    "asset_id",
    "urgency",
    "scheduled_start",
    "scheduled_end",
    "instructions",
    "technician_id",
)


@frozen
class Dispatch:
    """A visit to a customer's site for a case."""

    id: int
    case_id: int
    party_id: int
    asset_id: int | None
    technician_id: int | None
    address: dict[str, Any]
    territory: str
    urgency: str
    status: str
    scheduled_start: datetime
    scheduled_end: datetime
    instructions: str
    report: str
    entitlement: str
    contract_id: int | None
    billable: bool
    created_by: int | None
    created_at: datetime
    dispatched_at: datetime | None
    on_site_at: datetime | None
    done_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime
    version: int


def dispatch_of(row: Any) -> Dispatch:
    return Dispatch(**{a.name: row._mapping[a.name] for a in Dispatch.__attrs_attrs__})


def _settings(tx: Transaction) -> DispatchSettings:
    settings: DispatchSettings = tx.app.settings_of["service"].dispatch
    return settings


def read_address(value: Any) -> PostalAddress:
    """The site's address: an object of a postal address's parts, with a country and a postcode."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            "address", "expected an object with street, postcode, city, country ..."
        )
    unknown = sorted(set(value) - set(ADDRESS_FIELDS))
    if unknown:
        raise ValidationError(f"address.{unknown[0]}", "unknown field")
    parts: dict[str, str | None] = {}
    for name in ADDRESS_FIELDS:
        part = value.get(name)
        if part is not None and not isinstance(part, str):
            raise ValidationError(f"address.{name}", "expected text")
        if part is not None and len(part) > ADDRESS_PART_LENGTH:
            raise ValidationError(
                f"address.{name}", f"longer than {ADDRESS_PART_LENGTH} characters"
            )
        parts[name] = part.strip() or None if part else None
    try:
        address = PostalAddress(**parts)
    except ValidationError as exc:
        raise ValidationError(f"address.{exc.field}", exc.reason) from None
    if len(address.postcode or "") > POSTCODE_LENGTH:
        raise ValidationError("address.postcode", f"longer than {POSTCODE_LENGTH} characters")
    for needed in ("country", "postcode"):
        if not getattr(address, needed):
            raise ValidationError(f"address.{needed}", "required: it decides who serves the site")
    return address


def territory_of(address: PostalAddress) -> str:
    """The address's territory key, as the kernel keys addresses (``DE-10117``)."""
    return f"{address.country}-{clean_territory(address.postcode or '')}"


def read_slot(
    start: Any,
    end: Any,
    visit_minutes: int,
    names: tuple[str, str] = ("scheduled_start", "scheduled_end"),
) -> tuple[datetime, datetime]:
    """The visit's start and end (default: ``visit_minutes`` after the start), at most ten years ahead."""
    if start is None:
        raise ValidationError(names[0], "required")
    begins = read_timestamp(names[0], start)
    if begins > utcnow() + PLANNING_HORIZON:
        raise ValidationError(names[0], "more than ten years ahead")
    ends = (
        begins + timedelta(minutes=visit_minutes) if end is None else read_timestamp(names[1], end)
    )
    if ends <= begins:
        raise ValidationError(names[1], f"must be after {names[0]}")
    if ends - begins > MAX_VISIT:
        raise ValidationError(names[1], "a visit lasts at most 14 days")
    return begins, ends


def create_dispatch(tx: Transaction, case: Case, data: Mapping[str, Any]) -> Dispatch:
    """Request a visit for ``case`` (which ``tx.actor`` sees); with ``technician_id``, assign it at once."""
    check_fields(data, FIELDS)
    if not case.is_open:
        raise ValidationError("case_id", f"case {case.number} is {case.status}: reopen it first")
    settings = _settings(tx)
    urgency = read_choice("urgency", data.get("urgency", "normal"), URGENCIES)
    asset_id = (
        case.asset_id if data.get("asset_id") is None else read_id("asset_id", data["asset_id"])
    )
    if asset_id is not None and asset_id not in {
        a.id for a in assets_of_party(tx.conn, case.party_id)
    }:
        raise ValidationError("asset_id", "is not an asset of this customer")
    if data.get("address") is None:
        addresses = get_party(tx.conn, case.party_id).addresses
        if not addresses:
            raise ValidationError("address", "required: the customer has no address on record")
        address = read_address(asdict(addresses[0]))
    else:
        address = read_address(data["address"])
    start, end = read_slot(
        data.get("scheduled_start"), data.get("scheduled_end"), settings.visit_minutes
    )
    entitled = entitlement_of(tx.conn, case.party_id, asset_id, on=start.date())
    now = utcnow()
    row = tx.conn.execute(
        insert(dispatch)
        .values(
            case_id=case.id,
            party_id=case.party_id,
            asset_id=asset_id,
            technician_id=None,
            address=asdict(address),
            territory=territory_of(address),
            urgency=urgency,
            status="requested",
            scheduled_start=start,
            scheduled_end=end,
            instructions=read_text("instructions", data.get("instructions"), limit=TEXT_LENGTH)
            or "",
            report="",
            entitlement=entitled.state,
            contract_id=entitled.contract_id,
            billable=entitled.billable,
            created_by=tx.actor.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        .returning(*dispatch.c)
    ).one()
    created = dispatch_of(row)
    add_event(
        tx,
        case,
        "dispatch",
        public=True,
        body=requested_text(_when(tx, start), entitled.summary),
        data=event_data(created, None),
    )
    events.emit(tx, "service.dispatch_requested", created)
    if data.get("technician_id") is not None:
        return assign(tx, created.id, data["technician_id"], version=created.version)
    return created


def get_dispatch(conn: Connection, dispatch_id: int) -> Dispatch:
    row = conn.execute(select(dispatch).where(dispatch.c.id == dispatch_id)).one_or_none()
    if row is None:
        raise NotFound(f"dispatch {dispatch_id} does not exist")
    return dispatch_of(row)


def dispatches_of_case(conn: Connection, case_id: int) -> list[Dispatch]:
    """The case's dispatches, soonest first."""
    rows = conn.execute(
        select(dispatch)
        .where(dispatch.c.case_id == case_id)
        .order_by(dispatch.c.scheduled_start, dispatch.c.id)
    )
    return [dispatch_of(row) for row in rows]


def assign(
    tx: Transaction,
    dispatch_id: int,
    technician_id: Any,
    *,
    version: int | None = None,
    scheduled_start: Any = None,
    scheduled_end: Any = None,
) -> Dispatch:
    """Send a technician (free in the site's region for the slot, which may be moved) on the visit."""
    current = get_dispatch(tx.conn, dispatch_id)
    _check_move(current, "dispatched", version)
    who = read_technician(tx.conn, technician_id)
    start, end = current.scheduled_start, current.scheduled_end
    if scheduled_start is not None:
        start, end = read_slot(scheduled_start, scheduled_end, _settings(tx).visit_minutes)
    # Two visits booked at once for one technician must see each other's booking.
    tx.hold(f"service.technician:{who.id}")
    refusal = why_not(tx.conn, who, current.territory, start, end, exclude_dispatch=current.id)
    if refusal is not None:
        raise ValidationError("technician_id", f"{who.name} {refusal}")
    now = utcnow()
    changed = _store(
        tx,
        current,
        status="dispatched",
        technician_id=who.id,
        scheduled_start=start,
        scheduled_end=end,
        dispatched_at=now,
    )
    headline = "Visit rescheduled" if current.status == "dispatched" else "Visit booked"
    _announce(tx, changed, who, headline, booked_text(headline, _when(tx, start), who.name))
    events.emit(tx, "service.dispatch_assigned", changed)
    return changed


def change_status(
    tx: Transaction,
    dispatch_id: int,
    status: Any,
    *,
    report: Any = None,
    at: Any = None,
    version: int | None = None,
) -> Dispatch:
    """Move the visit ``on_site``, ``done`` or ``cancelled`` at ``at`` (now); ``report`` says what was done."""
    if status not in REPORTED:
        raise ValidationError("status", f"expected one of {', '.join(REPORTED)}")
    current = get_dispatch(tx.conn, dispatch_id)
    _check_move(current, status, version)
    when = _reported_at(current, at)
    values: dict[str, Any] = {f"{status}_at": when}
    text = read_text("report", report, limit=TEXT_LENGTH)
    if text:
        values["report"] = text
    if status == "done":
        values.update(_settle(tx, current, when))
    changed = _store(tx, current, status=status, **values)
    who = None if changed.technician_id is None else read_technician(tx.conn, changed.technician_id)
    _announce(tx, changed, who, *status_text(changed, None if who is None else who.name))
    events.emit(tx, "service.dispatch_status_changed", changed)
    return changed


def _reported_at(current: Dispatch, at: Any) -> datetime:
    """When the reported step happened (now by default): not before the visit's previous step.

    Steps out of order would let a backdated report settle the visit under an
    entitlement that has since run out.
    """
    now = utcnow()
    when = now if at is None else read_timestamp("at", at)
    if when > now + REPORT_SKEW:
        raise ValidationError("at", "is in the future")
    previous = max(
        moment
        for moment in (current.created_at, current.dispatched_at, current.on_site_at)
        if moment is not None
    )
    if when < previous:
        raise ValidationError("at", f"is before the visit's previous step ({previous.isoformat()})")
    return when


def _settle(tx: Transaction, current: Dispatch, when: datetime) -> dict[str, Any]:
    """The entitlement the visit is done under; a contract's visit is counted as used."""
    # Two visits of the party done at once must not both take a contract's last visit.
    tx.hold(visits_lock(current.party_id))
    entitled = entitlement_of(tx.conn, current.party_id, current.asset_id, on=when.date())
    if entitled.state == "contract" and not entitled.billable and entitled.contract_id is not None:
        use_visit(tx, entitled.contract_id, current.id, when)
    return {
        "entitlement": entitled.state,
        "contract_id": entitled.contract_id,
        "billable": entitled.billable,
    }


def _check_move(current: Dispatch, status: str, version: int | None) -> None:
    versions.check_version(f"dispatch {current.id}", current.version, version)
    if status not in NEXT[current.status]:
        raise ValidationError("status", f"a {current.status} visit cannot become {status}")


def _store(tx: Transaction, current: Dispatch, **values: Any) -> Dispatch:
    row = versions.update_versioned(
        tx, dispatch, f"dispatch {current.id}", current.id, current.version, values
    )
    return dispatch_of(row)


def _announce(
    tx: Transaction, changed: Dispatch, who: Technician | None, headline: str, text: str
) -> None:
    """The change as a public event of the case, and told to the customer."""
    case = get_case(tx.conn, tx.actor, changed.case_id, host=tx.hooks)
    untold = (
        notify.tell_customer(tx, case, headline, text) if _settings(tx).notify_customer else None
    )
    add_event(
        tx,
        case,
        "dispatch",
        public=True,
        body=text if untold is None else f"{text} (not sent: {untold})",
        data=event_data(changed, None if who is None else who.name),
    )


def event_data(item: Dispatch, technician: str | None) -> dict[str, Any]:
    """The data of the case event telling a change of the visit (``technician``: who goes)."""
    return {
        "dispatch_id": item.id,
        "status": item.status,
        "technician": technician,
        "scheduled_start": item.scheduled_start.isoformat(),
        "billable": item.billable,
        "entitlement": item.entitlement,
    }


def requested_text(when: str, entitlement_summary: str) -> str:
    return f"Visit requested for {when}. {entitlement_summary}."


def booked_text(headline: str, when: str, name: str) -> str:
    return f"{headline} for {when}: {name} will come."


def status_text(item: Dispatch, technician: str | None) -> tuple[str, str]:
    """The headline and text of a status change (``technician``: who went)."""
    name = technician or "The technician"
    if item.status == "on_site":
        return "Technician on site", f"{name} arrived on site."
    if item.status == "done":
        charge = "billable" if item.billable else f"covered ({item.entitlement.replace('_', ' ')})"
        return "Visit done", f"Visit done; the work is {charge}."
    return "Visit cancelled", "Visit cancelled."


def _when(tx: Transaction, moment: datetime) -> str:
    return local_time(moment, _settings(tx).time_zone)


def local_time(moment: datetime, time_zone: str) -> str:
    """The time as customers are told it, in the configured time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def dispatches_of_party(
    conn: Connection, party_id: int, *, pending_only: bool = False
) -> list[Dispatch]:
    """The party's visits, soonest first; ``pending_only``: those not yet done or cancelled."""
    query = select(dispatch).where(dispatch.c.party_id == party_id)
    if pending_only:
        query = query.where(dispatch.c.status.in_(("requested", "dispatched", "on_site")))
    return [
        dispatch_of(row)
        for row in conn.execute(query.order_by(dispatch.c.scheduled_start, dispatch.c.id))
    ]
