"""Registering, confirming (double opt-in), the waiting list and cancelling.

A registration is ``pending`` until the registrant follows the link emailed to
them; only then does it take a seat (``confirmed``) or a place on the waiting
list (``waitlisted``), and only then is the marketing consent they ticked
recorded, with its evidence. The person is taken in through the kernel's intake
(source ``event:<id>``) when they register, because an email goes to a party:
a known customer is matched, not duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import frozen
from crmkit_channels import send
from sqlalchemy import Connection, and_, func, insert, or_, select, update

from crmkit import (
    Actor,
    EmailAddress,
    NotFound,
    Transaction,
    ValidationError,
    parse_whole_number,
    read_id,
    record_consent,
    take_in_prospect,
)
from crmkit_campaigns.events import emails
from crmkit_campaigns.events.seats import give_back_seat, take_seat
from crmkit_campaigns.events.settings import EventSettings
from crmkit_campaigns.events.tables import choice, event, registration, session

FORM_LIMITS = {"first_name": 100, "last_name": 100, "email": 320, "company": 200, "phone": 50}
PROMOTION_TRIES = 50
"""How many of the waiting list a freed seat is offered to in turn (one may want a full session)."""
REGISTRATION = "campaigns.event_registration"


@frozen
class Answer:
    """Where a registration stands after a registrant's act: ``position`` on the waiting list."""

    registration_id: int
    event_id: int
    status: str
    position: int | None = None


PLUGIN_ACTOR = Actor(user_id=None, username="plugin:campaigns", role="system")


def as_plugin(tx: Transaction) -> Transaction:
    """``tx`` acting as the plugin itself, for what the plugin owes a registrant whoever
    set it off: a user raising the capacity may not see the party a freed seat goes to,
    and must not be refused because of it."""
    return attrs.evolve(tx, actor=PLUGIN_ACTOR)


def _settings(tx: Transaction) -> EventSettings:
    settings: EventSettings = tx.app.settings_of["campaigns"].events
    return settings


def _event_row(conn: Connection, event_id: int) -> Any:
    row = conn.execute(select(event).where(event.c.id == event_id)).one_or_none()
    if row is None:
        raise NotFound("there is no such event")
    return row


def registration_row(conn: Connection, registration_id: int) -> Any:
    row = conn.execute(
        select(registration).where(registration.c.id == registration_id)
    ).one_or_none()
    if row is None:
        raise NotFound("there is no such registration")
    return row


def sessions_of(conn: Connection, registration_id: int) -> list[int]:
    return list(
        conn.execute(
            select(choice.c.session_id)
            .where(choice.c.registration_id == registration_id)
            .order_by(choice.c.session_id)
        ).scalars()
    )


def is_open(row: Any, now: datetime) -> bool:
    """Whether the event (a row) takes registrations now."""
    closes = row.registration_closes_at or row.starts_at
    opens = row.registration_opens_at
    return row.status == "published" and (opens is None or opens <= now) and now < closes


def _text(form: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError(name, "expected text")
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(name, "please fill this in")
        return None
    if len(value) > FORM_LIMITS[name]:
        raise ValidationError(name, f"at most {FORM_LIMITS[name]} characters, please")
    return value


def _required(form: Mapping[str, Any], name: str) -> str:
    value = _text(form, name, required=True)
    if value is None:
        raise ValidationError(name, "please fill this in")
    return value


def _chosen_sessions(conn: Connection, event_id: int, given: Any) -> list[int]:
    if given is None:
        return []
    if not isinstance(given, list | tuple) or not all(isinstance(s, str | int) for s in given):
        raise ValidationError("sessions", "expected a list of session ids")
    wanted = {
        read_id("sessions", item)
        if isinstance(item, int)
        else parse_whole_number("sessions", item, minimum=1)
        for item in given
    }
    known = set(
        conn.execute(
            select(session.c.id).where(session.c.event_id == event_id, session.c.id.in_(wanted))
        ).scalars()
    )
    if known != wanted:
        raise ValidationError("sessions", "one of the sessions chosen is not part of this event")
    return sorted(wanted)


def intake_data(
    first: str, last: str, email: str, company: str | None, phone: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "person",
        "first_name": first,
        "last_name": last,
        "emails": [email],
    }
    if phone:
        data["phones"] = [phone]
    if company:
        data["organisation_name"] = company
    return data


def register(tx: Transaction, event_id: int, form: Mapping[str, Any], now: datetime) -> Answer:
    """A pending registration from the public form, and the email asking to confirm it.

    ``form``: ``first_name``, ``last_name``, ``email`` (required), ``company``,
    ``phone``, ``sessions`` (ids of the event's sessions), ``marketing_consent``
    (bool). Registering again with the same address while a registration is open
    sends the confirmation link again (pending) and creates nothing.
    """
    row = _event_row(tx.conn, event_id)
    if not is_open(row, now):
        raise ValidationError("event", "this event takes no registrations at the moment")
    first, last = _required(form, "first_name"), _required(form, "last_name")
    email = EmailAddress.parse(_required(form, "email"), field_name="email")
    company, phone = _text(form, "company", required=False), _text(form, "phone", required=False)
    consent = form.get("marketing_consent", False)
    if not isinstance(consent, bool):
        raise ValidationError("marketing_consent", "expected true or false")
    chosen = _chosen_sessions(tx.conn, event_id, form.get("sessions"))
    # One person registering twice at once must not make two registrations.
    tx.hold(f"campaigns.event_registration:{event_id}:{email.normalised}")
    intake = take_in_prospect(
        tx, intake_data(first, last, email.original, company, phone), source=f"event:{event_id}"
    )
    if intake.party_id is None:
        hard = next((f for f in intake.findings if f.severity == "hard"), None)
        raise ValidationError(
            (hard.field if hard and hard.field in FORM_LIMITS else None) or "email",
            hard.message if hard else "these details cannot be taken in",
        )
    existing = tx.conn.execute(
        select(registration).where(
            registration.c.event_id == event_id,
            registration.c.party_id == intake.party_id,
            registration.c.status != "cancelled",
        )
    ).first()
    if existing is not None:
        if existing.status == "pending":
            # The link sent again works as long as a new one would.
            tx.conn.execute(
                update(registration).where(registration.c.id == existing.id).values(created_at=now)
            )
            _ask_to_confirm(tx, registration_row(tx.conn, existing.id), row)
        return Answer(existing.id, event_id, existing.status)
    registration_id = tx.conn.execute(
        insert(registration)
        .values(
            event_id=event_id,
            party_id=intake.party_id,
            status="pending",
            first_name=first,
            last_name=last,
            email=email.original,
            company=company,
            phone=phone,
            marketing_consent=int(consent),
            created_at=now,
            holds_seat=0,
        )
        .returning(registration.c.id)
    ).scalar_one()
    if chosen:
        tx.conn.execute(
            insert(choice), [{"registration_id": registration_id, "session_id": s} for s in chosen]
        )
    _ask_to_confirm(tx, registration_row(tx.conn, registration_id), row)
    tx.emit(
        "campaigns.registration_received",
        REGISTRATION,
        registration_id,
        {"event_id": event_id, "status": "pending"},
    )
    return Answer(registration_id, event_id, "pending")


def _ask_to_confirm(tx: Transaction, reg: Any, event_row: Any) -> None:
    hours = _settings(tx).confirm_hours
    send(tx, emails.message(tx.app, emails.CONFIRM_REQUEST, reg, event_row, hours=hours))


def waiting_position(conn: Connection, reg: Any) -> int:
    """1 for the first on the event's waiting list."""
    ahead = conn.execute(
        select(func.count()).where(
            registration.c.event_id == reg.event_id,
            registration.c.status == "waitlisted",
            or_(
                registration.c.waitlisted_at < reg.waitlisted_at,
                and_(
                    registration.c.waitlisted_at == reg.waitlisted_at,
                    registration.c.id < reg.id,
                ),
            ),
        )
    ).scalar_one()
    return int(ahead) + 1


def answer_of(conn: Connection, reg: Any) -> Answer:
    position = waiting_position(conn, reg) if reg.status == "waitlisted" else None
    return Answer(reg.id, reg.event_id, reg.status, position)


def check_confirmable(app: Any, reg: Any, now: datetime) -> None:
    """NotFound when a pending registration's confirmation link has expired, or when its
    registrant was erased (nobody to seat or to email)."""
    if reg.party_id is None:
        raise NotFound("there is no such registration")
    settings: EventSettings = app.settings_of["campaigns"].events
    hours = settings.confirm_hours
    if reg.status == "pending" and reg.created_at + timedelta(hours=hours) <= now:
        raise NotFound("this confirmation link has expired: please register again")


def confirm(tx: Transaction, registration_id: int, now: datetime) -> Answer:
    """The registrant's click: a seat (``confirmed``) or the waiting list, the consent they gave
    recorded, and the email saying which. A second click changes nothing."""
    reg = registration_row(tx.conn, registration_id)
    check_confirmable(tx.app, reg, now)
    event_row = _event_row(tx.conn, reg.event_id)
    if reg.status == "pending" and event_row.status != "published":
        raise NotFound("this event takes no registrations any more")
    # Claimed first, so that two clicks at once confirm (and take a seat) once; the
    # transient status is replaced below, in the same transaction.
    claimed = tx.conn.execute(
        update(registration)
        .where(registration.c.id == registration_id, registration.c.status == "pending")
        .values(status="confirming", confirmed_at=now)
    )
    if claimed.rowcount != 1:
        return answer_of(tx.conn, reg)
    seated = take_seat(tx.conn, reg.event_id, sessions_of(tx.conn, registration_id))
    status = "confirmed" if seated else "waitlisted"
    tx.conn.execute(
        update(registration)
        .where(registration.c.id == registration_id)
        .values(
            status=status,
            holds_seat=int(seated),
            waitlisted_at=None if seated else now,
        )
    )
    reg = registration_row(tx.conn, registration_id)
    if reg.marketing_consent and reg.party_id is not None:
        record_consent(
            tx,
            reg.party_id,
            "marketing",
            "email",
            "granted",
            source="event-registration",
            evidence=(
                f"ticked on the registration form of event {reg.event_id} "
                f"(registration {registration_id}, {reg.created_at.isoformat()}), "
                f"confirmed by the link emailed to {reg.email} at {now.isoformat()}"
            ),
        )
    answer = answer_of(tx.conn, reg)
    extra: dict[str, Any]
    if seated:
        template, extra = emails.CONFIRMED, {"lead": emails.LEAD_CONFIRMED}
    else:
        template, extra = emails.WAITLISTED, {"position": answer.position}
    send(tx, emails.message(tx.app, template, reg, event_row, **extra))
    tx.emit(
        f"campaigns.registration_{status}",
        REGISTRATION,
        registration_id,
        {"event_id": reg.event_id, "status": status},
    )
    return answer


def cancel(tx: Transaction, registration_id: int, now: datetime) -> Answer:
    """Cancel a registration; the seat it held goes to the first on the waiting list who fits."""
    reg = registration_row(tx.conn, registration_id)
    if reg.status in ("cancelled", "attended"):
        return answer_of(tx.conn, reg)
    done = tx.conn.execute(
        update(registration)
        .where(registration.c.id == registration_id, registration.c.status == reg.status)
        .values(status="cancelled", cancelled_at=now, holds_seat=0)
    )
    if done.rowcount != 1:
        return answer_of(tx.conn, registration_row(tx.conn, registration_id))
    if reg.holds_seat:
        give_back_seat(tx.conn, reg.event_id, sessions_of(tx.conn, registration_id))
        promote(tx, reg.event_id, now)
    tx.emit(
        "campaigns.registration_cancelled",
        REGISTRATION,
        registration_id,
        {"event_id": reg.event_id, "status": "cancelled", "was": reg.status},
    )
    return Answer(registration_id, reg.event_id, "cancelled")


def withdraw(tx: Transaction, registration_ids: Sequence[int], now: datetime) -> bool:
    """Cancel these registrations (whatever their status) and free the seats they held,
    without promoting anyone yet; whether a seat was freed."""
    rows = tx.conn.execute(
        select(registration.c.id, registration.c.event_id, registration.c.holds_seat).where(
            registration.c.id.in_(registration_ids), registration.c.status != "cancelled"
        )
    ).all()
    tx.conn.execute(
        update(registration)
        .where(registration.c.id.in_([r.id for r in rows]))
        .values(status="cancelled", cancelled_at=now, holds_seat=0)
    )
    for row in rows:
        if row.holds_seat:
            give_back_seat(tx.conn, row.event_id, sessions_of(tx.conn, row.id))
        tx.emit(
            "campaigns.registration_cancelled",
            REGISTRATION,
            row.id,
            {"event_id": row.event_id, "status": "cancelled"},
        )
    return any(row.holds_seat for row in rows)


def promote(tx: Transaction, event_id: int, now: datetime) -> list[int]:
    """Seat those on the waiting list, in their order, while seats are free; email each."""
    event_row = _event_row(tx.conn, event_id)
    if event_row.status != "published":
        return []
    waiting: Sequence[Any] = tx.conn.execute(
        select(registration.c.id)
        .where(
            registration.c.event_id == event_id,
            registration.c.status == "waitlisted",
            # An erased registrant has no seat to be given, nor an address to be told at.
            registration.c.party_id.is_not(None),
        )
        .order_by(registration.c.waitlisted_at, registration.c.id)
        .limit(PROMOTION_TRIES)
    ).all()
    promoted: list[int] = []
    for (registration_id,) in waiting:
        if take_seat(tx.conn, event_id, sessions_of(tx.conn, registration_id)):
            tx.conn.execute(
                update(registration)
                .where(registration.c.id == registration_id)
                .values(status="confirmed", holds_seat=1, waitlisted_at=None)
            )
            reg = registration_row(tx.conn, registration_id)
            lead = {"lead": emails.LEAD_PROMOTED}
            send(as_plugin(tx), emails.message(tx.app, emails.CONFIRMED, reg, event_row, **lead))
            tx.emit(
                "campaigns.registration_confirmed",
                REGISTRATION,
                registration_id,
                {"event_id": event_id, "status": "confirmed", "promoted": True},
            )
            promoted.append(registration_id)
        elif not _has_free_seat(tx.conn, event_id):
            break
    return promoted


def _has_free_seat(conn: Connection, event_id: int) -> bool:
    row = conn.execute(
        select(event.c.capacity, event.c.seats_taken).where(event.c.id == event_id)
    ).one()
    return row.capacity is None or row.seats_taken < row.capacity
