"""Cases: opening them, their lifecycle, notes and replies, assignment and edits.

Every change writes a row of ``service_case_event``, logs it on the party's
timeline, emits an event for webhooks and tells the SLA clocks. A change of the
case's own fields checks the version the caller read (a stale one is a
ConflictError), as the kernel does for parties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmkit_channels import EmailMessage, send
from sqlalchemy import Connection, func, insert, select, update

from crmkit import (
    Actor,
    EmailAddress,
    NotFound,
    Transaction,
    ValidationError,
    build_interaction,
    check_fields,
    get_party,
    log_interaction,
    read_choice,
    read_id,
    read_reference,
    read_text,
    require,
    seen_party,
    user_table,
    utcnow,
)
from crmkit_service import fields, versions
from crmkit_service.assets.entitlement import entitlement_of
from crmkit_service.cases.access import CASE_READ, hidden_unless_seen
from crmkit_service.cases.events import ENTITY
from crmkit_service.cases.model import (
    CHANNELS,
    KINDS,
    OPEN_STATUSES,
    PRIORITIES,
    SEVERITIES,
    STATUSES,
    TRANSITIONS,
    Case,
    CaseEvent,
    case_number,
)
from crmkit_service.cases.settings import CaseSettings
from crmkit_service.cases.tables import case, case_event, category
from crmkit_service.sla.clocks import case_changed

SOURCE = "service"
"""The timeline source of case events."""
REF_KIND = "service.case"
SUBJECT_LIMIT = 300
BODY_LIMIT = 100_000
REPLY_PURPOSE = "service"
THREAD_LIMIT = 20
"""The Message-IDs a reply names in References: the first of the thread and the latest ones."""
MERGE_CHAIN_LIMIT = 100
"""Merges a case's mail follows to the case that survived them."""

EDITABLE = ("kind", "subject", "description", "category_id", "product", "priority", "severity")
CLEARABLE = frozenset({"description", "category_id", "product", "severity"})
CREATE_FIELDS = (*EDITABLE, "party_id", "asset_id", "channel", "owner_id", "team")

LABELS = {
    "created": "opened",
    "status": "status changed",
    "note": "internal note",
    "reply": "reply to the customer",
    "customer_reply": "the customer wrote",
    "assigned": "assigned",
    "priority": "priority changed",
    "category": "category changed",
    "updated": "changed",
    "linked": "linked",
    "merged": "merged",
    "dispatch": "dispatch",
    "entitlement": "entitlement",
    "feedback": "survey feedback",
}
DIRECTIONS = {"customer_reply": "inbound", "reply": "outbound", "feedback": "inbound"}


def case_of(row: Any) -> Case:
    return Case(number=case_number(row.id), **{c.name: getattr(row, c.name) for c in case.c})


def event_of(row: Any) -> CaseEvent:
    return CaseEvent(
        id=row.id,
        case_id=row.case_id,
        kind=row.kind,
        public=row.public,
        body=row.body,
        data=row.data,
        author_id=row.author_id,
        created_at=row.created_at,
    )


def load_case(conn: Connection, case_id: int) -> Case:
    """The case whatever the actor: for code that has checked, or acts as the system."""
    row = conn.execute(select(case).where(case.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist")
    return case_of(row)


def get_case(conn: Connection, actor: Actor, case_id: int, *, host: Any) -> Case:
    """The case, if ``actor`` may see its party; else NotFound. ``host`` is ``crm.host`` or ``tx.hooks``.

    A role without ``service:case.read`` is refused (PermissionDenied).
    """
    require(host, actor, CASE_READ)
    found = load_case(conn, case_id)
    hidden_unless_seen(host, conn, actor, found.party_id, f"case {case_id}")
    return found


def _settings(tx: Transaction) -> CaseSettings:
    settings: CaseSettings = tx.app.settings_of["service"].cases
    return settings


def check_version(current: Case, version: int | None) -> None:
    versions.check_version(f"case {current.number}", current.version, version)


def store(tx: Transaction, current: Case, values: Mapping[str, Any]) -> Case:
    """Write ``values`` if the case is still at the version ``current`` was read at."""
    row = versions.update_versioned(
        tx, case, f"case {current.number}", current.id, current.version, values
    )
    return case_of(row)


def live_case(tx: Transaction, case_id: int) -> Case:
    """The case for a change: it exists, and the actor of ``tx`` may see its party."""
    return get_case(tx.conn, tx.actor, case_id, host=tx.hooks)


def not_merged(current: Case) -> None:
    if current.merged_into_id is not None:
        raise ValidationError(
            "case_id",
            f"case {current.number} was merged into {case_number(current.merged_into_id)}; "
            "work on that one",
        )


def payload(current: Case, **extra: Any) -> dict[str, Any]:
    return {
        "id": current.id,
        "number": current.number,
        "party_id": current.party_id,
        "status": current.status,
        "priority": current.priority,
        "owner_id": current.owner_id,
        "team": current.team,
        **extra,
    }


# Built once: the statements of every event and new case (email to case's hot path).
_INSERT_EVENT = insert(case_event).returning(*case_event.c)
_INSERT_CASE = insert(case).returning(*case.c)


def record_event(
    tx: Transaction,
    current: Case,
    kind: str,
    *,
    public: bool,
    body: str | None = None,
    data: Mapping[str, Any] | None = None,
    email_id: int | None = None,
    inbound_email_id: int | None = None,
) -> CaseEvent:
    """A row of the case's history, and its entry on the party's timeline."""
    now = utcnow()
    row = tx.conn.execute(
        _INSERT_EVENT,
        {
            "case_id": current.id,
            "kind": kind,
            "public": public,
            "body": body,
            "data": dict(data or {}),
            "author_id": tx.actor.user_id,
            "email_id": email_id,
            "inbound_email_id": inbound_email_id,
            "created_at": now,
        },
    ).one()
    summary = body if body is not None else _describe(kind, data or {})
    log_interaction(
        tx,
        build_interaction(
            {
                "party_id": current.party_id,
                "channel": "case",
                "direction": DIRECTIONS.get(kind, "internal"),
                "occurred_at": now.isoformat(),
                "subject": f"{current.number} {LABELS.get(kind, kind)}: {current.subject}"[:500],
                "summary": (summary or "")[:BODY_LIMIT] or None,
                "outcome": current.status,
                "owner_id": current.owner_id,
                "refs": [{"kind": REF_KIND, "id": str(current.id)}],
            },
            source=SOURCE,
        ),
    )
    return event_of(row)


def _describe(kind: str, data: Mapping[str, Any]) -> str | None:
    """Words for an event without a body, from its data."""
    if "from" in data or "to" in data:
        return f"{data.get('from') or '-'} → {data.get('to') or '-'}"
    return None


def add_event(
    tx: Transaction,
    current: Case,
    kind: str,
    *,
    public: bool,
    body: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """Record an event of another part (``dispatch``, ``entitlement``) on the case and the timeline."""
    return record_event(tx, current, kind, public=public, body=body, data=data)


def _new_values(tx: Transaction, data: Mapping[str, Any]) -> dict[str, Any]:
    settings = _settings(tx)
    values: dict[str, Any] = {
        "kind": read_choice("kind", data.get("kind", "question"), KINDS),
        "subject": fields.required_text("subject", data.get("subject"), limit=SUBJECT_LIMIT),
        "description": read_text("description", data.get("description"), limit=BODY_LIMIT) or "",
        "product": read_text("product", data.get("product"), limit=200),
        "priority": read_choice(
            "priority",
            settings.default_priority if data.get("priority") is None else data["priority"],
            PRIORITIES,
        ),
        "severity": (
            None
            if data.get("severity") is None
            else read_choice("severity", data["severity"], SEVERITIES)
        ),
        "channel": read_choice("channel", data.get("channel", "phone"), CHANNELS),
        "team": read_text("team", data.get("team"), limit=100),
        "category_id": None,
        "owner_id": None,
    }
    if data.get("category_id") is not None:
        values["category_id"] = read_reference(
            tx.conn, "category_id", data["category_id"], category, "category"
        )
    if data.get("owner_id") is not None:
        values["owner_id"] = read_reference(
            tx.conn, "owner_id", data["owner_id"], user_table, "user"
        )
        values["team"] = values["team"] or _team_of(tx.conn, values["owner_id"])
    return values


def _team_of(conn: Connection, user_id: int) -> str | None:
    team: str | None = conn.execute(
        select(user_table.c.team).where(user_table.c.id == user_id)
    ).scalar()
    return team


def open_case(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    origin: Mapping[str, Any] | None = None,
    inbound_email_id: int | None = None,
) -> Case:
    """A new case from ``data``, validated; ``tx.actor`` must see the party (else NotFound).

    ``data``: ``party_id`` and ``subject`` (required), ``kind`` (default question),
    ``description``, ``category_id``, ``product``, ``asset_id``, ``priority`` (default
    from the settings), ``severity``, ``channel`` (default phone), ``owner_id``, ``team``
    (default the owner's). The party's entitlement for the asset is recorded with it.
    ``origin`` (the message's ``message_id`` and ``sender``) and ``inbound_email_id`` are
    kept with the ``created`` event of a case opened from an email, to thread the replies.
    """
    check_fields(data, CREATE_FIELDS)
    party_id = read_id("party_id", data.get("party_id"))
    seen_party(tx.hooks, tx.conn, tx.actor, party_id)
    values = _new_values(tx, data)
    asset_id = fields.optional_id("asset_id", data.get("asset_id"))
    entitlement = entitlement_of(tx.conn, party_id, asset_id, hooks=tx.hooks)
    now = utcnow()
    row = tx.conn.execute(
        _INSERT_CASE,
        {
            **values,
            "party_id": party_id,
            "asset_id": asset_id,
            "status": "new",
            "entitlement_state": entitlement.state,
            "entitlement_summary": entitlement.summary[:300],
            "billable": entitlement.billable,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    ).one()
    opened = case_of(row)
    record_event(
        tx,
        opened,
        "created",
        public=True,
        body=opened.description or None,
        data={
            **(origin or {}),
            "channel": opened.channel,
            "entitlement": opened.entitlement_summary,
            "billable": opened.billable,
        },
        inbound_email_id=inbound_email_id,
    )
    tx.emit("service.case_opened", ENTITY, opened.id, payload(opened, channel=opened.channel))
    case_changed(tx, opened, "opened")
    return opened


def _transition(current: Case, status: Any) -> str:
    status = read_choice("status", status, STATUSES)
    allowed = TRANSITIONS[current.status]
    if status not in allowed:
        raise ValidationError(
            "status",
            f"a case that is {current.status} can become {', '.join(allowed)}, not {status}",
        )
    return status


def _status_values(current: Case, status: str, root_cause: Any, resolution: Any) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {"status": status}
    if status == "resolved":
        values["root_cause"] = fields.required_text("root_cause", root_cause, limit=200)
        values["resolution"] = read_text("resolution", resolution, limit=BODY_LIMIT)
        values["resolved_at"] = now
    elif root_cause is not None or resolution is not None:
        field = "root_cause" if root_cause is not None else "resolution"
        raise ValidationError(field, "is given only when the case is resolved")
    if status == "closed":
        values["closed_at"] = now
    if status == "reopened":
        values.update(resolved_at=None, closed_at=None, root_cause=None, resolution=None)
    return values


def change_status(
    tx: Transaction,
    case_id: int,
    status: str,
    *,
    root_cause: str | None = None,
    resolution: str | None = None,
    version: int | None = None,
) -> Case:
    """Move the case to ``status`` if its lifecycle allows it; ``resolved`` needs a ``root_cause``."""
    current = live_case(tx, case_id)
    check_version(current, version)
    not_merged(current)
    return move_to(tx, current, _transition(current, status), root_cause, resolution)


def move_to(
    tx: Transaction, current: Case, status: str, root_cause: Any = None, resolution: Any = None
) -> Case:
    changed = store(tx, current, _status_values(current, status, root_cause, resolution))
    record_event(
        tx,
        changed,
        "status",
        public=True,
        body=changed.resolution if status == "resolved" else None,
        data={"from": current.status, "to": status, "root_cause": changed.root_cause},
    )
    tx.emit(
        "service.case_status_changed",
        ENTITY,
        changed.id,
        payload(changed, previous_status=current.status, root_cause=changed.root_cause),
    )
    case_changed(tx, changed, "status")
    return changed


def add_note(tx: Transaction, case_id: int, body: str) -> CaseEvent:
    """An internal note: on the case and the timeline, never shown or sent to the customer."""
    current = live_case(tx, case_id)
    not_merged(current)
    text = fields.required_text("body", body, limit=BODY_LIMIT)
    noted = record_event(tx, current, "note", public=False, body=text)
    tx.emit("service.case_note_added", ENTITY, current.id, payload(current, event_id=noted.id))
    return noted


def thread_of(conn: Connection, case_id: int) -> tuple[tuple[str, ...], str | None]:
    """The Message-IDs of the case's emails, oldest first, and the address the customer last
    wrote from when it is one of the party's (else None: the party's first address)."""
    rows = conn.execute(
        select(case_event.c.data)
        .where(
            case_event.c.case_id == case_id,
            case_event.c.kind.in_(("created", "reply", "customer_reply")),
        )
        .order_by(case_event.c.id)
    ).all()
    ids = [r.data["message_id"] for r in rows if r.data.get("message_id")]
    senders = [r.data["sender"] for r in rows if r.data.get("sender")]
    if len(ids) > THREAD_LIMIT:
        ids = [ids[0], *ids[-(THREAD_LIMIT - 1) :]]
    return tuple(dict.fromkeys(ids)), _own_address(conn, case_id, senders)


def _own_address(conn: Connection, case_id: int, senders: list[str]) -> str | None:
    """The latest of ``senders`` that is an address of the case's party."""
    return next(
        (sender for sender in reversed(senders) if is_party_address(conn, case_id, sender)), None
    )


def is_party_address(conn: Connection, case_id: int, address: str | None) -> bool:
    """Whether ``address`` is one of the email addresses of the case's party."""
    if not address:
        return False
    try:
        wanted = EmailAddress.parse(address).normalised
    except ValidationError:
        return False
    party_id = conn.execute(select(case.c.party_id).where(case.c.id == case_id)).scalar_one()
    return any(own.normalised == wanted for own in get_party(conn, party_id).emails)


def reply(
    tx: Transaction,
    case_id: int,
    body: str,
    *,
    status: str | None = None,
    version: int | None = None,
) -> CaseEvent:
    """A public reply, emailed to the customer in the case's thread (transactional).

    The subject carries the case number (``Re: [CS-000123] …``) and the email the
    references of the thread, so the customer's answer comes back to the case.
    ``status`` moves the case as well (e.g. ``waiting_on_customer``); without it a
    new or reopened case becomes open. The first reply is the case's first response.
    """
    current = live_case(tx, case_id)
    check_version(current, version)
    not_merged(current)
    text = fields.required_text("body", body, limit=BODY_LIMIT)
    target = None if status is None else _transition(current, status)
    references, sender = thread_of(tx.conn, current.id)
    sent = send(
        tx,
        EmailMessage(
            current.party_id,
            REPLY_PURPOSE,
            subject="Re: [{{ number }}] {{ case_subject }}",
            text="{{ body }}\n\n--\nCase {{ number }}: {{ case_subject }}",
            variables={"number": current.number, "case_subject": current.subject, "body": text},
            transactional=True,
            to=sender,
            references=references,
        ),
    )
    replied = record_event(
        tx,
        current,
        "reply",
        public=True,
        body=text,
        data={"message_id": sent.message_id, "to": sent.recipient, "email_status": sent.status},
        email_id=sent.id,
    )
    now = utcnow()
    tx.conn.execute(
        update(case)
        .where(case.c.id == current.id)
        .values(first_response_at=func.coalesce(case.c.first_response_at, now))
    )
    answered = load_case(tx.conn, current.id)
    tx.emit("service.case_replied", ENTITY, current.id, payload(answered, event_id=replied.id))
    case_changed(tx, answered, "replied")
    if target is None and current.status in ("new", "reopened"):
        target = "open"
    if target is not None:
        move_to(tx, answered, target)
    return replied


def customer_reply(
    tx: Transaction,
    case_id: int,
    body: str,
    *,
    channel: str = "portal",
    inbound_email_id: int | None = None,
    message_id: str | None = None,
    sender: str | None = None,
    auto_reply: bool = False,
) -> CaseEvent:
    """What the customer wrote (by mail, in the portal): a resolved or closed case is reopened,
    one waiting on the customer is open again. A merged case's reply goes to the case it was
    merged into. ``inbound_email_id`` recognises a message added before: it is added once.
    A machine's message (``auto_reply``: an out-of-office) is recorded and changes no status."""
    current = surviving_case(tx.conn, live_case(tx, case_id))
    before = _added_before(tx.conn, inbound_email_id)
    if before is not None:
        return before
    text = read_text("body", body, limit=BODY_LIMIT) or ""
    data: dict[str, Any] = {"channel": read_choice("channel", channel, CHANNELS)}
    if message_id:
        data["message_id"] = message_id
    if auto_reply:
        data["auto_reply"] = True
    if sender:
        data["sender"] = sender
    wrote = record_event(
        tx,
        current,
        "customer_reply",
        public=True,
        body=text,
        data=data,
        inbound_email_id=inbound_email_id,
    )
    tx.emit(
        "service.case_customer_replied", ENTITY, current.id, payload(current, event_id=wrote.id)
    )
    if auto_reply:
        return wrote
    case_changed(tx, current, "customer_replied")
    if current.status in ("resolved", "closed"):
        move_to(tx, current, "reopened")
    elif current.status == "waiting_on_customer":
        move_to(tx, current, "open")
    return wrote


def surviving_case(conn: Connection, current: Case) -> Case:
    """The case ``current`` was merged into, through every later merge; a chain that comes back
    on itself (which merges refuse) or is absurdly long is refused instead of followed forever."""
    seen = {current.id}
    while current.merged_into_id is not None:
        current = load_case(conn, current.merged_into_id)
        if current.id in seen or len(seen) > MERGE_CHAIN_LIMIT:
            raise ValidationError("case_id", f"case {current.number} is merged in a loop")
        seen.add(current.id)
    return current


def _added_before(conn: Connection, inbound_email_id: int | None) -> CaseEvent | None:
    if inbound_email_id is None:
        return None
    before = conn.execute(
        select(case_event).where(case_event.c.inbound_email_id == inbound_email_id)
    ).first()
    return None if before is None else event_of(before)


def foreign_message(
    tx: Transaction,
    case_id: int,
    body: str,
    *,
    sender: str | None,
    inbound_email_id: int | None = None,
    message_id: str | None = None,
) -> CaseEvent:
    """A message on the case's thread from an address that is not its party's: the thread's
    headers prove nothing about who wrote, so it is an internal note flagged
    ``from_another_sender``. It changes no status, and replies never go to its sender."""
    current = surviving_case(tx.conn, live_case(tx, case_id))
    before = _added_before(tx.conn, inbound_email_id)
    if before is not None:
        return before
    text = read_text("body", body, limit=BODY_LIMIT) or ""
    data: dict[str, Any] = {"from_another_sender": True, "sender": sender}
    if message_id:
        data["message_id"] = message_id
    noted = record_event(
        tx, current, "note", public=False, body=text, data=data, inbound_email_id=inbound_email_id
    )
    tx.emit("service.case_note_added", ENTITY, current.id, payload(current, event_id=noted.id))
    return noted


def assign(
    tx: Transaction,
    case_id: int,
    owner_id: int | None = None,
    team: str | None = None,
    *,
    version: int | None = None,
) -> Case:
    """Give the case to ``owner_id`` (and their team unless ``team`` is given), or to a ``team``
    alone (no owner): someone of the team takes it from the team's list."""
    current = live_case(tx, case_id)
    check_version(current, version)
    not_merged(current)
    if owner_id is None and team is None:
        raise ValidationError("owner_id", "give an owner, a team or both")
    values: dict[str, Any] = {"owner_id": None, "team": read_text("team", team, limit=100)}
    if owner_id is not None:
        values["owner_id"] = read_reference(tx.conn, "owner_id", owner_id, user_table, "user")
        values["team"] = values["team"] or _team_of(tx.conn, values["owner_id"])
    if values["owner_id"] == current.owner_id and values["team"] == current.team:
        return current
    changed = store(tx, current, values)
    record_event(
        tx,
        changed,
        "assigned",
        public=False,
        data={
            "from_owner_id": current.owner_id,
            "to_owner_id": changed.owner_id,
            "from": current.team,
            "to": changed.team,
        },
    )
    tx.emit(
        "service.case_assigned",
        ENTITY,
        changed.id,
        payload(changed, previous_owner_id=current.owner_id, previous_team=current.team),
    )
    case_changed(tx, changed, "reassigned")
    return changed


def update_case(
    tx: Transaction, case_id: int, data: Mapping[str, Any], *, version: int | None = None
) -> Case:
    """Change the case's ``kind``, ``subject``, ``description``, ``category_id``, ``product``,
    ``priority`` or ``severity``."""
    check_fields(data, EDITABLE)
    # Null clears a field that may be empty; for one that may not, it changes nothing.
    data = {k: v for k, v in data.items() if v is not None or k in CLEARABLE}
    current = live_case(tx, case_id)
    check_version(current, version)
    not_merged(current)
    complete = {name: getattr(current, name) for name in EDITABLE} | dict(data)
    values = {k: v for k, v in _new_values(tx, complete).items() if k in EDITABLE}
    changes = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changes:
        return current
    changed = store(tx, current, changes)
    for name in ("priority", "category_id"):
        if name in changes:
            kind = name.removesuffix("_id")
            record_event(
                tx,
                changed,
                kind,
                public=False,
                data={"from": getattr(current, name), "to": changes[name]},
            )
            case_changed(tx, changed, kind)
    rest = sorted(set(changes) - {"priority", "category_id"})
    if rest:
        record_event(tx, changed, "updated", public=False, data={"fields": rest})
    tx.emit("service.case_updated", ENTITY, changed.id, payload(changed, fields=sorted(changes)))
    return changed


def case_events(conn: Connection, case_id: int, *, public_only: bool = False) -> list[CaseEvent]:
    """The case's events, oldest first; ``public_only`` leaves out internal notes and changes.

    The caller has checked that the case is visible (``get_case``).
    """
    query = select(case_event).where(case_event.c.case_id == case_id)
    if public_only:
        query = query.where(case_event.c.public.is_(True))
    return [event_of(row) for row in conn.execute(query.order_by(case_event.c.id))]


def cases_of_party(
    conn: Connection, actor: Actor, party_id: int, *, host: Any, open_only: bool = False
) -> list[Case]:
    """The party's cases, open ones first, then the newest, if ``actor`` may see the party."""
    require(host, actor, CASE_READ)
    seen_party(host, conn, actor, party_id)
    query = select(case).where(case.c.party_id == party_id)
    if open_only:
        query = query.where(case.c.status.in_(OPEN_STATUSES))
    query = query.order_by(case.c.status.not_in(OPEN_STATUSES), case.c.id.desc())
    return [case_of(row) for row in conn.execute(query)]
