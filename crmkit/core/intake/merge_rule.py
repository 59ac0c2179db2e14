"""When intake may merge a prospect into the party it matched: the rule every intake path obeys.

Matching looks at every party, whoever takes the prospect in, so that no
duplicate slips through. What follows from a match may not reach further than
the caller may:

* The caller must be allowed to change the party (``core:party.write`` on it,
  which includes seeing it). Otherwise a sales rep posting the name and email of
  another rep's customer would be answered with that customer, and would change
  it: add a phone number, or give an address-less customer an address in the
  rep's own territory and so take it over.
* The source must vouch for the data, or the data must add nothing to the party.
  A person typing a prospect in vouches for it; an anonymous form or a public
  webhook does not, and letting it add contact points would let anyone plant a
  phone number that caller lookup then resolves to the customer.

A match the rule refuses ends as ``review``: the prospect is stored on its own,
linked to the party by a review entry, and handed to the party's owner, whom a
notification tells. The caller learns nothing of the party.
"""

from __future__ import annotations

from crmkit.core.db import Transaction
from crmkit.core.entities import Party, Prospect
from crmkit.core.intake.merge_log import describe
from crmkit.core.permissions import is_allowed


def adds_nothing(existing: Party, incoming: Prospect) -> bool:
    """Whether merging ``incoming`` would leave ``existing`` as it is (no field, contact point or custom field)."""
    gained = describe(existing, incoming, {})
    return not (gained["filled"] or gained["contact_points"] or gained["custom"])


def may_merge(tx: Transaction, existing: Party, incoming: Prospect, *, vouched: bool) -> bool:
    """Whether intake by ``tx.actor`` may merge ``incoming`` into ``existing`` (see the module's rule)."""
    if not is_allowed(tx.hooks, tx.actor, "core:party.write", existing, conn=tx.conn):
        return False
    return vouched or adds_nothing(existing, incoming)
