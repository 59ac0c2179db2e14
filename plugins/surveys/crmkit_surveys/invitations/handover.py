"""Handing invitations to the channels plugin: a fresh token per invitation, its link in the
message, every message queued with ``send_many`` in the caller's transaction.

The caller records the invitations as sent in that same transaction, so that an
invitation and its message commit (or roll back) together: nothing is sent twice, and
nothing is recorded sent that was not queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen
from crmkit_channels import Outbound, SmsOutbound, send, send_many

from crmkit import Transaction, ValidationError
from crmkit_surveys.invitations.links import answer_url, new_token, token_hash
from crmkit_surveys.invitations.messages import channel_message, message_ref


@frozen
class Item:
    """One invitation to hand over: to whom, on which channel, with which message."""

    party_id: int
    channel: str
    message: Mapping[str, str]
    survey_name: str
    expires_at: datetime


@frozen
class Handed:
    """What became of one item: the hash of the token its link carries, and the outbox row or
    why the channels plugin refused it."""

    token_hash: str
    outcome: Outbound | SmsOutbound | ValidationError

    @property
    def status(self) -> str:
        """``sent`` (queued in the outbox), ``suppressed`` (consent or suppression list) or
        ``failed`` (refused: a template that does not render for this party)."""
        if isinstance(self.outcome, ValidationError):
            return "failed"
        return "suppressed" if self.outcome.status == "suppressed" else "sent"

    @property
    def message_ref(self) -> str | None:
        if isinstance(self.outcome, ValidationError):
            return None
        channel = "sms" if isinstance(self.outcome, SmsOutbound) else "email"
        return message_ref(channel, self.outcome.id)


def _messages(tx: Transaction, items: Sequence[Item], tokens: Sequence[str]) -> list[Any]:
    settings = tx.app.settings_of["surveys"].invitations
    return [
        channel_message(
            item.channel,
            item.party_id,
            item.message,
            purpose=settings.purpose,
            transactional=settings.transactional,
            survey_url=answer_url(tx.app, token),
            survey_name=item.survey_name,
            expires_at=item.expires_at,
        )
        for item, token in zip(items, tokens, strict=True)
    ]


def hand_over(tx: Transaction, items: Sequence[Item]) -> list[Handed]:
    """Queue a message for each item, all in one ``send_many``; a refusal (ValidationError)
    refuses them all and propagates."""
    tokens = [new_token() for _ in items]
    outcomes = send_many(tx, _messages(tx, items, tokens)) if items else []
    return [Handed(token_hash(t), o) for t, o in zip(tokens, outcomes, strict=True)]


def hand_over_each(tx: Transaction, items: Sequence[Item]) -> list[Handed]:
    """As :func:`hand_over`, but a refused message fails alone: the others are queued."""
    mark = len(tx.events), len(tx.after_commit)
    try:
        with tx.conn.begin_nested():
            return hand_over(tx, items)
    except ValidationError:
        _forget(tx, mark)
    tokens = [new_token() for _ in items]
    handed = []
    for message, token in zip(_messages(tx, items, tokens), tokens, strict=True):
        handed.append(Handed(token_hash(token), _send_one(tx, message)))
    return handed


def try_render(tx: Transaction, items: Sequence[Item]) -> ValidationError | None:
    """Queue ``items`` and take it all back: why the channels plugin refuses them, or None."""
    mark = len(tx.events), len(tx.after_commit)
    savepoint = tx.conn.begin_nested()
    try:
        hand_over(tx, items)
    except ValidationError as exc:
        return exc
    finally:
        savepoint.rollback()
        _forget(tx, mark)
    return None


def _send_one(tx: Transaction, message: Any) -> Outbound | SmsOutbound | ValidationError:
    mark = len(tx.events), len(tx.after_commit)
    savepoint = tx.conn.begin_nested()
    try:
        sent = send(tx, message)
    except ValidationError as exc:
        savepoint.rollback()
        _forget(tx, mark)
        return exc
    savepoint.commit()
    return sent


def _forget(tx: Transaction, mark: tuple[int, int]) -> None:
    """Drop the events and after-commit calls of a rolled-back savepoint."""
    del tx.events[mark[0] :], tx.after_commit[mark[1] :]
