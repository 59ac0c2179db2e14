"""The plugin's settings: the ``[plugins.sfa]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_sfa.pipeline.settings import PipelineSettings
from crmkit_sfa.planning.settings import PlanningSettings
from crmkit_sfa.quotes.settings import QuoteSettings


@frozen
class SfaSettings:
    """How sales force automation behaves in this CRM."""

    pipeline: PipelineSettings = field(factory=PipelineSettings)
    """The configured pipelines, their stages and playbooks: ``[plugins.sfa.pipeline]``."""

    planning: PlanningSettings = field(factory=PlanningSettings)
    """Forecast categories and run-rate alerts: ``[plugins.sfa.planning]``."""

    quotes: QuoteSettings = field(factory=QuoteSettings)
    """Defaults of new quotations: ``[plugins.sfa.quotes]``."""
