"""After-event rules: a domain event (a case closed, an order delivered, an event attended)
invites its party to a survey.

A rule names an event type (any the CRM registers), conditions on the event's payload
(``{"status": ["resolved", "closed"]}``: each key's value must be one of those listed), a
channel and a message per language, a delay, a quiet period and how long the link holds.
An event whose payload names a ``party_id`` and meets an active rule makes one invitation
(its ``dedupe_key`` is the rule and the event, so an event delivered twice invites once),
sent at once without a delay, else by the job ``surveys.send_due``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from crmkit import (
    SYSTEM,
    ConflictError,
    Crm,
    NotFound,
    Transaction,
    ValidationError,
    check_fields,
    party_table,
    read_choice,
    read_id,
    read_whole_number,
    utcnow,
)
from crmkit_surveys.invitations.due import send_rows
from crmkit_surveys.invitations.links import new_token, token_hash
from crmkit_surveys.invitations.messages import read_messages
from crmkit_surveys.invitations.model import ENTITY_RULE, Rule
from crmkit_surveys.invitations.reach import may_invite
from crmkit_surveys.invitations.sample_render import check_renders
from crmkit_surveys.invitations.survey_state import SurveyState, survey_state
from crmkit_surveys.invitations.tables import CHANNELS, invitation, rule

FIELDS = (
    "survey_id",
    "event_type",
    "conditions",
    "channel",
    "message",
    "delay_minutes",
    "quiet_days",
    "expires_after_days",
    "active",
)
MAX_DELAY_MINUTES = 90 * 24 * 60
MAX_CONDITIONS = 20
MAX_VALUES = 50
MAX_VALUE_LENGTH = 200


# --- Reading and storing rules


def list_rules(conn: Connection, survey_id: int | None = None) -> list[Rule]:
    """Every rule (of one survey when given), by id."""
    query = select(rule).order_by(rule.c.id)
    if survey_id is not None:
        query = query.where(rule.c.survey_id == survey_id)
    return [Rule.from_row(r) for r in conn.execute(query)]


def get_rule(conn: Connection, rule_id: int) -> Rule:
    row = conn.execute(select(rule).where(rule.c.id == rule_id)).first()
    if row is None:
        raise NotFound(f"rule {rule_id} does not exist")
    return Rule.from_row(row)


def create_rule(tx: Transaction, data: Mapping[str, Any]) -> Rule:
    """Store a rule; ValidationError naming the field for anything that cannot be taken."""
    check_fields(data, FIELDS)
    values = _read(tx, data, None)
    now = utcnow()
    rule_id = tx.conn.execute(
        insert(rule)
        .values(**values, created_by=tx.actor.user_id, created_at=now, updated_at=now, version=1)
        .returning(rule.c.id)
    ).scalar_one()
    tx.emit(
        "surveys.rule_saved",
        ENTITY_RULE,
        rule_id,
        {"id": rule_id, "survey_id": values["survey_id"]},
    )
    return get_rule(tx.conn, rule_id)


def update_rule(
    tx: Transaction, rule_id: int, data: Mapping[str, Any], *, version: int | None
) -> Rule:
    """Change a rule (any of its fields). ``version``: the one last read, required
    (ValidationError without it); ConflictError when it is not the stored one."""
    check_fields(data, FIELDS)
    if version is None:
        raise ValidationError("version", "is required: the version last read")
    current = get_rule(tx.conn, rule_id)
    if version != current.version:
        raise ConflictError(f"rule {rule_id} was changed meanwhile (version {current.version})")
    values = _read(tx, data, current)
    done = tx.conn.execute(
        update(rule)
        .where(rule.c.id == rule_id, rule.c.version == current.version)
        .values(**values, updated_at=utcnow(), version=current.version + 1)
    )
    if done.rowcount != 1:
        raise ConflictError(f"rule {rule_id} was changed meanwhile")
    tx.emit(
        "surveys.rule_saved",
        ENTITY_RULE,
        rule_id,
        {"id": rule_id, "survey_id": values["survey_id"]},
    )
    return get_rule(tx.conn, rule_id)


def delete_rule(tx: Transaction, rule_id: int) -> None:
    """Delete a rule, and its invitations still waiting for their delay (never sent)."""
    current = get_rule(tx.conn, rule_id)
    tx.conn.execute(
        delete(invitation).where(invitation.c.rule_id == rule_id, invitation.c.status == "queued")
    )
    tx.conn.execute(delete(rule).where(rule.c.id == rule_id))
    tx.emit(
        "surveys.rule_deleted",
        ENTITY_RULE,
        rule_id,
        {"id": rule_id, "survey_id": current.survey_id},
    )


def _read(tx: Transaction, data: Mapping[str, Any], current: Rule | None) -> dict[str, Any]:
    """The rule's stored values: ``data`` over ``current`` (a new rule has none)."""
    settings = tx.app.settings_of["surveys"].invitations

    def given(name: str, default: Any) -> Any:
        if name in data:
            return data[name]
        return getattr(current, name) if current is not None else default

    survey_id = read_id("survey_id", given("survey_id", None))
    try:
        found = survey_state(tx.conn, survey_id)
    except NotFound:
        raise ValidationError("survey_id", f"survey {survey_id} does not exist") from None
    event_type = given("event_type", None)
    if not isinstance(event_type, str) or event_type not in tx.app.event_types:
        raise ValidationError("event_type", f"{event_type!r} is not an event type of this CRM")
    channel = read_choice("channel", given("channel", None), CHANNELS)
    languages = found.languages if found.version_id is not None else None
    active = given("active", True)
    if not isinstance(active, bool):
        raise ValidationError("active", "expected true or false")
    messages = read_messages(given("message", None), channel, found.default_language, languages)
    check_renders(messages, channel, found.name)
    return {
        "survey_id": survey_id,
        "event_type": event_type,
        "conditions": read_conditions(given("conditions", {})),
        "channel": channel,
        "message": messages,
        "delay_minutes": read_whole_number(
            "delay_minutes", given("delay_minutes", 0), maximum=MAX_DELAY_MINUTES
        ),
        "quiet_days": read_whole_number(
            "quiet_days", given("quiet_days", settings.quiet_days), maximum=3650
        ),
        "expires_after_days": read_whole_number(
            "expires_after_days",
            given("expires_after_days", settings.expires_after_days),
            minimum=1,
            maximum=365,
        ),
        "active": int(active),
    }


def read_conditions(data: Any) -> dict[str, list[Any]]:
    """``{"status": ["resolved", "closed"]}``: payload keys and the values that fire the rule."""
    if not isinstance(data, Mapping):
        raise ValidationError("conditions", "expected an object: payload key to accepted values")
    if len(data) > MAX_CONDITIONS:
        raise ValidationError("conditions", f"at most {MAX_CONDITIONS} keys")
    found: dict[str, list[Any]] = {}
    for key, values in data.items():
        where = f"conditions.{key}"
        if not isinstance(key, str) or not 0 < len(key) <= 100:
            raise ValidationError("conditions", "expected payload keys of 1 to 100 characters")
        if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES:
            raise ValidationError(where, f"expected a list of 1 to {MAX_VALUES} accepted values")
        for i, value in enumerate(values):
            if isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH:
                continue
            if isinstance(value, bool | int) and not isinstance(value, float):
                continue
            raise ValidationError(
                f"{where}[{i}]",
                f"expected text of at most {MAX_VALUE_LENGTH} characters, a whole number or true/false",
            )
        found[key] = list(values)
    return found


def meets(conditions: Mapping[str, list[Any]], payload: Mapping[str, Any]) -> bool:
    """Whether every condition's key is in ``payload`` with one of its accepted values."""
    return all(
        key in payload and any(_same(payload[key], v) for v in values)
        for key, values in conditions.items()
    )


def _same(a: Any, b: Any) -> bool:
    # JSON's true is not 1: a boolean matches only a boolean.
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)


# --- Firing


# Built once: every event of the CRM is asked about.
_ACTIVE_RULES = (
    select(rule)
    .where(rule.c.event_type == bindparam("event_type"), rule.c.active == 1)
    .order_by(rule.c.id)
)


def on_event(app: Crm, event: Any) -> None:
    """Invite the party an event's payload names (``party_id``) for every active rule the event
    meets; an event delivered twice invites once."""
    with app.read() as conn:
        rows = conn.execute(_ACTIVE_RULES, {"event_type": event.type}).all()
    if not rows:
        return
    payload = event.payload if isinstance(event.payload, Mapping) else {}
    party_id = payload.get("party_id")
    if not isinstance(party_id, int) or isinstance(party_id, bool):
        return
    fired = [Rule.from_row(r) for r in rows if meets(r.conditions, payload)]
    if not fired:
        return
    with app.transaction(SYSTEM) as tx:
        now = utcnow()
        for found in fired:
            invite(tx, found, event, party_id, now)


def invite(tx: Transaction, found: Rule, event: Any, party_id: int, now: datetime) -> int | None:
    """The invitation ``found`` makes for ``event``'s party, or None when it makes none: the
    survey is not active, the event invited already, the party cannot be reached (no address,
    no consent) or was invited to the survey within the rule's quiet days."""
    key = f"rule:{found.id}:event:{event.id}"
    tx.hold(f"surveys.survey:{found.survey_id}")
    state = survey_state(tx.conn, found.survey_id)
    if not state.sendable or _exists(tx, key):
        return None
    language = _invitable_language(tx, found, state, party_id, now)
    if language is None:
        return None
    not_before = now + timedelta(minutes=found.delay_minutes)
    invitation_id: int = tx.conn.execute(
        insert(invitation)
        .values(
            survey_id=found.survey_id,
            version_id=state.version_id,
            party_id=party_id,
            rule_id=found.id,
            dedupe_key=key,
            token_hash=token_hash(new_token()),
            channel=found.channel,
            language=language,
            status="queued",
            source={
                "event_type": event.type,
                "event_id": event.id,
                "entity": event.entity,
                "entity_id": event.entity_id,
            },
            not_before=not_before,
            expires_at=not_before + timedelta(days=found.expires_after_days),
            created_at=now,
        )
        .returning(invitation.c.id)
    ).scalar_one()
    if found.delay_minutes == 0:
        queued = tx.conn.execute(
            select(
                invitation.c.id,
                invitation.c.survey_id,
                invitation.c.party_id,
                invitation.c.language,
                invitation.c.expires_at,
                invitation.c.rule_id,
                invitation.c.send_id,
            ).where(invitation.c.id == invitation_id)
        ).all()
        send_rows(tx, queued, now)
    return invitation_id


def _exists(tx: Transaction, key: str) -> bool:
    found = tx.conn.execute(select(invitation.c.id).where(invitation.c.dedupe_key == key)).first()
    return found is not None


def _invitable_language(
    tx: Transaction, found: Rule, state: SurveyState, party_id: int, now: datetime
) -> str | None:
    """The language to ask the party in, or None when the rule may not invite it now."""
    settings = tx.app.settings_of["surveys"].invitations
    quiet = now - timedelta(days=found.quiet_days) if found.quiet_days else None
    preferred = tx.conn.execute(
        select(party_table.c.custom[settings.language_field].as_string()).where(
            party_table.c.id == party_id,
            *may_invite(
                party_table.c.id,
                survey_id=found.survey_id,
                channel=found.channel,
                purpose=settings.purpose,
                transactional=settings.transactional,
                quiet_since=quiet,
            ),
        )
    ).first()
    if preferred is None:
        return None
    return state.language_for(preferred[0])
