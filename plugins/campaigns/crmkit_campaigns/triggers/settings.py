"""``[plugins.campaigns.triggers]``: how the triggers part behaves."""

from __future__ import annotations

from attrs import field, frozen, validators


@frozen
class TriggerSettings:
    """``[plugins.campaigns.triggers]``."""

    catch_up_days: int = field(default=7, validator=[validators.ge(1), validators.le(366)])
    """How many days back the daily job still enters occurrences that fell due: a day the job
    did not run is caught up; older occurrences (a warranty that ended years ago) are not."""
    preview_sample: int = field(default=20, validator=[validators.ge(0), validators.le(200)])
    """How many due occurrences the preview lists beside their count."""
