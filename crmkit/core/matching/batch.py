"""Duplicates within one set of records: block, compare the candidates in worker processes,
weigh the comparisons (by fixed weights, or by what the set itself says they are worth), cluster.

Memory grows with the number of records and keys, never with their square:
blocks larger than ``max_block_size`` are skipped, and each candidate pair is
compared once, however many keys its records share (see
:mod:`~crmkit.core.matching.candidates`). A pair is kept as three numbers (its
records and its pattern of comparison levels) until the weights are estimated
from the counts of the patterns.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import operator
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from multiprocessing.pool import Pool
from typing import TYPE_CHECKING, TypeAlias

from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.bounds import reachable
from crmkit.core.matching.candidates import KeyTable, candidate_pairs
from crmkit.core.matching.clustering import cluster_pairs
from crmkit.core.matching.compare import COMPARISONS, Pattern, compare
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG, MatchConfig
from crmkit.core.matching.estimate import estimate_weights
from crmkit.core.matching.record import MatchRecord
from crmkit.core.matching.weights import DEFAULT_WEIGHTS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Pairs: TypeAlias = npt.NDArray[np.int64]
    """One side of each candidate pair: a record index per pair."""

Progress = Callable[[str, int, int], None]
"""Called with a stage ("reading", "comparing"), the work done and the work in all."""

PAIRS_PER_TASK = 50_000
WORKERS_FROM_RECORDS = 20_000
"""Below this many records, starting worker processes costs more than it saves."""


# Each pattern travels as one number: its levels as the digits of a mixed-radix number.
_RADICES = tuple(len(c.levels) for c in COMPARISONS)
_PLACES = tuple(math.prod(_RADICES[:i]) for i in range(len(_RADICES)))


def _code(pattern: Pattern) -> int:
    return sum(map(operator.mul, pattern, _PLACES))


def _pattern(code: int) -> Pattern:
    return tuple(code // place % radix for place, radix in zip(_PLACES, _RADICES, strict=True))


# What a comparing process works on, set once per process by _share.
_shared: tuple[Sequence[MatchRecord], Pairs, Pairs] | None = None


def _share(records: Sequence[MatchRecord], first: Pairs, second: Pairs) -> None:
    global _shared
    _shared = (records, first, second)


def _share_nothing() -> None:
    global _shared
    _shared = None


def _compare_pairs(numbers: range) -> array[int]:
    """The pattern codes of candidate pairs ``numbers``."""
    assert _shared is not None
    records, first, second = _shared
    task = slice(numbers.start, numbers.stop)
    pairs = zip(first[task].tolist(), second[task].tolist(), strict=True)
    return array("i", (_code(compare(records[a], records[b])) for a, b in pairs))


def _compare_all(
    records: Sequence[MatchRecord],
    first: Pairs,
    second: Pairs,
    workers: int,
    progress: Progress | None,
) -> array[int]:
    total = len(first)
    tasks = [range(s, min(s + PAIRS_PER_TASK, total)) for s in range(0, total, PAIRS_PER_TASK)]
    codes = array("i")
    if progress:
        progress("comparing", 0, total)
    if workers == 0:
        _share(records, first, second)
        try:
            for task in tasks:
                codes.extend(_compare_pairs(task))
                if progress:
                    progress("comparing", task.stop, total)
        finally:
            _share_nothing()
        return codes
    with Pool(workers, _share, (records, first, second), context=process_context()) as pool:
        for task, found in zip(tasks, pool.imap(_compare_pairs, tasks), strict=True):
            codes.extend(found)
            if progress:
                progress("comparing", task.stop, total)
    return codes


def pattern_counts(codes: Iterable[int]) -> dict[Pattern, int]:
    """How many candidate pairs gave each pattern, from the pairs' pattern codes."""
    return {_pattern(code): count for code, count in Counter(codes).items()}


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
    keys: KeyTable,
    config: MatchConfig = DEFAULT_MATCH_CONFIG,
    *,
    threshold: float | None = None,
    workers: int | None = None,
    estimate: bool = False,
    progress: Progress | None = None,
) -> Iterator[tuple[int, int, float]]:
    """Pairs of record indexes judged one party (score >= ``threshold``, default ``auto_merge``).

    ``keys`` are the blocking keys of the records. Each level of each comparison
    weighs what the fixed :data:`DEFAULT_WEIGHTS` say, or with ``estimate`` what
    the candidate pairs of these records say it is worth (see
    :mod:`~crmkit.core.matching.estimate`). Pairs come with every pair in their
    party (see :func:`cluster_pairs`), in no particular order within a pair.
    """
    floor = config.auto_merge if threshold is None else threshold
    workers = default_workers(len(records)) if workers is None else workers
    with collector_paused():
        first, second = candidate_pairs(keys, config.max_block_size)
        if not estimate:
            # Estimation counts every candidate pair; fixed weights need only those that can match.
            possible = reachable(records, first, second, DEFAULT_WEIGHTS, floor)
            first, second = first[possible], second[possible]
        codes = _compare_all(records, first, second, workers, progress)
        counts = pattern_counts(codes)
        weights = estimate_weights(counts) if estimate else DEFAULT_WEIGHTS
        scores = {_code(pattern): weights.score(pattern) for pattern in counts}
        kept = {code: score for code, score in scores.items() if score >= floor}
        matches = [
            (a, b, kept[code])
            for a, b, code in zip(first.tolist(), second.tolist(), codes, strict=True)
            if code in kept
        ]
        del first, second, codes
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
    keys = KeyTable()
    for record in values:
        keys.add(blocking_keys(record))
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
