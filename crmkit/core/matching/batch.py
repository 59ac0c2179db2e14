"""Duplicates within one set of records: block, compare the candidates in worker processes,
weigh the comparisons (by fixed weights, or by what the set itself says they are worth), cluster.

Memory grows with the number of records and keys, never with their square:
blocks larger than ``max_block_size`` are skipped, and each candidate pair is
compared once, in the block of the first key its two records share. A pair is
kept as three numbers (its records and its pattern of comparison levels) until
the weights are estimated from the counts of the patterns.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import operator
import os
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from multiprocessing.pool import Pool

from attrs import Factory, frozen

from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.clustering import cluster_pairs
from crmkit.core.matching.compare import COMPARISONS, Pattern, compare
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG, MatchConfig
from crmkit.core.matching.estimate import estimate_weights
from crmkit.core.matching.record import MatchRecord
from crmkit.core.matching.weights import DEFAULT_WEIGHTS

Progress = Callable[[str, int, int], None]
"""Called with a stage ("reading", "comparing"), the work done and the work in all."""

BLOCKS_PER_TASK = 5_000
WORKERS_FROM_RECORDS = 20_000
"""Below this many records, starting worker processes costs more than it saves."""


@frozen
class Blocks:
    """Groups of records (by index) that share a key, each with its key."""

    members: list[list[int]]
    keys: list[str]
    skipped: frozenset[str]
    """Keys shared by more than the largest block may hold."""


def build_blocks(keys: Sequence[Sequence[str]], max_block_size: int) -> Blocks:
    """The blocks of more than one and at most ``max_block_size`` records."""
    by_key: defaultdict[str, list[int]] = defaultdict(list)
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            by_key[key].append(index)
    kept = [(k, m) for k, m in by_key.items() if 2 <= len(m) <= max_block_size]
    skipped = frozenset(k for k, m in by_key.items() if len(m) > max_block_size)
    return Blocks([m for _, m in kept], [k for k, _ in kept], skipped)


# Each pattern travels as one number: its levels as the digits of a mixed-radix number.
_RADICES = tuple(len(c.levels) for c in COMPARISONS)
_PLACES = tuple(math.prod(_RADICES[:i]) for i in range(len(_RADICES)))


def _code(pattern: Pattern) -> int:
    return sum(map(operator.mul, pattern, _PLACES))


def _pattern(code: int) -> Pattern:
    return tuple(code // place % radix for place, radix in zip(_PLACES, _RADICES, strict=True))


@frozen
class Compared:
    """Candidate pairs (``first[i]``, ``second[i]``) and the code of each one's pattern."""

    first: array[int] = Factory(lambda: array("i"))
    second: array[int] = Factory(lambda: array("i"))
    codes: array[int] = Factory(lambda: array("i"))

    def extend(self, other: Compared) -> None:
        self.first.extend(other.first)
        self.second.extend(other.second)
        self.codes.extend(other.codes)


# What a comparing process works on, set once per process by _share.
_shared: tuple[Sequence[MatchRecord], Sequence[Sequence[str]], Blocks] | None = None


def _share(records: Sequence[MatchRecord], keys: Sequence[Sequence[str]], blocks: Blocks) -> None:
    global _shared
    _shared = (records, keys, blocks)


def _share_nothing() -> None:
    global _shared
    _shared = None


def _compare_blocks(numbers: range) -> Compared:
    """The pairs of blocks ``numbers`` with their patterns, each pair compared once."""
    assert _shared is not None
    records, keys, blocks = _shared
    skipped = blocks.skipped
    found = Compared()
    first, second, codes = found.first, found.second, found.codes
    for number in numbers:
        members, block_key = blocks.members[number], blocks.keys[number]
        for position, a in enumerate(members):
            record_a, keys_a = records[a], keys[a]
            for b in members[position + 1 :]:
                keys_b = keys[b]
                # Compared only under the first key the two share, not once per shared key.
                for key in keys_a:
                    if key in keys_b and key not in skipped:
                        break
                if key != block_key:
                    continue
                first.append(a)
                second.append(b)
                codes.append(_code(compare(record_a, records[b])))
    return found


def _compare_all(
    records: Sequence[MatchRecord],
    keys: Sequence[Sequence[str]],
    blocks: Blocks,
    workers: int,
    progress: Progress | None,
) -> Compared:
    total = len(blocks.members)
    tasks = [range(s, min(s + BLOCKS_PER_TASK, total)) for s in range(0, total, BLOCKS_PER_TASK)]
    compared = Compared()
    if progress:
        progress("comparing", 0, total)
    if workers == 0:
        _share(records, keys, blocks)
        try:
            for task in tasks:
                compared.extend(_compare_blocks(task))
                if progress:
                    progress("comparing", task.stop, total)
        finally:
            _share_nothing()
        return compared
    with Pool(workers, _share, (records, keys, blocks), context=process_context()) as pool:
        done = 0
        for task, found in zip(tasks, pool.imap(_compare_blocks, tasks), strict=True):
            compared.extend(found)
            done += len(task)
            if progress:
                progress("comparing", done, total)
    return compared


def pattern_counts(compared: Compared) -> dict[Pattern, int]:
    """How many candidate pairs gave each pattern."""
    return {_pattern(code): count for code, count in Counter(compared.codes).items()}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for work that builds millions of lasting objects.

    Records, keys and blocks hold no reference cycles, so a collection finds
    nothing, yet each one walks every object alive; at a million records that
    is most of the time spent building them. Worker processes forked inside
    inherit the pause, which also keeps them from touching (and so copying)
    every page they share with this process.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_workers(count: int) -> int:
    """Worker processes for ``count`` records: one per usable CPU, none for small sets."""
    if count < WORKERS_FROM_RECORDS:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cpus or 1


def process_context() -> multiprocessing.context.BaseContext:
    """Fork where there is one: workers then share the parent's records instead of copying them."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def match_indexed(
    records: Sequence[MatchRecord],
    keys: Sequence[Sequence[str]],
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    *,
    threshold: float | None = None,
    workers: int | None = None,
    estimate: bool = False,
    progress: Progress | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs of record indexes judged one party (score >= ``threshold``, default ``auto_merge``).

    ``keys`` are the blocking keys of each record. Each level of each comparison
    weighs what the fixed :data:`DEFAULT_WEIGHTS` say, or with ``estimate`` what
    the candidate pairs of these records say it is worth (see
    :mod:`~crmkit.core.matching.estimate`). Pairs come with every pair in their
    party (see :func:`cluster_pairs`), in no particular order within a pair.
    """
    floor = config.auto_merge if threshold is None else threshold
    workers = default_workers(len(records)) if workers is None else workers
    with collector_paused():
        blocks = build_blocks(keys, config.max_block_size)
        compared = _compare_all(records, keys, blocks, workers, progress)
        counts = pattern_counts(compared)
        weights = estimate_weights(counts) if estimate else DEFAULT_WEIGHTS
        scores = {_code(pattern): weights.score(pattern) for pattern in counts}
        kept = {code: score for code, score in scores.items() if score >= floor}
        matches = [
            (a, b, kept[code])
            for a, b, code in zip(compared.first, compared.second, compared.codes, strict=True)
            if code in kept
        ]
        del compared
    yield from cluster_pairs(matches, max_cluster_size=config.max_cluster_size)


def find_duplicates(
    records: Mapping[str, MatchRecord],
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    *,
    threshold: float | None = None,
    workers: int | None = None,
    estimate: bool = False,
    progress: Progress | None = None,
) -> Iterator[tuple[str, str, float]]:
    """Pairs of ids (``id_a < id_b``) whose records are one party, with their score.

    ``estimate`` as for :func:`match_indexed`.
    """
    ids = list(records)
    values = [records[i] for i in ids]
    keys = [blocking_keys(r) for r in values]
    found = match_indexed(
        values,
        keys,
        config,
        threshold=threshold,
        workers=workers,
        estimate=estimate,
        progress=progress,
    )
    return pairs_of_ids(ids, found)


def pairs_of_ids(
    ids: Sequence[str], found: Iterable[tuple[int, int, float]]
) -> Iterator[tuple[str, str, float]]:
    """Pairs of record indexes as pairs of their ids, the smaller id first."""
    for a, b, score in found:
        id_a, id_b = ids[a], ids[b]
        yield (id_a, id_b, score) if id_a < id_b else (id_b, id_a, score)
