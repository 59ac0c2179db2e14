"""Identity matching: are two records the same person or organisation?

* :func:`record_from_fields` / :func:`record_from_party` normalise a record for matching;
* :func:`blocking_keys` says which other records are worth comparing it with;
* :func:`score_pair` says how sure it is that two records are one party (0 to 1);
* :class:`MatchConfig` holds the thresholds: merge automatically, ask a person, or not;
* :func:`find_duplicates` finds every duplicate pair in a set of records.

The intake pipeline and ``crmkit match`` use these with the same default configuration.
"""

from __future__ import annotations

from crmkit.core.matching.batch import find_duplicates
from crmkit.core.matching.blocking import blocking_keys
from crmkit.core.matching.compare import score_pair
from crmkit.core.matching.config import DEFAULT_MATCH_CONFIG, MatchConfig
from crmkit.core.matching.record import (
    MATCH_FIELDS,
    MatchRecord,
    record_from_fields,
    record_from_party,
)

__all__ = [
    "DEFAULT_MATCH_CONFIG",
    "MATCH_FIELDS",
    "MatchConfig",
    "MatchRecord",
    "blocking_keys",
    "find_duplicates",
    "record_from_fields",
    "record_from_party",
    "score_pair",
]
