"""Candidate pairs of a whole set of records: those sharing a blocking key, found in bulk.

Each key is kept as a 64-bit hash, eight bytes instead of a string in a list
per record: a million records have about eight million keys. Grouping them is
one sort of the hashes; the pairs of every group are drawn at once with array
arithmetic, and each distinct pair is kept once however many keys its records
share. That two of a million records' five million distinct keys take one hash
has a chance of about one in a million; their records would then share a block.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from hashlib import blake2b
from typing import TYPE_CHECKING

from attrs import Factory, frozen

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@frozen
class KeyTable:
    """The blocking keys of records 0, 1, 2 ... in order: how many each has, and their hashes.

    A hash is the first eight bytes of the key's BLAKE2 digest, which every
    process computes alike (``hash`` is salted per process).
    """

    counts: array[int] = Factory(lambda: array("I"))
    hashes: bytearray = Factory(bytearray)

    def add(self, keys: Iterable[str]) -> None:
        """The keys of the next record, each once (as :func:`blocking_keys` gives them)."""
        count = 0
        for key in keys:
            self.hashes.extend(blake2b(key.encode(), digest_size=8).digest())
            count += 1
        self.counts.append(count)

    def extend(self, other: KeyTable) -> None:
        """The keys of the records of ``other``, numbered on after those here."""
        self.counts.extend(other.counts)
        self.hashes.extend(other.hashes)


def candidate_pairs(
    table: KeyTable, max_block_size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every distinct pair of records (``first < second``) sharing a key of at most
    ``max_block_size`` records, in order of ``first``, then ``second``.

    A key shared by more records tells nothing (an office's phone, a placeholder)
    and would make the cost grow with the square of the data: its block is left out.
    """
    import numpy as np  # loaded only where whole sets are matched, not by every import of crmkit

    hashes = np.frombuffer(table.hashes, dtype=np.int64)
    count = len(table.counts)
    owners = np.repeat(np.arange(count, dtype=np.int64), np.frombuffer(table.counts, np.uintc))
    order = np.argsort(hashes, kind="stable")  # faster than the default sort on these
    hashes, owners = hashes[order], owners[order]
    del order
    starts = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    sizes = np.diff(np.append(starts, len(hashes)))
    kept = (sizes >= 2) & (sizes <= max_block_size)
    starts, sizes = starts[kept], sizes[kept]
    # Every member of a kept block, by its position in the sorted keys, and its block's end.
    ends = np.repeat(starts + sizes, sizes)
    positions = np.arange(len(ends), dtype=np.int64) + np.repeat(
        starts - np.cumsum(sizes) + sizes, sizes
    )
    codes = []
    # Member i of a block pairs with member i + step, for each step a block is long enough for.
    for step in range(1, max_block_size):
        inside = positions + step < ends
        positions, ends = positions[inside], ends[inside]
        if not len(positions):
            break
        first, second = owners[positions], owners[positions + step]
        distinct = first != second  # two keys of one record taking one hash
        first, second = first[distinct], second[distinct]
        codes.append(np.minimum(first, second) * count + np.maximum(first, second))
    pairs = np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)
    # Sorted and compared with the neighbour: several times faster than np.unique's hashing.
    pairs.sort()
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    first = pairs // max(count, 1)
    return first, pairs - first * count
