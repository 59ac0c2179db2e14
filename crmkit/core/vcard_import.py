"""vCard files as import rows: each card one row of :data:`~crmkit.core.vcard_parties.CARD_COLUMNS`.

The import then treats the rows as it treats a CSV file's (validation, intake
for prospects, rejects, idempotency by the ``uid`` column). A card that cannot
be read becomes a row refused with the reason, numbered as the card is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from attrs import define, field

from crmkit.core.import_mapping import Row
from crmkit.core.vcard import Card, CardError, read_cards
from crmkit.core.vcard_parties import CARD_COLUMNS, card_fields

VCARD_SUFFIXES = (".vcf", ".vcard")


@define
class CardRows:
    """Reads cards as rows, and remembers the properties that no field took."""

    ignored: set[str] = field(factory=set)

    def batches(self, lines: Iterable[str], size: int) -> Iterator[list[Row]]:
        batch: list[Row] = []
        for card in read_cards(lines):
            batch.append(self._row(card))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _row(self, card: Card | CardError) -> Row:
        if isinstance(card, CardError):
            return Row(card.number, [], f"card beginning on line {card.line}: {card.reason}")
        found = card_fields(card)
        self.ignored.update(found.ignored)
        values = [found.values.get(c, "") for c in CARD_COLUMNS]
        return Row(card.number, values, more_addresses=found.more_addresses)
