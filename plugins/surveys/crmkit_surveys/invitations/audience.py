"""Who a send is to: a saved segment or a static list of the campaigns plugin (when it is
loaded), or parties named by id; always only the parties the sender sees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select

from crmkit import (
    NotFound,
    Transaction,
    ValidationError,
    party_table,
    read_id,
    seen_parties,
    sees_every_party,
)

KINDS = ("segment_id", "list_id", "party_ids")


def read_audience(tx: Transaction, data: Any, field: str = "audience") -> dict[str, Any]:
    """The audience as stored: ``{"segment_id": 3}``, ``{"list_id": 4}`` or ``{"party_ids": [...]}``."""
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ValidationError(field, "expected one of segment_id, list_id or party_ids")
    [(kind, value)] = data.items()
    if kind not in KINDS:
        raise ValidationError(f"{field}.{kind}", "expected segment_id, list_id or party_ids")
    if kind != "party_ids":
        if "campaigns" not in tx.hooks.loaded:
            raise ValidationError(
                f"{field}.{kind}",
                "segments and lists need the campaigns plugin, which is not loaded",
            )
        return {kind: read_id(f"{field}.{kind}", value)}
    limit: int = tx.app.settings_of["surveys"].invitations.max_party_ids
    if not isinstance(value, list) or not value:
        raise ValidationError(f"{field}.party_ids", "expected a list of party ids")
    if len(value) > limit:
        raise ValidationError(f"{field}.party_ids", f"at most {limit} parties")
    ids = [read_id(f"{field}.party_ids[{i}]", v) for i, v in enumerate(value)]
    return {"party_ids": list(dict.fromkeys(ids))}


def audience_query(
    tx: Transaction, audience: Mapping[str, Any], field: str = "audience"
) -> Select[Any]:
    """The parties (one column, ``party_id``) of ``audience`` that ``tx.actor`` sees.

    An unknown segment or list, or a party the sender may not see (as if it did not exist),
    is a ValidationError naming it.
    """
    if "party_ids" in audience:
        ids: list[int] = audience["party_ids"]
        query = select(party_table.c.id.label("party_id")).where(party_table.c.id.in_(ids))
        if not sees_every_party(tx.hooks, tx.actor):
            query = query.where(seen_parties(tx.hooks, tx.actor))
        found = set(tx.conn.execute(query).scalars())
        for i, party_id in enumerate(ids):
            if party_id not in found:
                raise ValidationError(f"{field}.party_ids[{i}]", f"party {party_id} does not exist")
        return query
    # Imported here: the campaigns plugin is optional, and only asked when it is loaded.
    from crmkit_campaigns import target_query

    [(kind, value)] = audience.items()
    try:
        return target_query(tx, **{kind: value})
    except NotFound as exc:
        raise ValidationError(f"{field}.{kind}", str(exc)) from None
    except ValidationError as exc:
        raise ValidationError(f"{field}.{kind}", exc.reason) from None
