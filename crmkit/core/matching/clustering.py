"""Pairs judged the same party, joined into parties: every pair within one party is a duplicate.

Matches are joined strongest first (Kruskal's order), so the score given to a
pair is that of the weakest link on the strongest chain of matches between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def cluster_pairs(
    matches: Iterable[tuple[int, int, float]], *, max_cluster_size: int
) -> Iterator[tuple[int, int, float]]:
    """Every pair of records joined by a chain of ``matches``, with the chain's weakest score.

    Two groups are not joined when together they would exceed ``max_cluster_size``
    records: long chains of weak likeness are how unrelated records end up as one.
    """
    group_of: dict[int, list[int]] = {}
    for a, b, score in sorted(matches, key=lambda m: m[2], reverse=True):
        group_a = group_of.get(a) or [a]
        group_b = group_of.get(b) or [b]
        if group_a is group_b or len(group_a) + len(group_b) > max_cluster_size:
            continue
        for x in group_a:
            for y in group_b:
                yield x, y, score
        if len(group_a) < len(group_b):
            group_a, group_b = group_b, group_a
        group_a.extend(group_b)
        for member in group_a:
            group_of[member] = group_a
