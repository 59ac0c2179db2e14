"""The plugin's settings: the ``[plugins.service]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_service.assets.settings import AssetSettings
from crmkit_service.cases.settings import CaseSettings
from crmkit_service.dispatch.settings import DispatchSettings
from crmkit_service.helpdesk.settings import HelpdeskSettings
from crmkit_service.inbound.settings import EmailToCaseSettings
from crmkit_service.knowledge.settings import KnowledgeSettings
from crmkit_service.portal.settings import PortalSettings
from crmkit_service.sla.settings import SlaSettings


@frozen
class ServiceSettings:
    """How customer service behaves in this CRM."""

    knowledge: KnowledgeSettings = field(factory=KnowledgeSettings)
    cases: CaseSettings = field(factory=CaseSettings)
    """Defaults of new cases and survey feedback: ``[plugins.service.cases]``."""
    email_to_case: EmailToCaseSettings = field(factory=EmailToCaseSettings)
    """Mail that opens cases and its auto-answers: ``[plugins.service.email_to_case]``."""
    sla: SlaSettings = field(factory=SlaSettings)
    assets: AssetSettings = field(factory=AssetSettings)
    """Warranty defaults of new assets: ``[plugins.service.assets]``."""
    dispatch: DispatchSettings = field(factory=DispatchSettings)
    """Visits to customers' sites: ``[plugins.service.dispatch]``."""
    helpdesk: HelpdeskSettings = field(factory=HelpdeskSettings)
    """The agent console and the telephony lookup: ``[plugins.service.helpdesk]``."""
    portal: PortalSettings = field(factory=PortalSettings)
    """Customers' sign-in links, sessions and attachments: ``[plugins.service.portal]``."""
