"""The intake pipeline every source of prospects goes through.

normalise -> sanity check -> identity match -> score -> assign -> store + events.
A prospect with a hard finding is rejected and stored nowhere; one matching an
existing party above the merge threshold is merged into it, when the rule of
:mod:`.merge_rule` allows (else it is stored, queued for review and handed to
that party's owner); one between the review and merge thresholds is stored and
queued for review against each such party; any other is stored as new. Nothing
is merged below the merge threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from attrs import frozen
from sqlalchemy import select, update

from crmkit.core.actors import Actor
from crmkit.core.db import Transaction
from crmkit.core.entities import Party, Prospect
from crmkit.core.intake import sanity, scoring
from crmkit.core.intake.assignment import choose_owner
from crmkit.core.intake.findings import Finding, hard
from crmkit.core.intake.merge_log import fill_intake
from crmkit.core.intake.merge_rule import may_merge
from crmkit.core.intake.normalise import normalise
from crmkit.core.intake.review import open_reviews
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.notifications import notify
from crmkit.core.parties import NAME_FIELDS, build_party, create_party, get_party, merge_incoming
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import party, user, utcnow

if TYPE_CHECKING:
    from crmkit.app import Crm

Outcome = Literal["created", "merged", "review", "rejected"]


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
    tx: Transaction, data: Mapping[str, Any], *, source: str, region: str, settings: IntakeSettings
) -> Checked:
    """Normalise ``data`` and run every sanity rule, the plugins' (``sanity_check``) included.

    Data of the wrong shape (an unknown field, a number where text belongs)
    raises :class:`ValidationError` naming the field, as any write does.
    """
    cleaned, findings = normalise(data, region=region)
    if not cleaned.get("source"):
        cleaned["source"] = source
    if not any(isinstance(cleaned.get(n), str) and cleaned[n].strip() for n in NAME_FIELDS):
        field = "organisation_name" if cleaned.get("kind") == "organisation" else "last_name"
        missing = Finding("name_missing", "hard", field, "no name: not a person or company")
        return Checked(None, (*findings, missing), 0)
    prospect = build_party("prospect", cleaned, region=region)
    assert isinstance(prospect, Prospect)
    return check_prospect(tx, prospect, findings, region=region, settings=settings)


def check_prospect(
    tx: Transaction,
    prospect: Prospect,
    earlier: Sequence[Finding],
    *,
    region: str,
    settings: IntakeSettings,
) -> Checked:
    """Run every sanity rule on a normalised prospect; ``earlier``: findings of normalising."""
    extra = [
        finding
        for _, found in tx.hooks.collect_by_plugin("sanity_check", record=prospect)
        for finding in found
    ]
    context = sanity.SanityContext(
        region=region,
        disposable_domains=sanity.builtin_disposable_domains()
        | {d.lower() for d in settings.disposable_domains},
    )
    found = sanity.check(
        prospect, context, earlier=earlier, extra=extra, disabled=settings.disabled_rules
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
    reasons = [
        *scoring.core_reasons(prospect, checked.quality),
        *scoring.plugin_reasons(tx.hooks.collect_by_plugin("score_prospect", prospect=prospect)),
    ]
    score = scoring.total(reasons)
    band = scoring.band(score, settings)
    merge_at, review_at = thresholds(settings)
    matches = tx.hooks.call("match_party", conn=tx.conn, candidate=prospect) or []
    best_id, best = matches[0] if matches else (None, 0.0)
    intake = {
        "quality": checked.quality,
        "findings": [f.as_json() for f in checked.findings],
        "score": score,
        "score_band": band,
        "score_reasons": [r.as_json() for r in reasons],
    }
    deadline = settings.first_contact_deadline(band)
    reviews: tuple[int, ...] = ()
    survivor: Party | None = None
    refused: Party | None = None
    if best_id is not None and best >= merge_at:
        existing = get_party(tx.conn, best_id)
        if may_merge(tx, existing, prospect, vouched=vouched):
            survivor = existing
        else:
            refused = existing
    if survivor is not None:
        assert survivor.id is not None
        # Merged straight into the survivor: a prospect stored only to be merged away in the
        # same transaction would be announced (prospect.created, entity_saved) yet never exist.
        fill_intake(tx.conn, survivor.id, {**intake, "first_contact_due_at": utcnow() + deadline})
        party_id = merge_incoming(tx, survivor.id, prospect).id
        outcome: Outcome = "merged"
    else:
        if refused is not None and prospect.owner_id is None:
            prospect.owner_id = _active_owner(tx, refused)
        prospect.owner_id = choose_owner(tx, prospect, settings)
        created = create_party(tx, prospect)
        assert created.id is not None and created.created_at is not None
        tx.conn.execute(
            update(party)
            .where(party.c.id == created.id)
            .values(**intake, first_contact_due_at=created.created_at + deadline)
        )
        party_id = created.id
        # A prospect handed over is reviewed against the party it was kept from alone: each
        # repeat of it would otherwise be queued against every earlier one as well.
        queued = (
            [(refused.id, best)]
            if refused is not None and refused.id is not None
            else [(i, s) for i, s in matches if s >= review_at]
        )
        reviews = tuple(open_reviews(tx, created.id, queued))
        outcome = "review" if reviews else "created"
        if refused is not None and prospect.owner_id == refused.owner_id:
            _tell_owner(tx, refused, prospect)
    assert party_id is not None
    result = IntakeResult(
        outcome,
        party_id,
        checked.findings,
        checked.quality,
        score,
        band,
        reviews,
        handed_over=refused is not None,
    )
    tx.emit(
        "prospect.received",
        "prospect",
        party_id,
        {
            "id": party_id,
            "outcome": outcome,
            "source": prospect.source,
            "quality": checked.quality,
            "score": score,
            "band": band,
        },
    )
    return result


def rejection(checked: Checked) -> IntakeResult:
    return IntakeResult("rejected", None, checked.findings, 0, 0, "cold")


def _active_owner(tx: Transaction, existing: Party) -> int | None:
    """The owner of ``existing``, when that is a user still at work."""
    if existing.owner_id is None:
        return None
    active = tx.conn.execute(select(user.c.active).where(user.c.id == existing.owner_id))
    return existing.owner_id if active.scalar_one_or_none() else None


def _tell_owner(tx: Transaction, existing: Party, created: Prospect) -> None:
    """Notify the owner of ``existing`` of a prospect handed to them that may be theirs."""
    owner = existing.owner_id
    if owner is None or owner == tx.actor.user_id:
        return
    notify(
        tx,
        owner,
        f"Possible duplicate of {existing.display_name} taken in",
        body=f"{created.display_name} came in through {created.source or 'intake'} "
        f"and waits for a review against {existing.display_name}.",
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
) -> IntakeResult:
    """Run ``data`` through the whole pipeline in ``tx``; ``vouched``: see :mod:`.merge_rule`."""
    checked = check(tx, data, source=source, region=region, settings=settings)
    if checked.rejected:
        return rejection(checked)
    return store(tx, checked, settings, vouched=vouched)


def intake_prospect(
    crm: Crm,
    actor: Actor,
    data: Mapping[str, Any],
    *,
    source: str,
    vouched: bool | None = None,
) -> IntakeResult:
    """Take one prospect in from any source (a form, a connector, a campaign), in its own transaction.

    ``source`` names where it came from, unless ``data`` names it itself. Bad
    data raises :class:`ValidationError` naming the field; a prospect failing a
    hard check comes back ``rejected`` with its findings, and nothing is stored.
    ``vouched`` says whether the source vouches for the data: a match it would
    change is then merged, else reviewed. By default a user vouches and the
    system (an anonymous form, a webhook) does not.
    """
    with crm.transaction(actor) as tx:
        return take_in(
            tx,
            data,
            source=source,
            region=crm.settings.default_region,
            settings=crm.settings.intake,
            vouched=actor.user_id is not None if vouched is None else vouched,
        )
