"""The plugin's settings: the ``[plugins.campaigns]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_campaigns.campaigns.settings import CampaignSettings
from crmkit_campaigns.events.settings import EventSettings
from crmkit_campaigns.plans.settings import PlanSettings
from crmkit_campaigns.results.settings import ResultsSettings
from crmkit_campaigns.segments.settings import SegmentSettings
from crmkit_campaigns.triggers.settings import TriggerSettings


@frozen
class CampaignsSettings:
    """How marketing behaves in this CRM."""

    segments: SegmentSettings = field(factory=SegmentSettings)
    campaigns: CampaignSettings = field(factory=CampaignSettings)
    results: ResultsSettings = field(factory=ResultsSettings)
    plans: PlanSettings = field(factory=PlanSettings)
    triggers: TriggerSettings = field(factory=TriggerSettings)
    events: EventSettings = field(factory=EventSettings)
