"""The intake pipeline every source of prospects goes through.

normalise -> sanity check -> identity match -> score -> assign -> store + events.
A prospect with a hard finding is rejected and stored nowhere; one matching an
existing party above the merge threshold is merged into it, when the rule of
:mod:`.merge_rule` allows (else it is stored, queued for review and handed to
that party's owner); one between the review and merge thresholds is stored and
queued for review against each such party; any other is stored as new. Nothing
is merged below the merge threshold. A prospect that would be merged but adds
nothing to the party (a repeat of what is known) is **matched**: nothing is
written, no merge log entry and no event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from attrs import frozen
from sqlalchemy import select

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction
from crmkit.core.entities import Party, Prospect
from crmkit.core.intake import sanity, scoring
from crmkit.core.intake.assignment import choose_owner
from crmkit.core.intake.findings import Finding, hard
from crmkit.core.intake.merge_log import fill_intake
from crmkit.core.intake.merge_rule import adds_nothing, may_merge
from crmkit.core.intake.normalise import normalise
from crmkit.core.intake.review import open_reviews
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.notifications import notify
from crmkit.core.parties import (
    NAME_FIELDS,
    NAME_LIMITS,
    build_party,
    get_party,
    insert_new_party,
    merge_incoming,
)
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import user, utcnow

if TYPE_CHECKING:
    from crmkit.app import Crm

Outcome = Literal["created", "matched", "merged", "review", "rejected"]


@frozen
class IntakeResult:
    """What became of a prospect: the party it is now (None when rejected) and why."""

    outcome: Outcome
    party_id: int | None
    findings: tuple[Finding, ...]
    quality: int
    score: int
    band: scoring.Band
    reviews: tuple[int, ...] = ()
    """The review queue entries opened (outcome ``review``)."""
    handed_over: bool = False
    """It matched a party intake may not merge it into (:mod:`.merge_rule`): it was stored
    for review and handed to that party's owner. Tell the caller nothing more of it."""


@frozen
class Checked:
    """A prospect normalised and checked, not yet stored."""

    prospect: Prospect | None
    """None when the data did not even make a prospect (its name is missing)."""
    findings: tuple[Finding, ...]
    quality: int

    @property
    def rejected(self) -> bool:
        return self.prospect is None or bool(hard(self.findings))


def thresholds(settings: IntakeSettings) -> tuple[float, float]:
    """``(merge, review)``: the configured ones, else the matching engine's defaults."""
    merge = settings.merge_threshold or DEFAULT_MATCH_CONFIG.auto_merge
    review = settings.review_threshold or DEFAULT_MATCH_CONFIG.review
    return merge, min(review, merge)


def check(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    source: str,
    region: str,
    settings: IntakeSettings,
    nameless: bool = False,
    reached_through: str | None = None,
) -> Checked:
    """Normalise ``data`` and run every sanity rule, the plugins' (``sanity_check``) included.

    Data of the wrong shape (an unknown field, a number where text belongs)
    raises :class:`ValidationError` naming the field, as any write does.
    ``nameless``: the machine-source profile, for a source that vouches for what
    it sends: a prospect without a name is taken in when it has an email
    address or a phone number, which stands in for its name (:func:`stand_in_name`).
    ``reached_through``: the system whose id of the prospect comes with it (a social
    network's sender id): a prospect with a name of its own is reached through that
    system, so it needs no email, phone or address.
    """
    cleaned, findings = normalise(data, region=region)
    if not cleaned.get("source"):
        cleaned["source"] = source
    named = any(isinstance(cleaned.get(n), str) and cleaned[n].strip() for n in NAME_FIELDS)
    # Known by name and by the system's own id: someone that system can reach.
    skipped: tuple[str, ...] = ("no_contact_route",) if named and reached_through else ()
    if not named:
        field = "organisation_name" if cleaned.get("kind") == "organisation" else "last_name"
        stand_in = stand_in_name(cleaned) if nameless else None
        if stand_in is None:
            missing = Finding("name_missing", "hard", field, "no name: not a person or company")
            return Checked(None, (*findings, missing), 0)
        cleaned[field] = stand_in
        unknown = Finding("name_unknown", "soft", field, f"no name: {stand_in} stands in for it")
        findings.append(unknown)
        # The stand-in is no name to judge: a number has no letters, an address is one word.
        skipped = ("fake_name", "name_incomplete")
    prospect = build_party("prospect", cleaned, region=region)
    assert isinstance(prospect, Prospect)
    return check_prospect(tx, prospect, findings, region=region, settings=settings, skipped=skipped)


def stand_in_name(cleaned: Mapping[str, Any]) -> str | None:
    """What stands in for the name of a prospect known only by how to reach it: its first
    email address, else its first phone number; None when it has neither."""
    for kind in ("emails", "phones"):
        values = cleaned.get(kind)
        if isinstance(values, list) and values and isinstance(values[0], str):
            return values[0][: NAME_LIMITS["last_name"]]
    return None


def sanity_context(region: str, settings: IntakeSettings) -> sanity.SanityContext:
    """What the kernel's sanity rules read besides the prospect."""
    return sanity.SanityContext(
        region=region,
        disposable_domains=sanity.builtin_disposable_domains()
        | {d.lower() for d in settings.disposable_domains},
    )


def check_prospect(
    tx: Transaction,
    prospect: Prospect,
    earlier: Sequence[Finding],
    *,
    region: str,
    settings: IntakeSettings,
    skipped: Sequence[str] = (),
    ruled: Sequence[Finding] | None = None,
) -> Checked:
    """Run every sanity rule on a normalised prospect; ``earlier``: findings of normalising;
    ``skipped``: codes not to report on top of ``[intake] disabled_rules``; ``ruled``: the
    kernel's rules' findings, where they were found beforehand (see :func:`.sanity.check`)."""
    extra = [
        finding
        for _, found in tx.hooks.collect_by_plugin("sanity_check", record=prospect)
        for finding in found
    ]
    found = sanity.check(
        prospect,
        sanity_context(region, settings),
        earlier=earlier,
        extra=extra,
        disabled=(*settings.disabled_rules, *skipped),
        ruled=ruled,
    )
    return Checked(prospect, tuple(found), sanity.quality(found))


def store(
    tx: Transaction, checked: Checked, settings: IntakeSettings, *, vouched: bool
) -> IntakeResult:
    """Match, score, assign and store a checked prospect that has no hard finding.

    ``vouched``: whether the source vouches for the data (see :mod:`.merge_rule`).
    """
    prospect = checked.prospect
    assert prospect is not None and not checked.rejected
    assessed = assess(tx, checked, settings)
    intake, deadline = assessed.columns, assessed.deadline
    matches = tx.hooks.call("match_party", conn=tx.conn, candidate=prospect) or []
    survivor, refused = merge_target(tx, prospect, matches, settings, vouched=vouched)
    if survivor is not None and adds_nothing(survivor, prospect):
        return matched(tx, checked, assessed, survivor)
    reviews: tuple[int, ...] = ()
    if survivor is not None:
        assert survivor.id is not None
        # Merged straight into the survivor: a prospect stored only to be merged away in the
        # same transaction would be announced (prospect.created, entity_saved) yet never exist.
        fill_intake(tx.conn, survivor.id, {**intake, "first_contact_due_at": utcnow() + deadline})
        party_id = merge_incoming(tx, survivor.id, prospect).id
        outcome: Outcome = "merged"
    else:
        if refused is not None and prospect.owner_id is None:
            prospect.owner_id = active_owner(tx, refused)
        prospect.owner_id = choose_owner(tx, prospect, settings)
        now = utcnow()
        due = {**intake, "first_contact_due_at": now + deadline}
        created = insert_new_party(tx, prospect, columns=due, now=now)
        assert created.id is not None
        party_id = created.id
        queued = queued_reviews(matches, refused, settings)
        reviews = tuple(open_reviews(tx, created.id, queued))
        outcome = "review" if reviews else "created"
        if refused is not None and prospect.owner_id == refused.owner_id:
            tell_owner(tx, refused, prospect)
    assert party_id is not None
    result = IntakeResult(
        outcome,
        party_id,
        checked.findings,
        checked.quality,
        assessed.score,
        assessed.band,
        reviews,
        handed_over=refused is not None,
    )
    announce(tx, result, prospect)
    return result


@frozen
class Assessment:
    """A checked prospect's score, and the intake columns of the party it becomes or merges into."""

    score: int
    band: scoring.Band
    columns: dict[str, Any]
    """``quality``, ``findings``, ``score``, ``score_band`` and ``score_reasons``."""
    deadline: timedelta
    """How soon after it is taken in it must be contacted (``first_contact_due_at``)."""


def assess(tx: Transaction, checked: Checked, settings: IntakeSettings) -> Assessment:
    """Score a checked prospect: the kernel's rules and every plugin's ``score_prospect``."""
    prospect = checked.prospect
    assert prospect is not None
    reasons = [
        *scoring.core_reasons(prospect, checked.quality),
        *scoring.plugin_reasons(tx.hooks.collect_by_plugin("score_prospect", prospect=prospect)),
    ]
    score = scoring.total(reasons)
    band = scoring.band(score, settings)
    columns = {
        "quality": checked.quality,
        "findings": [f.as_json() for f in checked.findings],
        "score": score,
        "score_band": band,
        "score_reasons": [r.as_json() for r in reasons],
    }
    return Assessment(score, band, columns, settings.first_contact_deadline(band))


def merge_target(
    tx: Transaction,
    prospect: Prospect,
    matches: Sequence[tuple[int, float]],
    settings: IntakeSettings,
    *,
    vouched: bool,
) -> tuple[Party | None, Party | None]:
    """``(survivor, refused)``: the best match at or above the merge threshold, as the party to
    merge ``prospect`` into if :mod:`.merge_rule` allows, else as the party it is kept from."""
    if not matches or matches[0][1] < thresholds(settings)[0]:
        return None, None
    existing = get_party(tx.conn, matches[0][0])
    if may_merge(tx, existing, prospect, vouched=vouched):
        return existing, None
    return None, existing


def matched(
    tx: Transaction, checked: Checked, assessment: Assessment, survivor: Party
) -> IntakeResult:
    """A prospect that would be merged into ``survivor`` but adds nothing to it: the survivor
    only takes the intake data it has none of (a party never taken in), silently."""
    # A repeat event of a known person must cost nothing: a merge of nothing would write a
    # merge log entry and send party.merged and prospect.received to subscribers each time.
    assert survivor.id is not None
    due = {**assessment.columns, "first_contact_due_at": utcnow() + assessment.deadline}
    fill_intake(tx.conn, survivor.id, due)
    return IntakeResult(
        "matched",
        survivor.id,
        checked.findings,
        checked.quality,
        assessment.score,
        assessment.band,
    )


def queued_reviews(
    matches: Sequence[tuple[int, float]], refused: Party | None, settings: IntakeSettings
) -> list[tuple[int, float]]:
    """The ``(party id, score)`` pairs a prospect stored on its own is queued for review against."""
    # A prospect handed over is reviewed against the party it was kept from alone: each
    # repeat of it would otherwise be queued against every earlier one as well.
    if refused is not None and refused.id is not None:
        return [(refused.id, matches[0][1])]
    review_at = thresholds(settings)[1]
    return [(i, s) for i, s in matches if s >= review_at]


def announce(tx: Transaction, result: IntakeResult, prospect: Prospect) -> None:
    """Emit ``prospect.received`` for a prospect taken in (stored or merged)."""
    tx.emit(*received(result, prospect))


def received(
    result: IntakeResult, prospect: Prospect
) -> tuple[str, str, int | None, dict[str, Any]]:
    """The ``prospect.received`` event of a prospect taken in: type, entity, id and payload."""
    payload = {
        "id": result.party_id,
        "outcome": result.outcome,
        "source": prospect.source,
        "quality": result.quality,
        "score": result.score,
        "band": result.band,
    }
    return "prospect.received", "prospect", result.party_id, payload


def rejection(checked: Checked) -> IntakeResult:
    return IntakeResult("rejected", None, checked.findings, 0, 0, "cold")


def active_owner(tx: Transaction, existing: Party) -> int | None:
    """The owner of ``existing``, when that is a user still at work."""
    if existing.owner_id is None:
        return None
    active = tx.conn.execute(select(user.c.active).where(user.c.id == existing.owner_id))
    return existing.owner_id if active.scalar_one_or_none() else None


def tell_owner(tx: Transaction, existing: Party, created: Prospect) -> None:
    """Notify the owner of ``existing`` of a prospect handed to them that may be theirs."""
    owner = existing.owner_id
    if owner is None or owner == tx.actor.user_id:
        return
    # The notification names no one: it outlives the parties, which may be erased.
    notify(
        tx,
        owner,
        f"Possible duplicate of your {existing.role} {existing.id} taken in",
        body=f"A {created.role} came in through {created.source or 'intake'} "
        f"and waits for a review against your {existing.role} {existing.id}.",
        link=f"/parties/{created.id}",
        kind="duplicate",
    )


def take_in(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    source: str,
    region: str,
    settings: IntakeSettings,
    vouched: bool,
    nameless: bool = False,
    reached_through: str | None = None,
) -> IntakeResult:
    """Run ``data`` through the whole pipeline in ``tx``; ``vouched``: see :mod:`.merge_rule`;
    ``nameless`` and ``reached_through``: see :func:`check`."""
    checked = check(
        tx,
        data,
        source=source,
        region=region,
        settings=settings,
        nameless=nameless,
        reached_through=reached_through,
    )
    if checked.rejected:
        return rejection(checked)
    return store(tx, checked, settings, vouched=vouched)


def take_in_prospect(
    tx: Transaction,
    data: Mapping[str, Any],
    *,
    source: str,
    vouched: bool | None = None,
) -> IntakeResult:
    """Take one prospect in from any source (a form, a connector, a campaign), in the caller's ``tx``.

    ``source`` names where it came from, unless ``data`` names it itself. Bad
    data raises :class:`ValidationError` naming the field; a prospect failing a
    hard check comes back ``rejected`` with its findings, and nothing is stored.
    ``vouched`` says whether the source vouches for the data: a match it would
    change is then merged, else reviewed. By default a user vouches and the
    system (an anonymous form, a webhook) does not. Nothing of it stays unless
    ``tx`` commits.
    """
    crm = app_of(tx)
    return take_in(
        tx,
        data,
        source=source,
        region=crm.settings.default_region,
        settings=crm.settings.intake,
        vouched=vouches(tx.actor, vouched),
    )


def intake_prospect(
    crm: Crm,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    source: str,
    vouched: bool | None = None,
) -> IntakeResult:
    """:func:`take_in_prospect` in a transaction of its own, for ``actor``, committed before it returns."""
    with crm.transaction(actor) as tx:
        return take_in_prospect(tx, data, source=source, vouched=vouched)


def vouches(actor: Actor, vouched: bool | None) -> bool:
    """Whether a source vouches for its data: as said, else when a user (not the system) sends it."""
    return actor.user_id is not None if vouched is None else vouched


def app_of(tx: Transaction) -> Crm:
    """The application ``tx`` was opened by (``crm.transaction``), whose settings intake follows."""
    if tx.app is None:
        # A programming error, not bad input: only the kernel's internals open bare transactions.
        raise TypeError("intake needs a transaction of crm.transaction(actor) or crm.write(work)")
    crm: Crm = tx.app
    return crm
