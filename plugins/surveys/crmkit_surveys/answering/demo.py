"""The answering part's demo data: about 600 responses to the demo surveys over the months
since each was published, completed and partial, in the surveys' languages.

Invitations the invitations part seeded are answered first (about half of them), the rest
are answers of customers and anonymous ones, seeded without an invitation. A respondent is
more likely a promoter the later they answer, so that the results show a rising trend; detractors write complaints.
Everything is written in bulk, as a restore would: no hooks run, no events are emitted, and
the timeline entries are written as rows beside the responses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, bindparam, func, insert, select, update

from crmkit import Crm, interaction_table, party_table
from crmkit_surveys.answering.completion import free_text, headline, subject
from crmkit_surveys.answering.flow import asked_on
from crmkit_surveys.answering.model import REF_KIND, Given
from crmkit_surveys.answering.tables import answer, response
from crmkit_surveys.definitions.language import read_definition
from crmkit_surveys.definitions.model import Definition, Question
from crmkit_surveys.definitions.tables import survey, survey_version
from crmkit_surveys.invitations.tables import invitation

TARGETS = {"Service follow-up": 300, "Delivery satisfaction": 200, "Market research 2027": 100}
"""Responses per demo survey, about."""
ANONYMOUS_SHARE = {
    "Service follow-up": 0.1,
    "Delivery satisfaction": 0.2,
    "Market research 2027": 0.5,
}
"""Of the responses not given to an invitation, how many came from the open link."""
ANSWERED, PARTIAL = 0.45, 0.1
"""Of the invitations: how many were answered to the end, how many only begun."""
LANGUAGE_WEIGHTS = {"en": 6, "de": 3, "fr": 2}
NEGATIVE = {"late", "damaged", "no"}
"""Option keys a detractor chooses more often."""
SAYINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "detractor": {
        "en": (
            "Nobody called me back although I was promised a call within a day.",
            "The technician came two days late and the boiler still makes a noise.",
            "The parcel arrived damaged and the replacement took three weeks.",
            "I had to explain my problem four times to four different people.",
            "Far too expensive for what was delivered. I want a refund.",
            "The invoice was wrong twice. Very frustrating.",
        ),
        "de": (
            "Niemand hat zurückgerufen, obwohl mir ein Rückruf am selben Tag versprochen wurde.",
            "Der Techniker kam zwei Tage zu spät, und die Heizung ist immer noch laut.",
            "Das Paket kam beschädigt an, der Ersatz dauerte drei Wochen.",
            "Ich musste mein Problem viermal erklären. Sehr ärgerlich.",
            "Die Rechnung war falsch und die Hotline nicht erreichbar.",
        ),
        "fr": (
            "Personne ne m'a rappelé malgré la promesse d'un appel le jour même.",
            "Le colis est arrivé abîmé et le remplacement a pris trois semaines.",
            "Beaucoup trop cher pour le service rendu.",
        ),
    },
    "passive": {
        "en": (
            "Fine overall, but the waiting time on the phone was long.",
            "Good result, the appointment could have been sooner.",
            "Friendly staff, a status update by email would help.",
        ),
        "de": (
            "Insgesamt in Ordnung, aber die Wartezeit am Telefon war lang.",
            "Gutes Ergebnis, der Termin hätte früher sein können.",
        ),
        "fr": ("Bien dans l'ensemble, mais l'attente au téléphone était longue.",),
    },
    "promoter": {
        "en": (
            "Quick and friendly, thank you!",
            "The technician explained everything clearly. Great service.",
            "Solved on the first call.",
        ),
        "de": ("Schnell und freundlich, vielen Dank!", "Beim ersten Anruf gelöst. Super."),
        "fr": ("Rapide et aimable, merci !",),
    },
}
OTHERS = {
    "en": ("Wood pellets", "Infrared panels", "A new roof", "Smart thermostat"),
    "de": ("Pelletheizung", "Infrarotheizung", "Ein neues Dach"),
    "fr": ("Poêle à granulés", "Un nouveau toit"),
}


@frozen
class Occasion:
    """One response to write: who, in what language, when, to which invitation, and how it
    went for them (``mood``: promoter, passive or detractor)."""

    party_id: int | None
    invitation_id: int | None
    language: str
    at: datetime
    mood: str
    completed: bool


def _mood(rng: random.Random, progress: float) -> str:
    """Better as time goes on: from 42 % promoters and 28 % detractors to 60 % and 16 %."""
    roll = rng.random()
    if roll < 0.42 + 0.18 * progress:
        return "promoter"
    return "detractor" if roll > 0.72 + 0.12 * progress else "passive"


def _score(rng: random.Random, question: Question, mood: str) -> int:
    assert question.scale is not None
    low, high = question.scale
    if question.kind == "nps":
        ranges = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
        first, last = ranges[mood]
        if mood == "detractor":
            # Most detractors are lukewarm (5, 6), few are furious.
            return min(6, max(0, round(rng.triangular(0, 7, 6))))
        return rng.randint(first, last)
    span = high - low
    thirds = {
        "promoter": (low + span * 2 // 3, high),
        "passive": (low + span // 3, low + span * 2 // 3),
        "detractor": (low, low + span // 3),
    }
    first, last = thirds[mood]
    return rng.randint(first, max(first, last))


def _choice(rng: random.Random, question: Question, mood: str, language: str) -> Given:
    keys = [o.key for o in question.options]
    weights = [3 if mood == "detractor" and key in NEGATIVE else 1 for key in keys]
    other = question.other and rng.random() < 0.08
    text = rng.choice(OTHERS.get(language, OTHERS["en"])) if other else None
    if question.kind == "single":
        return (
            Given(choices=(), text=text)
            if other
            else Given(choices=(rng.choices(keys, weights)[0],))
        )
    chosen = tuple(k for k in keys if rng.random() < 0.35) or (rng.choice(keys),)
    return Given(choices=chosen, text=text)


def _text(rng: random.Random, question: Question, mood: str, language: str) -> Given | None:
    chance = {"detractor": 0.85, "passive": 0.45, "promoter": 0.25}[mood]
    if not question.required and rng.random() > chance:
        return None
    sayings = SAYINGS[mood]
    return Given(text=rng.choice(sayings.get(language, sayings["en"])))


def _answers(rng: random.Random, definition: Definition, occasion: Occasion) -> dict[str, Given]:
    """The answers of one respondent, page by page, as branching asks them; a partial
    response stops after its first page."""
    given: dict[str, Given] = {}
    for index in range(len(definition.pages)):
        if index > 0 and not occasion.completed:
            break
        for question in asked_on(definition, index, given):
            if question.kind == "text":
                found = _text(rng, question, occasion.mood, occasion.language)
            elif not question.required and rng.random() < 0.15:
                found = None
            elif question.scale is not None:
                found = Given(score=_score(rng, question, occasion.mood))
            else:
                found = _choice(rng, question, occasion.mood, occasion.language)
            if found is not None:
                given[question.key] = found
    return given


def _language(rng: random.Random, definition: Definition, wanted: str | None = None) -> str:
    if wanted in definition.languages:
        return wanted
    languages = list(definition.languages)
    return rng.choices(languages, [LANGUAGE_WEIGHTS.get(lang, 1) for lang in languages])[0]


def _invited(
    conn: Connection,
    rng: random.Random,
    version_id: int,
    definition: Definition,
    start: datetime,
    now: datetime,
) -> list[Occasion]:
    rows = conn.execute(
        select(invitation.c.id, invitation.c.party_id, invitation.c.language, invitation.c.sent_at)
        .where(
            invitation.c.version_id == version_id,
            invitation.c.status.in_(("sent", "opened")),
            invitation.c.sent_at.is_not(None),
        )
        .order_by(invitation.c.id)
    ).all()
    found = []
    for row in rows:
        roll = rng.random()
        if roll >= ANSWERED + PARTIAL:
            continue
        at = min(row.sent_at + timedelta(hours=rng.uniform(0.5, 72)), now - timedelta(minutes=5))
        progress = (at - start) / (now - start)
        found.append(
            Occasion(
                party_id=row.party_id,
                invitation_id=row.id,
                language=_language(rng, definition, row.language),
                at=at,
                mood=_mood(rng, progress),
                completed=roll < ANSWERED,
            )
        )
    return found


def _uninvited(
    rng: random.Random,
    count: int,
    customers: Sequence[int],
    anonymous_share: float,
    definition: Definition,
    start: datetime,
    now: datetime,
) -> list[Occasion]:
    found = []
    for _ in range(count):
        progress = rng.random()
        party_id = None
        if customers and rng.random() >= anonymous_share:
            party_id = rng.choice(customers)
        found.append(
            Occasion(
                party_id=party_id,
                invitation_id=None,
                language=_language(rng, definition),
                at=start + (now - start) * progress,
                mood=_mood(rng, progress),
                completed=rng.random() < 0.85,
            )
        )
    return found


def _write(
    conn: Connection,
    rng: random.Random,
    name: str,
    survey_id: int,
    version_id: int,
    definition: Definition,
    occasions: Sequence[Occasion],
) -> None:
    answered = [(o, _answers(rng, definition, o)) for o in occasions]
    rows = [
        {
            "survey_id": survey_id,
            "version_id": version_id,
            "invitation_id": o.invitation_id,
            "party_id": o.party_id,
            "language": o.language,
            "status": "completed" if o.completed else "partial",
            "started_at": o.at - timedelta(minutes=rng.randint(1, 6)),
            "updated_at": o.at,
            "completed_at": o.at if o.completed else None,
        }
        for o, _ in answered
    ]
    ids = (
        conn.execute(insert(response).returning(response.c.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    kinds = {q.key: q.kind for q in definition.questions()}
    answers = [
        {
            "response_id": response_id,
            "survey_id": survey_id,
            "question": key,
            "kind": kinds[key],
            "score": found.score,
            "choices": None if found.choices is None else list(found.choices),
            "text": found.text,
            "answered_at": o.at,
        }
        for response_id, (o, given) in zip(ids, answered, strict=True)
        for key, found in given.items()
    ]
    if answers:
        conn.execute(insert(answer), answers)
    entries: list[dict[str, Any]] = [
        {
            "party_id": o.party_id,
            "channel": "web",
            "direction": "inbound",
            "occurred_at": o.at,
            "subject": subject(name, headline(definition, given), given),
            "summary": free_text(definition, given),
            "outcome": None,
            "owner_id": None,
            "source": "surveys",
            "refs": [{"kind": REF_KIND, "id": str(response_id)}],
            "custom": {},
            "created_at": o.at,
        }
        for response_id, (o, given) in zip(ids, answered, strict=True)
        if o.completed and o.party_id is not None
    ]
    if entries:
        conn.execute(insert(interaction_table), entries)
    invited = [
        {
            "invitation": o.invitation_id,
            "new_status": "completed" if o.completed else "answering",
            "opened": o.at - timedelta(minutes=7),
            "done": o.at if o.completed else None,
        }
        for o, _ in answered
        if o.invitation_id is not None
    ]
    if invited:
        conn.execute(
            update(invitation)
            .where(invitation.c.id == bindparam("invitation"))
            .values(
                status=bindparam("new_status"),
                opened_at=func.coalesce(invitation.c.opened_at, bindparam("opened")),
                completed_at=bindparam("done"),
            ),
            invited,
        )


def seed(app: Crm, conn: Connection, rng: random.Random, now: datetime) -> None:
    """Responses to each demo survey the definitions part seeded, since it was published."""
    customers = list(
        conn.execute(
            select(party_table.c.id)
            .where(party_table.c.role == "customer")
            .order_by(party_table.c.id)
        ).scalars()
    )
    found = conn.execute(
        select(survey.c.id, survey.c.name, survey_version.c.id.label("version_id"))
        .add_columns(survey_version.c.definition, survey_version.c.published_at)
        .join(survey_version, survey_version.c.id == survey.c.published_version_id)
        .where(survey.c.name.in_(TARGETS))
        .order_by(survey.c.id)
    ).all()
    for row in found:
        definition = read_definition(row.definition)
        start = max(row.published_at, now - timedelta(days=365))
        invited = _invited(conn, rng, row.version_id, definition, start, now)
        more = max(0, TARGETS[row.name] - len(invited))
        occasions = invited + _uninvited(
            rng, more, customers, ANONYMOUS_SHARE[row.name], definition, start, now
        )
        _write(conn, rng, row.name, row.id, row.version_id, definition, occasions)
