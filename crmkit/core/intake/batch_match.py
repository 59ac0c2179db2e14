"""Matching a batch of prospects with one look-up per kind of key, as one-at-a-time intake would.

Intake matches a prospect against every party stored before it, the earlier
rows of its own batch included: the parties sharing a blocking key
(``core_match_key``) or an email address or phone number with it, each key
counting only while at most ``max_block_size`` parties share it (see
:mod:`crmkit.defaults.identity`), scored by the matching engine.

Here the keys of the whole batch are looked up at once, one statement for
blocking keys and one for contact points, each reading at most one party more
than the limit per key. What the batch then stores or merges is kept in memory
on top of that (who gained or lost a key since), so that each row's candidates
are those the database would give it at its turn. Only when a key shared by too
many parties loses one (a merged party re-indexed) is that key looked up again.

The candidates' match records outlive the batch (:class:`KnownRecords`): an
import's later batches meet the same parties again, and a record whose party is
still at the version it was read at needs no reading.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from attrs import define, field
from sqlalchemy import Connection, bindparam, select, text

from crmkit.core.db import custom_plans
from crmkit.core.entities import Party
from crmkit.core.intake.match_keys import keys_of
from crmkit.core.matching.compare import score_pair
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG
from crmkit.core.matching.record import MatchRecord, record_from_party
from crmkit.core.parties import load_parties
from crmkit.core.tables import contact_point, match_key, party

if TYPE_CHECKING:
    from crmkit.hooks.host import PluginHost

Entry = tuple[str, str]
"""A blocking key ``("key", key)`` or a contact point ``("email" | "phone", key)``."""
Matches = list[tuple[int, float]]
"""``(party id, score)``, best first; ties by id."""


def plugins_implement(hooks: PluginHost, *names: str) -> bool:
    """Whether a plugin implements one of the hooks ``names`` (the kernel's defaults, registered
    as ``core.<module>``, do not count)."""
    return any(not p.startswith("core.") for name in names for p in hooks.implementers(name))


def contact_entries(party: Party) -> set[Entry]:
    return {("email", e.normalised) for e in party.emails} | {
        ("phone", p.e164) for p in party.phones
    }


def entries_of(party: Party, record: MatchRecord) -> set[Entry]:
    """What intake indexes a party by: its blocking keys (``record``: the party's) and its
    emails and phones."""
    return {("key", k) for k in keys_of(record)} | contact_entries(party)


def ranked(scored: Iterable[tuple[int, float]]) -> Matches:
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))


def _relation(
    conn: Connection, columns: Sequence[str], rows: Sequence[tuple[str, ...]]
) -> tuple[str, dict[str, object]]:
    """SQL for a derived table of ``rows`` with ``columns`` (all text), and its parameters."""
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"CAST(:v{i} AS text[])" for i in range(len(columns)))
        params: dict[str, object] = {f"v{i}": [r[i] for r in rows] for i in range(len(columns))}
        return f"unnest({arrays}) AS j({', '.join(columns)})", params
    picked = ", ".join(f"json_extract(value, '$[{i}]') AS {c}" for i, c in enumerate(columns))
    return f"(SELECT {picked} FROM json_each(:v)) AS j", {"v": json.dumps(rows)}


def look_up(conn: Connection, entries: Iterable[Entry], limit: int) -> dict[Entry, set[int] | None]:
    """The parties sharing each entry, or None where more than ``limit`` do (an entry no party
    has is left out); two statements."""
    keys = sorted({(value,) for kind, value in entries if kind == "key"})
    contacts = sorted({(kind, value) for kind, value in entries if kind != "key"})
    found: dict[Entry, set[int] | None] = {}
    with custom_plans(conn):
        if keys:
            for (key,), members in _shared(conn, match_key.name, ("key",), keys, limit).items():
                found["key", key] = members
        if contacts:
            for (kind, key), members in _shared(
                conn, contact_point.name, ("kind", "key"), contacts, limit
            ).items():
                found[kind, key] = members
    return found


def _shared(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[str, ...]],
    limit: int,
) -> dict[tuple[str, ...], set[int] | None]:
    relation, params = _relation(conn, columns, rows)
    same = " AND ".join(f"x.{c} = j.{c}" for c in columns)
    on = " AND ".join(f"m.{c} = b.{c}" for c in columns)
    if conn.dialect.name == "postgresql":
        # A look-up of each key in the index, whatever the planner thinks: its statistics lag
        # behind a table an import is filling, and it sorted all of it for every batch instead.
        join = (
            f"LEFT JOIN LATERAL (SELECT m.party_id FROM {table} m WHERE {on} AND NOT b.big "
            "OFFSET 0) m ON true"
        )
    else:
        join = f"LEFT JOIN {table} m ON {on} AND NOT b.big"
    # Whether a key has a party past the limit reads at most limit + 1 index entries; only
    # the parties of the other keys are read. A key no party has comes back as no row.
    statement = text(
        f"WITH b AS MATERIALIZED (SELECT {', '.join(f'j.{c}' for c in columns)}, "
        f"(SELECT x.party_id FROM {table} x WHERE {same} LIMIT 1 OFFSET :limit) IS NOT NULL AS big "
        f"FROM {relation}) "
        f"SELECT {', '.join(f'b.{c}' for c in columns)}, b.big, m.party_id FROM b {join} "
        "WHERE b.big OR m.party_id IS NOT NULL"
    )
    found: dict[tuple[str, ...], set[int] | None] = {}
    width = len(columns)
    for row in conn.execute(statement, {**params, "limit": limit}):
        entry = tuple(row[:width])
        if row[width]:
            found[entry] = None
        else:
            members = found.setdefault(entry, set())
            if members is not None and row[width + 1] is not None:
                members.add(row[width + 1])
    return found


_VERSIONS = select(party.c.id, party.c.version).where(
    party.c.id.in_(bindparam("ids", expanding=True))
)


@define
class KnownRecords:
    """Match records of stored parties, each with the party's version when it was read.

    A record is used again while its party is at that version (every change of a
    field a record holds moves the version on), so that batch after batch of an
    import reads only the versions of the candidates it met before. At most
    ``limit`` records are kept (about 800 bytes each); past that the longest kept go.
    """

    limit: int = 500_000
    _records: dict[int, tuple[int, MatchRecord]] = field(factory=dict)

    def read(self, conn: Connection, ids: Iterable[int]) -> dict[int, MatchRecord]:
        """The records of the parties ``ids`` as they are stored now (parties gone are left out)."""
        wanted = sorted(set(ids))
        found: dict[int, MatchRecord] = {}
        kept = [i for i in wanted if i in self._records]
        with custom_plans(conn):
            for start in range(0, len(kept), _CHUNK):
                chunk = kept[start : start + _CHUNK]
                for party_id, version in conn.execute(_VERSIONS, {"ids": chunk}):
                    read_at, record = self._records[party_id]
                    if version == read_at:
                        found[party_id] = record
            missing = [i for i in wanted if i not in found]
            for start in range(0, len(missing), _CHUNK):
                for party_id, stored in load_parties(conn, missing[start : start + _CHUNK]).items():
                    assert stored.version is not None
                    found[party_id] = self.keep(party_id, stored.version, record_from_party(stored))
        return found

    def keep(self, party_id: int, version: int, record: MatchRecord) -> MatchRecord:
        """``record`` is that of ``party_id`` at ``version``."""
        self._records.pop(party_id, None)  # kept as the newest
        self._records[party_id] = (version, record)
        if len(self._records) > self.limit:
            for oldest in list(itertools.islice(self._records, len(self._records) // 4)):
                del self._records[oldest]
        return record


_CHUNK = 10_000
"""Ids per statement: below the bound parameters SQLite and PostgreSQL's driver take."""


@define
class BatchMatcher:
    """Matches the prospects of a batch in turn, against the database and the batch's earlier rows.

    Tell it of every party the batch stores (:meth:`stored`) and merges into
    (:meth:`merged`), in order; ``flush`` writes what the batch holds back, for
    the rare look-up that must see it.
    """

    conn: Connection
    rows: list[tuple[MatchRecord, set[Entry]]]
    own: list[int]
    """Each row's own id, if it is a stored party (0 if not): no party matches itself."""
    flush: Callable[[], None]
    database: list[Matches] | None = None
    """Each row's matches among stored parties from the ``match_parties`` hook (a plugin
    matches); None: the kernel's own look-up, kept up to date with the batch."""
    known: KnownRecords = field(factory=KnownRecords)
    limit: int = DEFAULT_MATCH_CONFIG.max_block_size
    _shared: dict[Entry, set[int] | None] = field(factory=dict)
    """Who shared each entry when it was last looked up (None: more than ``limit``)."""
    _gained: dict[Entry, set[int]] = field(factory=dict)
    _lost: dict[Entry, set[int]] = field(factory=dict)
    _parties: dict[int, MatchRecord] = field(factory=dict)

    @classmethod
    def prepare(
        cls,
        conn: Connection,
        prospects: Sequence[Party],
        flush: Callable[[], None],
        database: list[Matches] | None = None,
        known: KnownRecords | None = None,
    ) -> BatchMatcher:
        """A matcher for ``prospects``; ``known``: records kept from an earlier batch."""
        records = [record_from_party(p) for p in prospects]
        rows = [(r, entries_of(p, r)) for p, r in zip(prospects, records, strict=True)]
        own = [p.id or 0 for p in prospects]
        matcher = cls(conn, rows, own, flush, database, KnownRecords() if known is None else known)
        if database is None:
            matcher._shared = look_up(
                conn, {e for _, entries in rows for e in entries}, matcher.limit
            )
            matcher._load(
                {i for members in matcher._shared.values() if members is not None for i in members}
            )
        return matcher

    def matches(self, row: int) -> Matches:
        """The matches of ``row`` (by position in the batch) with what is stored before it."""
        record, entries = self.rows[row]
        if self.database is not None:
            known = dict(self.database[row])
            ours = self._candidates(entries, lambda e: self._gained.get(e, set()))
            self._load(ours)
            scored = {i: score_pair(record, self._parties[i]) for i in ours - known.keys()}
            return ranked({**known, **scored}.items())
        candidates = self._candidates(entries, self._members) - {self.own[row]}
        self._load(candidates)
        return ranked((i, score_pair(record, self._parties[i])) for i in candidates)

    def stored(self, row: int, party_id: int) -> list[str]:
        """``row`` was stored as ``party_id``; its blocking keys (to index it by)."""
        record, entries = self.rows[row]
        self._parties[party_id] = self.known.keep(party_id, 1, record)
        for entry in entries:
            self._gained.setdefault(entry, set()).add(party_id)
        return sorted(value for kind, value in entries if kind == "key")

    def indexed(self, party: Party) -> set[Entry]:
        """What ``party`` (as stored) is indexed by now; ask before it is merged into."""
        assert party.id is not None
        keys = self.conn.execute(select(match_key.c.key).where(match_key.c.party_id == party.id))
        return {("key", k) for k in keys.scalars()} | contact_entries(party)

    def merged(self, survivor: Party, before: set[Entry], *, rewritten: bool) -> None:
        """``survivor`` was merged into; ``before``: :meth:`indexed` beforehand; ``rewritten``:
        whether the merge changed it (and so re-indexed it)."""
        assert survivor.id is not None
        party_id = survivor.id
        assert survivor.version is not None
        record = self.known.keep(party_id, survivor.version, record_from_party(survivor))
        self._parties[party_id] = record
        if not rewritten:
            return
        after = entries_of(survivor, record)
        for entry in before - after:
            gained = self._gained.setdefault(entry, set())
            if party_id in gained:
                gained.discard(party_id)
            else:
                self._lost.setdefault(entry, set()).add(party_id)
        for entry in after - before:
            lost = self._lost.setdefault(entry, set())
            if party_id in lost:
                lost.discard(party_id)
            else:
                self._gained.setdefault(entry, set()).add(party_id)

    def _candidates(
        self, entries: Iterable[Entry], members_of: Callable[[Entry], set[int] | None]
    ) -> set[int]:
        found: set[int] = set()
        for entry in entries:
            members = members_of(entry)
            if members is not None and len(members) <= self.limit:
                found |= members
        return found

    def _members(self, entry: Entry) -> set[int] | None:
        shared = self._shared.get(entry, set())
        lost = self._lost.get(entry)
        if shared is None:
            if not lost:
                return None  # shared by too many before, and by no fewer now
            # It may have fallen to the limit: ask the database, with the batch written.
            self.flush()
            self._shared[entry] = look_up(self.conn, [entry], self.limit).get(entry, set())
            self._gained.pop(entry, None)
            self._lost.pop(entry, None)
            return self._members(entry)
        return (shared - (lost or set())) | self._gained.get(entry, set())

    def _load(self, ids: Iterable[int]) -> None:
        missing = [i for i in ids if i not in self._parties]
        if missing:
            self._parties.update(self.known.read(self.conn, missing))
