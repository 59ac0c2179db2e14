"""Duplicates within one set of records: block, score the candidates in worker processes, cluster.

Memory grows with the number of records and keys, never with their square:
blocks larger than ``max_block_size`` are skipped, and each candidate pair is
scored once, in the block of the first key its two records share.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from multiprocessing.pool import Pool

from attrs import frozen

from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.clustering import cluster_pairs
from crmkit.core.matching.compare import score_pair
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG, MatchConfig
from crmkit.core.matching.record import MatchRecord

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


# What a scoring process works on, set once per process by _share.
_shared: tuple[Sequence[MatchRecord], Sequence[Sequence[str]], Blocks, float] | None = None


def _share(
    records: Sequence[MatchRecord], keys: Sequence[Sequence[str]], blocks: Blocks, floor: float
) -> None:
    global _shared
    _shared = (records, keys, blocks, floor)


def _share_nothing() -> None:
    global _shared
    _shared = None


def _score_blocks(numbers: range) -> list[tuple[int, int, float]]:
    """The pairs of blocks ``numbers`` that score at least the floor, each pair scored once."""
    assert _shared is not None
    records, keys, blocks, floor = _shared
    skipped = blocks.skipped
    found = []
    for number in numbers:
        members, block_key = blocks.members[number], blocks.keys[number]
        for position, a in enumerate(members):
            record_a, keys_a = records[a], keys[a]
            for b in members[position + 1 :]:
                keys_b = keys[b]
                # Scored only under the first key the two share, not once per shared key.
                for key in keys_a:
                    if key in keys_b and key not in skipped:
                        break
                if key != block_key:
                    continue
                score = score_pair(record_a, records[b])
                if score >= floor:
                    found.append((a, b, score) if a < b else (b, a, score))
    return found


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
    progress: Progress | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs of record indexes judged one party (score >= ``threshold``, default ``auto_merge``).

    ``keys`` are the blocking keys of each record. Pairs come with every pair in
    their party (see :func:`cluster_pairs`), in no particular order within a pair.
    """
    floor = config.auto_merge if threshold is None else threshold
    workers = default_workers(len(records)) if workers is None else workers
    matches: list[tuple[int, int, float]] = []
    with collector_paused():
        blocks = build_blocks(keys, config.max_block_size)
        total = len(blocks.members)
        tasks = [
            range(s, min(s + BLOCKS_PER_TASK, total)) for s in range(0, total, BLOCKS_PER_TASK)
        ]
        if progress:
            progress("comparing", 0, total)
        if workers == 0:
            _share(records, keys, blocks, floor)
            try:
                for task in tasks:
                    matches += _score_blocks(task)
                    if progress:
                        progress("comparing", task.stop, total)
            finally:
                _share_nothing()
        else:
            with Pool(
                workers, _share, (records, keys, blocks, floor), context=process_context()
            ) as pool:
                done = 0
                for task, found in zip(tasks, pool.imap(_score_blocks, tasks), strict=True):
                    matches += found
                    done += len(task)
                    if progress:
                        progress("comparing", done, total)
    yield from cluster_pairs(matches, max_cluster_size=config.max_cluster_size)


def find_duplicates(
    records: Mapping[str, MatchRecord],
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    *,
    threshold: float | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[str, str, float]]:
    """Pairs of ids (``id_a < id_b``) whose records are one party, with their score."""
    ids = list(records)
    values = [records[i] for i in ids]
    keys = [blocking_keys(r) for r in values]
    found = match_indexed(
        values, keys, config, threshold=threshold, workers=workers, progress=progress
    )
    return pairs_of_ids(ids, found)


def pairs_of_ids(
    ids: Sequence[str], found: Iterable[tuple[int, int, float]]
) -> Iterator[tuple[str, str, float]]:
    """Pairs of record indexes as pairs of their ids, the smaller id first."""
    for a, b, score in found:
        id_a, id_b = ids[a], ids[b]
        yield (id_a, id_b, score) if id_a < id_b else (id_b, id_a, score)
