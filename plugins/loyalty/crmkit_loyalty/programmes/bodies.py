"""The JSON request bodies of the programmes part's routes, as the OpenAPI document describes
them. The services validate what arrives (naming the wrong field); these classes tell
clients what to send."""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen

DATE = {"json": {"format": "date", "description": "YYYY-MM-DD"}}
CURRENCY = {"json": {"pattern": "^[A-Z]{3}$", "maxLength": 3, "description": "ISO 4217: EUR"}}
DOWNGRADE = {"json": {"enum": ["one_step", "to_qualified"]}}
STATUS = {"json": {"enum": ["active", "closed"]}}
KIND = {"json": {"enum": ["spend", "product_group", "behaviour", "referral"]}}
PER_UNIT = {
    "json": {"maxLength": 20, "description": "Points per unit of currency, decimal text (4 places)"}
}
MULTIPLIER = {"json": {"maxLength": 20, "description": "1 to 10, decimal text (3 places)"}}


@frozen
class ProgrammeInput:
    """A new programme; it starts active with its entry tier "Member" (rank 0)."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 200}})
    currency: str = field(metadata=CURRENCY)
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    points_expire_months: int | None = field(
        default=None, metadata={"json": {"minimum": 1, "maximum": 120}}
    )
    qualification_months: int = field(default=12, metadata={"json": {"minimum": 1, "maximum": 60}})
    downgrade: str = field(default="one_step", metadata=DOWNGRADE)
    auto_enrol: bool = False


@frozen
class ProgrammeChanges:
    """Changed fields of a programme; ``version`` (the one last read) is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    status: str | None = field(default=None, metadata=STATUS)
    currency: str | None = field(default=None, metadata=CURRENCY)
    points_expire_months: int | None = field(
        default=None, metadata={"json": {"minimum": 1, "maximum": 120}}
    )
    qualification_months: int | None = field(
        default=None, metadata={"json": {"minimum": 1, "maximum": 60}}
    )
    downgrade: str | None = field(default=None, metadata=DOWNGRADE)
    auto_enrol: bool | None = None


@frozen
class LoyaltyRuleInput:
    """A new rule. spend: ``points_per_unit``; product_group: ``product_group`` and
    ``points_per_unit``; behaviour: ``behaviour`` and ``points`` (and a yearly cap);
    referral: ``points`` (and a yearly cap)."""

    __json_input__: ClassVar[bool] = True

    kind: str = field(metadata=KIND)
    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 200}})
    points_per_unit: str | None = field(default=None, metadata=PER_UNIT)
    product_group: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    behaviour: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    points: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    max_per_party_per_year: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    valid_from: str | None = field(default=None, metadata=DATE)
    valid_until: str | None = field(default=None, metadata=DATE)
    active: bool = True


# Other parts say RuleInput; the class's own name is its OpenAPI schema's, which must differ from
# other plugins' (the surveys plugin's RuleInput) or the document merges the two.
RuleInput = LoyaltyRuleInput


@frozen
class RuleChanges:
    """Changed fields of a rule (its kind stays); ``version`` is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    points_per_unit: str | None = field(default=None, metadata=PER_UNIT)
    product_group: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    behaviour: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    points: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    max_per_party_per_year: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    valid_from: str | None = field(default=None, metadata=DATE)
    valid_until: str | None = field(default=None, metadata=DATE)
    active: bool | None = None


@frozen
class TierInput:
    """A new tier above the entry tier: a rank of 1 or more, a threshold above the tiers below."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 100}})
    rank: int = field(metadata={"json": {"minimum": 1, "maximum": 100}})
    threshold: int = field(metadata={"json": {"minimum": 1}})
    multiplier: str | int = field(default="1", metadata=MULTIPLIER)
    benefits: str | None = field(default=None, metadata={"json": {"maxLength": 2000}})


@frozen
class TierChanges:
    """Changed fields of a tier; ``version`` is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 100}})
    rank: int | None = field(default=None, metadata={"json": {"minimum": 0, "maximum": 100}})
    threshold: int | None = field(default=None, metadata={"json": {"minimum": 0}})
    multiplier: str | None = field(default=None, metadata=MULTIPLIER)
    benefits: str | None = field(default=None, metadata={"json": {"maxLength": 2000}})


@frozen
class RewardInput:
    """A new reward: for every tier (``min_tier_rank`` 0), unlimited (``stock`` null), active."""

    __json_input__: ClassVar[bool] = True

    name: str = field(metadata={"json": {"minLength": 1, "maxLength": 200}})
    points: int = field(metadata={"json": {"minimum": 1}})
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    min_tier_rank: int = field(default=0, metadata={"json": {"minimum": 0, "maximum": 100}})
    stock: int | None = field(default=None, metadata={"json": {"minimum": 0}})
    active: bool = True


@frozen
class RewardChanges:
    """Changed fields of a reward; ``version`` is required."""

    __json_input__: ClassVar[bool] = True

    version: int
    name: str | None = field(default=None, metadata={"json": {"maxLength": 200}})
    points: int | None = field(default=None, metadata={"json": {"minimum": 1}})
    description: str | None = field(default=None, metadata={"json": {"maxLength": 5000}})
    min_tier_rank: int | None = field(
        default=None, metadata={"json": {"minimum": 0, "maximum": 100}}
    )
    stock: int | None = field(default=None, metadata={"json": {"minimum": 0}})
    active: bool | None = None


@frozen
class TierChangeInput:
    """Put a member in another tier of its programme; ``version``: the member's, last read."""

    __json_input__: ClassVar[bool] = True

    tier_id: int
    version: int
