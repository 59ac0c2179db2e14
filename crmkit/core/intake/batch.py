"""Intake of a batch of prospects as a set: what an import does with each batch of its rows.

Every row meets the same rules as in one-at-a-time intake (:mod:`.pipeline`),
with the same result: the plugins' ``sanity_check``, ``score_prospect`` and
``assign_owner`` run for it, it is matched against every party stored before
it (the batch's earlier rows included), then merged, stored for review, or
stored. The work is shared across the batch instead: the batch's blocking keys
are looked up in one statement per kind (:mod:`.batch_match`), and the
prospects stored are held back and written in bulk, with their contact
points, search terms and match keys.

What is held back is written (flushed), in order, before anything that must see
it: a merge into one of those prospects (it is read, permission-checked and
rewritten as stored), a plugin choosing an owner, the count of open prospects
behind an assignment after a merge, and at the end. A merge into a party stored
before is written when it happens. The events are those one-at-a-time intake
emits; between rows of a batch their order may differ (they are delivered after
the batch commits, all of them or none).

Prospects stored by a batch are announced by ``prospect.received`` and the
import's ``party.imported``, not by ``prospect.created`` nor an audit entry each,
as customers imported in bulk are not either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from attrs import define, field, frozen
from sqlalchemy import Connection

from crmkit.core.db import Transaction
from crmkit.core.entities import Party, Prospect
from crmkit.core.events import write_events
from crmkit.core.intake.assignment import (
    OPEN_STATUSES,
    candidates,
    choose_owner,
    closest,
    last_in_turn,
    least_busy,
    next_in_turn,
    open_prospects,
)
from crmkit.core.intake.batch_match import BatchMatcher, KnownRecords, plugins_implement
from crmkit.core.intake.findings import Finding
from crmkit.core.intake.match_keys import key_rows
from crmkit.core.intake.merge_log import fill_intake
from crmkit.core.intake.merge_rule import adds_nothing
from crmkit.core.intake.pipeline import (
    Assessment,
    Checked,
    IntakeResult,
    active_owner,
    announce,
    assess,
    check_prospect,
    matched,
    merge_target,
    queued_reviews,
    received,
    rejection,
    tell_owner,
    thresholds,
)
from crmkit.core.intake.review import open_reviews
from crmkit.core.parties import check_identity, contact_rows, merge_incoming, party_row
from crmkit.core.search import search_rows
from crmkit.core.settings import IntakeSettings
from crmkit.core.tables import contact_point, match_key, party, search_term, utcnow


def take_in_batch(
    tx: Transaction,
    prospects: Sequence[tuple[Prospect, Sequence[Finding], Sequence[Finding] | None]],
    *,
    region: str,
    settings: IntakeSettings,
    vouched: bool,
    allocate: Callable[[Connection, int], list[int]],
    insert: Callable[[Connection, Any, list[dict[str, Any]]], None],
    known: KnownRecords | None = None,
) -> list[IntakeResult]:
    """Take normalised prospects in, in order, in ``tx``, each with the findings of normalising
    it and those of the kernel's sanity rules where they were found beforehand (or None).

    One result per prospect, as :func:`.pipeline.store` (or, for a hard finding,
    :func:`.pipeline.rejection`) would give it taking them in one by one.
    ``allocate`` reserves party ids and ``insert`` writes rows in bulk (the
    import's own); ``known``: match records kept from the batches before.
    """
    checked = [
        check_prospect(tx, prospect, findings, region=region, settings=settings, ruled=ruled)
        for prospect, findings, ruled in prospects
    ]
    results: list[IntakeResult | None] = [rejection(c) if c.rejected else None for c in checked]
    accepted = [i for i, c in enumerate(checked) if not c.rejected]
    if not accepted:
        return [r for r in results if r is not None]
    assessed = [assess(tx, checked[i], settings) for i in accepted]
    writer = _Writer(tx, insert, allocate(tx.conn, len(accepted)), results)
    incoming = [_prospect(checked[i]) for i in accepted]
    database = None
    if plugins_implement(tx.hooks, "match_party", "match_parties"):
        database = tx.hooks.call("match_parties", tx=tx, candidates=incoming)
    matcher = BatchMatcher.prepare(tx.conn, incoming, writer.flush, database, known)
    owners = _Owners(tx, settings, writer.flush)
    for n, i in enumerate(accepted):
        prospect, assessment = incoming[n], assessed[n]
        matches = matcher.matches(n)
        if matches and matches[0][1] >= thresholds(settings)[0] and writer.holds(matches[0][0]):
            writer.flush()  # the match is a row of this batch, read, checked and merged as stored
        survivor, refused = merge_target(tx, prospect, matches, settings, vouched=vouched)
        if survivor is not None and adds_nothing(survivor, prospect):
            results[i] = matched(tx, checked[i], assessment, survivor)
            continue
        if survivor is not None:
            results[i] = _merge(tx, checked[i], assessment, survivor, matcher)
            owners.forget()
            continue
        if refused is not None and prospect.owner_id is None:
            prospect.owner_id = active_owner(tx, refused)
        prospect.owner_id = owners.choose(prospect)
        check_identity(prospect)
        tx.hooks.call(
            "entity_validate",
            tx=tx,
            entity_type=prospect.role,
            entity=prospect,
            changes=party_row(prospect),
        )
        prospect.id = writer.new_id()
        keys = matcher.stored(n, prospect.id)
        queued = queued_reviews(matches, refused, settings)
        writer.hold(_Held(i, checked[i], assessment, queued, refused, keys))
        owners.stored(prospect)
    writer.flush()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _prospect(checked: Checked) -> Prospect:
    assert checked.prospect is not None
    return checked.prospect


def _merge(
    tx: Transaction,
    checked: Checked,
    assessment: Assessment,
    survivor: Party,
    matcher: BatchMatcher,
) -> IntakeResult:
    """Merge a prospect into ``survivor`` (stored, and read just now) as :func:`.pipeline.store` does."""
    prospect = _prospect(checked)
    assert survivor.id is not None
    before = matcher.indexed(survivor)
    due = {**assessment.columns, "first_contact_due_at": utcnow() + assessment.deadline}
    fill_intake(tx.conn, survivor.id, due)
    merged = merge_incoming(tx, survivor.id, prospect)
    rewritten = merged.version != survivor.version
    matcher.merged(merged, before, rewritten=rewritten)
    result = IntakeResult(
        "merged",
        merged.id,
        checked.findings,
        checked.quality,
        assessment.score,
        assessment.band,
    )
    announce(tx, result, prospect)
    return result


@frozen
class _Held:
    """A prospect to store, with what follows its storing."""

    index: int
    checked: Checked
    assessment: Assessment
    queued: list[tuple[int, float]]
    refused: Party | None
    keys: list[str]
    """Its blocking keys, as the matcher computed them."""


@define
class _Writer:
    """Holds the batch's new prospects back and writes them in bulk, in order."""

    tx: Transaction
    insert: Callable[[Connection, Any, list[dict[str, Any]]], None]
    ids: list[int]
    results: list[IntakeResult | None]
    used: int = 0
    held: list[_Held] = field(factory=list)

    def new_id(self) -> int:
        self.used += 1
        return self.ids[self.used - 1]

    def hold(self, item: _Held) -> None:
        """Hold a prospect that has its id back; it is written at the next :meth:`flush`."""
        self.held.append(item)

    def holds(self, party_id: int) -> bool:
        """Whether the party ``party_id`` is held back, not yet written."""
        return party_id in self.ids[self.used - len(self.held) : self.used]

    def flush(self) -> None:
        if not self.held:
            return
        held, self.held = self.held, []
        now = utcnow()
        parties, contacts, terms, keys = [], [], [], []
        for item in held:
            prospect = _prospect(item.checked)
            assert prospect.id is not None
            prospect.version, prospect.created_at, prospect.updated_at = 1, now, now
            parties.append(
                {
                    **party_row(prospect),
                    **item.assessment.columns,
                    "first_contact_due_at": now + item.assessment.deadline,
                    "id": prospect.id,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            contacts.extend(contact_rows(prospect.id, prospect))
            terms.extend(search_rows(prospect.id, prospect))
            keys.extend(key_rows(prospect.id, item.keys))
        conn = self.tx.conn
        self.insert(conn, party, parties)
        self.insert(conn, contact_point, contacts)
        self.insert(conn, search_term, terms)
        self.insert(conn, match_key, keys)
        # prospect.received is written for many rows at once, in order: before anything
        # else that may emit (reviews, notifications, plugins' entity_saved), what waits goes.
        plugins_save = plugins_implement(self.tx.hooks, "entity_saved")
        waiting: list[tuple[str, str, int | None, dict[str, Any]]] = []
        for item in held:
            prospect = _prospect(item.checked)
            assert prospect.id is not None
            refused = item.refused
            tells = refused is not None and prospect.owner_id == refused.owner_id
            if plugins_save or item.queued or tells:
                self._emit(waiting)
            self.tx.hooks.call(
                "entity_saved",
                tx=self.tx,
                entity_type=prospect.role,
                entity=prospect,
                change="created",
            )
            reviews = tuple(open_reviews(self.tx, prospect.id, item.queued))
            if refused is not None and tells:
                tell_owner(self.tx, refused, prospect)
            result = IntakeResult(
                "review" if reviews else "created",
                prospect.id,
                item.checked.findings,
                item.checked.quality,
                item.assessment.score,
                item.assessment.band,
                reviews,
                handed_over=refused is not None,
            )
            waiting.append(received(result, prospect))
            self.results[item.index] = result
        self._emit(waiting)

    def _emit(self, waiting: list[tuple[str, str, int | None, dict[str, Any]]]) -> None:
        self.tx.events.extend(write_events(self.tx, waiting))
        waiting.clear()


@define
class _Owners:
    """Chooses owners as :func:`.assignment.choose_owner` does, counting the batch's own prospects."""

    tx: Transaction
    settings: IntakeSettings
    flush: Callable[[], None]
    _people: list[tuple[int, tuple[str, ...]]] | None = None
    _last: tuple[int, int] | None = None
    _last_known: bool = False
    _open: dict[int, int] | None = None

    def choose(self, prospect: Prospect) -> int | None:
        if prospect.owner_id is not None:
            return prospect.owner_id
        if self.tx.hooks.implementers("assign_owner"):
            self.flush()  # a plugin's choice may depend on what is stored
            return choose_owner(self.tx, prospect, self.settings)
        if self._people is None:
            self._people = candidates(self.tx.conn)
        if not self._people:
            return None
        owners = [o for o, _ in self._people]
        strategy = self.settings.assignment
        if strategy == "territory":
            fitting = closest(prospect, self._people)
            if fitting:
                return least_busy(fitting, self._counts(owners))
        elif strategy == "workload":
            return least_busy(owners, self._counts(owners))
        return next_in_turn(owners, self._last_owner(owners))

    def stored(self, prospect: Prospect) -> None:
        """``prospect`` is stored now (it has its id and owner)."""
        owner = prospect.owner_id
        if self._people is None or owner not in {o for o, _ in self._people}:
            return
        assert prospect.id is not None and owner is not None
        if self._last_known and (self._last is None or prospect.id > self._last[0]):
            self._last = (prospect.id, owner)
        if self._open is not None and prospect.status in OPEN_STATUSES:
            self._open[owner] = self._open.get(owner, 0) + 1

    def forget(self) -> None:
        """A merge may have given a party an owner or taken it in: count again when needed."""
        self._last_known, self._open = False, None

    def _counts(self, owners: list[int]) -> dict[int, int]:
        if self._open is None:
            self.flush()
            self._open = open_prospects(self.tx.conn, owners)
        return self._open

    def _last_owner(self, owners: list[int]) -> int | None:
        if not self._last_known:
            self.flush()
            self._last, self._last_known = last_in_turn(self.tx.conn, owners), True
        return None if self._last is None else self._last[1]
