"""The plugin's settings: the ``[plugins.analytics]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_analytics.churn.settings import ChurnSettings
from crmkit_analytics.dashboard.settings import DashboardSettings
from crmkit_analytics.forecasts.settings import ForecastsSettings
from crmkit_analytics.profiles.settings import ProfilesSettings
from crmkit_analytics.rollups.settings import RollupsSettings
from crmkit_analytics.suggestions.settings import SuggestionsSettings
from crmkit_analytics.transactions.settings import TransactionsSettings


@frozen
class AnalyticsSettings:
    """How the analytics plugin behaves in this CRM."""

    rollups: RollupsSettings = field(factory=RollupsSettings)
    transactions: TransactionsSettings = field(factory=TransactionsSettings)
    profiles: ProfilesSettings = field(factory=ProfilesSettings)
    churn: ChurnSettings = field(factory=ChurnSettings)
    suggestions: SuggestionsSettings = field(factory=SuggestionsSettings)
    forecasts: ForecastsSettings = field(factory=ForecastsSettings)
    dashboard: DashboardSettings = field(factory=DashboardSettings)
