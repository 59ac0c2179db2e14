"""Settings of the churn part: ``[plugins.analytics.churn]``."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class ChurnSettings:
    """How the churn part behaves."""

    window_days: int = field(
        default=90, validator=validators.and_(validators.ge(7), validators.le(730))
    )
    """A customer has defected when they buy nothing in this many days; also the period whose
    spend is set against the one before it."""
    usual_gap_days: int = field(
        default=90, validator=validators.and_(validators.ge(1), validators.le(3650))
    )
    """The rhythm assumed for a customer with a single order (no gap of their own yet)."""
    signal_days: int = field(
        default=180, validator=validators.and_(validators.ge(1), validators.le(3650))
    )
    """Complaints and detractor answers count for this many days."""
    active_days: int = field(
        default=365, validator=validators.and_(validators.ge(1), validators.le(7300))
    )
    """A customer silent for longer is lost already (the RFM band ``lost`` or ``hibernating``
    is for win-back): neither fitted, evaluated nor scored, so the work list holds those that
    can still be kept."""
    quiet_contact_days: int = field(
        default=60, validator=validators.and_(validators.ge(1), validators.le(3650))
    )
    """"No contact" is named as a reason after this many days without an interaction."""
    min_training: int = field(
        default=50, validator=validators.and_(validators.ge(10), validators.le(10_000_000))
    )
    """Fewer customers with history than this, or a window in which nobody (or everybody)
    defected, and the model keeps its documented starting weights instead of fitting."""
