"""Sends: a survey's published version sent to an audience over email or SMS.

One transaction decides who is invited (the audience's parties the sender sees, with an
address for the channel, consent for the invitations' purpose, and not invited to the
survey within the quiet period) in one query, however large the audience, and writes
their invitations. Up to ``send_at_once`` of them, it also queues each message with the
channels plugin's ``send_many``; a larger send's invitations are queued for the job
``surveys.send_due``. A send either happened whole or not at all, and a party is never
invited twice by it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, Select, String, case, cast, func, insert, literal, select, update

from crmkit import (
    Id,
    NotFound,
    Transaction,
    UTCDateTime,
    ValidationError,
    check_fields,
    party_table,
    read_choice,
    read_whole_number,
    utcnow,
)
from crmkit_surveys.invitations.audience import audience_query, read_audience
from crmkit_surveys.invitations.handover import Item, hand_over, try_render
from crmkit_surveys.invitations.messages import in_language, read_messages
from crmkit_surveys.invitations.model import ENTITY_SEND, AudienceSize, Send
from crmkit_surveys.invitations.reach import may_invite
from crmkit_surveys.invitations.sample_render import check_renders
from crmkit_surveys.invitations.survey_state import SurveyState, sendable_survey, survey_state
from crmkit_surveys.invitations.tables import CHANNELS, invitation, send

FIELDS = ("audience", "channel", "message", "expires_after_days")
MAX_EXPIRY_DAYS = 365


def create_send(tx: Transaction, survey_id: int, data: Mapping[str, Any]) -> Send:
    """Send the survey's published version to ``data["audience"]`` over ``data["channel"]``.

    ValidationError naming the field for bad input (an unknown segment, a text without
    ``{{ survey_url }}``, a template that does not render); ConflictError for a survey that
    is not active; NotFound for one that does not exist. Nothing is stored then.
    """
    check_fields(data, FIELDS)
    found = sendable_survey(tx, survey_id)
    channel = read_choice("channel", data.get("channel"), CHANNELS)
    messages = read_messages(data.get("message"), channel, found.default_language, found.languages)
    # Tried here whether or not anyone is invited: a send to nobody queues no message.
    check_renders(messages, channel, found.name)
    audience = read_audience(tx, data.get("audience"))
    settings = tx.app.settings_of["surveys"].invitations
    days = data.get("expires_after_days", settings.expires_after_days)
    days = read_whole_number("expires_after_days", days, minimum=1, maximum=MAX_EXPIRY_DAYS)
    now = utcnow()
    expires_at = now + timedelta(days=days)
    targets = audience_query(tx, audience).subquery("audience")
    total = _count(tx, targets)
    invitable = _invitable(tx, found, targets, channel, now)
    # A large audience is handed to the channels plugin by the job, a batch per transaction:
    # rendering every message here would hold the request (and the database) for minutes.
    first = tx.conn.execute(invitable.limit(settings.send_at_once + 1)).all()
    at_once = len(first) <= settings.send_at_once
    send_id = tx.conn.execute(
        insert(send)
        .values(
            survey_id=survey_id,
            version_id=found.version_id,
            channel=channel,
            audience=audience,
            message=messages,
            status="sent" if at_once else "queued",
            invited=0,
            skipped=0,
            expires_at=expires_at,
            created_by=tx.actor.user_id,
            created_at=now,
        )
        .returning(send.c.id)
    ).scalar_one()
    made = _Made(found, send_id, channel, messages, now, expires_at)
    _check_each_language(tx, made, first)
    invited = _hand_over(tx, made, first) if at_once else _queue(tx, made, invitable)
    skipped = total - invited
    tx.conn.execute(
        update(send).where(send.c.id == send_id).values(invited=invited, skipped=skipped)
    )
    tx.emit(
        "surveys.send_made",
        ENTITY_SEND,
        send_id,
        {"id": send_id, "survey_id": survey_id, "invited": invited, "skipped": skipped},
    )
    return get_send(tx.conn, survey_id, send_id)


def audience_size(tx: Transaction, survey_id: int, data: Mapping[str, Any]) -> AudienceSize:
    """What :func:`create_send` would do now with ``data`` (``audience`` and ``channel``),
    storing nothing."""
    check_fields(data, FIELDS)
    found = survey_state(tx.conn, survey_id)
    channel = read_choice("channel", data.get("channel"), CHANNELS)
    targets = audience_query(tx, read_audience(tx, data.get("audience"))).subquery("audience")
    invitable = _invitable(tx, found, targets, channel, utcnow()).subquery("invitable")
    return AudienceSize(_count(tx, targets), _count(tx, invitable))


def _count(tx: Transaction, parties: Any) -> int:
    return int(tx.conn.execute(select(func.count(func.distinct(parties.c.party_id)))).scalar_one())


def _invitable(
    tx: Transaction, found: SurveyState, targets: Any, channel: str, now: datetime
) -> Select[Any]:
    """The parties of ``targets`` to invite (``party_id``), each with the ``language`` to ask
    them in: their preferred one when the version is in it, else the survey's default."""
    settings = tx.app.settings_of["surveys"].invitations
    quiet = now - timedelta(days=settings.quiet_days) if settings.quiet_days else None
    preferred = func.lower(party_table.c.custom[settings.language_field].as_string())
    language = case(
        (preferred.in_(found.languages), preferred), else_=literal(found.default_language)
    )
    return (
        select(party_table.c.id.label("party_id"), language.label("language"))
        .where(
            party_table.c.id.in_(select(targets.c.party_id)),
            *may_invite(
                party_table.c.id,
                survey_id=found.id,
                channel=channel,
                purpose=settings.purpose,
                transactional=settings.transactional,
                quiet_since=quiet,
            ),
        )
        .order_by(party_table.c.id)
    )


@frozen
class _Made:
    """The send being made, as its invitations need it."""

    survey: SurveyState
    send_id: int
    channel: str
    messages: dict[str, Any]
    now: datetime
    expires_at: datetime

    def item(self, party_id: int, language: str) -> Item:
        message = in_language(self.messages, language, self.survey.default_language)
        return Item(party_id, self.channel, message, self.survey.name, self.expires_at)


def _check_each_language(tx: Transaction, made: _Made, first: Sequence[Any]) -> None:
    """Render the message of each language once, for the first party invited, before the
    batch: a template that does not render is refused naming its language (the channels
    plugin names only the field)."""
    if not first:
        return
    for language in made.messages:
        refused = try_render(tx, [made.item(first[0].party_id, language)])
        if refused is not None:
            raise ValidationError(f"message.{language}.{refused.field}", refused.reason)


def _hand_over(tx: Transaction, made: _Made, chosen: Sequence[Any]) -> int:
    """Queue the messages and write the invitations of those queued; how many. Those the
    channels plugin suppressed (consent withdrawn, an address on its suppression list) are
    not invitations."""
    handed = hand_over(tx, [made.item(r.party_id, r.language) for r in chosen])
    rows = [
        {
            "survey_id": made.survey.id,
            "version_id": made.survey.version_id,
            "party_id": row.party_id,
            "send_id": made.send_id,
            "rule_id": None,
            "dedupe_key": f"send:{made.send_id}:party:{row.party_id}",
            "token_hash": done.token_hash,
            "channel": made.channel,
            "language": row.language,
            "status": "sent",
            "message_ref": done.message_ref,
            "source": None,
            "not_before": None,
            "expires_at": made.expires_at,
            "created_at": made.now,
            "sent_at": made.now,
            "opened_at": None,
            "completed_at": None,
        }
        for row, done in zip(chosen, handed, strict=True)
        if done.status == "sent"
    ]
    if rows:
        tx.conn.execute(insert(invitation), rows)
    return len(rows)


def _queue(tx: Transaction, made: _Made, invitable: Select[Any]) -> int:
    """Write the invitations ``queued`` for the job, in one INSERT … SELECT; how many.

    Until sent, an invitation's ``token_hash`` is ``queued:<send>:<party>``, which no token
    hashes to (a hash is hexadecimal): its link is made when it is sent.
    """
    chosen = invitable.subquery("chosen")
    party = cast(chosen.c.party_id, String)
    rows = select(
        literal(made.survey.id, Id),
        literal(made.survey.version_id, Id),
        chosen.c.party_id,
        literal(made.send_id, Id),
        literal(f"send:{made.send_id}:party:", String) + party,
        literal(f"queued:{made.send_id}:", String) + party,
        literal(made.channel, String),
        chosen.c.language,
        literal("queued", String),
        literal(made.now, UTCDateTime()),
        literal(made.expires_at, UTCDateTime()),
        literal(made.now, UTCDateTime()),
    )
    columns = [
        "survey_id",
        "version_id",
        "party_id",
        "send_id",
        "dedupe_key",
        "token_hash",
        "channel",
        "language",
        "status",
        "not_before",
        "expires_at",
        "created_at",
    ]
    tx.conn.execute(insert(invitation).from_select(columns, rows))
    return int(
        tx.conn.execute(
            select(func.count()).select_from(invitation).where(invitation.c.send_id == made.send_id)
        ).scalar_one()
    )


def list_sends(conn: Connection, survey_id: int) -> list[Send]:
    """The survey's sends, newest first; NotFound for an unknown survey."""
    survey_state(conn, survey_id)
    rows = conn.execute(
        select(send).where(send.c.survey_id == survey_id).order_by(send.c.id.desc())
    ).all()
    return [Send.from_row(r) for r in rows]


def get_send(conn: Connection, survey_id: int, send_id: int) -> Send:
    row = conn.execute(
        select(send).where(send.c.id == send_id, send.c.survey_id == survey_id)
    ).first()
    if row is None:
        raise NotFound(f"send {send_id} of survey {survey_id} does not exist")
    return Send.from_row(row)
