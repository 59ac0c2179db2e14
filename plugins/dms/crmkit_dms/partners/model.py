"""The partners part's contract for the other parts: who the partners are and which may take a lead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from attrs import evolve, frozen
from sqlalchemy import Connection, func, select

from crmkit_dms.partners.tables import partner, partner_brand, partner_region, partner_user


@frozen
class Partner:
    """A partner organisation (dealer, distributor, reseller or agent) as the other parts see it."""

    id: int
    party_id: int
    code: str
    name: str
    kind: str
    brands: tuple[str, ...]
    capacity_per_day: int | None
    opening_hours: dict[str, list[list[str]]]
    time_zone: str
    active: bool
    accepts_fallback: bool
    version: int
    # Length of the region prefix that made `candidates` choose the partner (0 elsewhere).
    matched_prefix_length: int = 0


def normal_brand(brand: str) -> str:
    """A brand as stored and compared: case-folded, inner spaces kept."""
    return " ".join(brand.split()).casefold()


def normal_postcode(postcode: str) -> str:
    """A postcode (or prefix) as stored and compared: upper case, no spaces or dashes."""
    return "".join(ch for ch in postcode.upper() if ch not in " -")


def _brands_of(conn: Connection, partner_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    rows = conn.execute(
        select(partner_brand.c.partner_id, partner_brand.c.brand)
        .where(partner_brand.c.partner_id.in_(list(partner_ids)))
        .order_by(partner_brand.c.brand)
    )
    for row in rows:
        found.setdefault(row.partner_id, []).append(row.brand)
    return {key: tuple(value) for key, value in found.items()}


def partner_of_row(row: Any, brands: tuple[str, ...], matched: int = 0) -> Partner:
    return Partner(
        id=row.id,
        party_id=row.party_id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        brands=brands,
        capacity_per_day=row.capacity_per_day,
        opening_hours=row.opening_hours,
        time_zone=row.time_zone,
        active=row.active,
        accepts_fallback=row.accepts_fallback,
        version=row.version,
        matched_prefix_length=matched,
    )


@frozen
class Network:
    """Every active partner with its regions and brands: what :func:`candidates` chooses from.

    ``covering`` maps (country, postcode prefix) to the partners with that region, by code.
    """

    stamp: tuple[Any, ...]
    partners: dict[int, Partner]
    covering: dict[tuple[str, str], tuple[int, ...]]

    def candidates(self, *, country: str, postcode: str, brand: str | None) -> list[Partner]:
        """See :func:`candidates`."""
        code = normal_postcode(postcode)
        wanted = None if brand is None else normal_brand(brand)
        for length in range(len(code), -1, -1):
            found = [
                self.partners[partner_id]
                for partner_id in self.covering.get((country.upper(), code[:length]), ())
                if wanted is None
                or not self.partners[partner_id].brands
                or wanted in self.partners[partner_id].brands
            ]
            if found:
                return [evolve(found_one, matched_prefix_length=length) for found_one in found]
        return []


NETWORK_MEMO = "dms.partners.network"
# Every change of a partner, its brands or its regions raises its version and updated_at;
# adding or deleting one changes the count. This one row says whether a kept network is current.
_STAMP = select(
    func.count(), func.coalesce(func.sum(partner.c.version), 0), func.max(partner.c.updated_at)
)


def _load_network(conn: Connection, stamp: tuple[Any, ...]) -> Network:
    active = select(partner.c.id).where(partner.c.active.is_(True))
    brands: dict[int, list[str]] = {}
    for sold in conn.execute(
        select(partner_brand.c.partner_id, partner_brand.c.brand)
        .where(partner_brand.c.partner_id.in_(active))
        .order_by(partner_brand.c.brand)
    ):
        brands.setdefault(sold.partner_id, []).append(sold.brand)
    partners = {
        row.id: partner_of_row(row, tuple(brands.get(row.id, ())))
        for row in conn.execute(select(partner).where(partner.c.active.is_(True)))
    }
    covering: dict[tuple[str, str], list[int]] = {}
    for region in conn.execute(
        select(
            partner_region.c.partner_id, partner_region.c.country, partner_region.c.postcode_prefix
        ).where(partner_region.c.partner_id.in_(active))
    ):
        covering.setdefault((region.country, region.postcode_prefix), []).append(region.partner_id)
    return Network(
        stamp=stamp,
        partners=partners,
        covering={
            key: tuple(sorted(set(ids), key=lambda found: partners[found].code))
            for key, ids in covering.items()
        },
    )


def network(conn: Connection, memo: dict[str, Any] | None = None) -> Network:
    """The partner network as ``conn`` sees it now. With ``memo`` (the plugin host's, one per
    process) it is read once and kept while no partner changes: one small query per call
    then says it is current, instead of reading regions and brands for every lead."""
    stamp = tuple(conn.execute(_STAMP).one())
    kept: Network | None = None if memo is None else memo.get(NETWORK_MEMO)
    if kept is not None and kept.stamp == stamp:
        return kept
    fresh = _load_network(conn, stamp)
    if memo is not None:
        memo[NETWORK_MEMO] = fresh
    return fresh


def candidates(
    conn: Connection,
    *,
    country: str,
    postcode: str,
    brand: str | None,
    memo: dict[str, Any] | None = None,
) -> list[Partner]:
    """Active partners that may take a lead for ``brand`` at ``country``/``postcode``.

    A partner covers the lead when one of its regions has the lead's country and a
    postcode prefix the postcode starts with (an empty prefix covers the whole
    country). Only the partners whose matching prefix is the longest among all
    matching partners are returned (longest prefix wins); a partner with no brands
    listed sells every brand; ``brand=None`` matches every partner. Ordered by code.
    ``memo``: keep the partner network there between calls (see :func:`network`).
    """
    return network(conn, memo).candidates(country=country, postcode=postcode, brand=brand)


def partner_of_user(conn: Connection, user_id: int) -> int | None:
    """The partner id the user belongs to, or ``None`` for staff (not a partner user)."""
    found: int | None = conn.execute(
        select(partner_user.c.partner_id).where(partner_user.c.user_id == user_id)
    ).scalar()
    return found


def get_partner(conn: Connection, partner_id: int) -> Partner | None:
    """One partner by id (active or not), or ``None``."""
    row = conn.execute(select(partner).where(partner.c.id == partner_id)).first()
    if row is None:
        return None
    return partner_of_row(row, _brands_of(conn, [row.id]).get(row.id, ()))
