"""crmkit-campaigns: marketing plans, segments, multi-channel campaigns with ROI, after-sales campaigns, events.

Another plugin that lists campaigns among its dependencies (surveys sending to a segment,
say) reads the parties of a saved segment or static list with :func:`target_query`; it
adds segment criteria and after-sales triggers through :mod:`crmkit_campaigns.hookspecs`.
"""

from crmkit_campaigns.segments.targets import target_query

__all__ = ["target_query"]
