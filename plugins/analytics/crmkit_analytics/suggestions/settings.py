"""Settings of the suggestions part: ``[plugins.analytics.suggestions]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class SuggestionsSettings:
    """How the suggestions part behaves."""

    min_support: float = field(default=0.001, validator=[validators.ge(0.0), validators.le(1.0)])
    """A rule is kept when at least this share of all customers bought both products."""
    min_customers: int = field(default=3, validator=validators.ge(1))
    """... and at least this many customers bought both (a floor for small CRMs)."""
    min_confidence: float = field(default=0.05, validator=[validators.ge(0.0), validators.le(1.0)])
    """... and at least this share of the buyers of the first product bought the second."""
    min_lift: float = field(default=1.2, validator=validators.ge(0.0))
    """... and the second product is at least this many times likelier among buyers of the first."""
    max_rules_per_product: int = field(default=20, validator=validators.ge(1))
    """At most this many rules are kept per first product (the best by lift times confidence)."""
    shown: int = field(default=5, validator=[validators.ge(1), validators.le(50)])
    """Suggestions shown per party on its page."""
