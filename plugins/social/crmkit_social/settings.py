"""The plugin's settings: the ``[plugins.social]`` table of crmkit.toml."""

from __future__ import annotations

from attrs import field, frozen

from crmkit_social.accounts.settings import AccountsSettings
from crmkit_social.conversations.settings import ConversationsSettings
from crmkit_social.leads.settings import LeadsSettings
from crmkit_social.webhooks.settings import WebhooksSettings


@frozen
class SocialSettings:
    """How the social plugin behaves in this CRM."""

    accounts: AccountsSettings = field(factory=AccountsSettings)
    webhooks: WebhooksSettings = field(factory=WebhooksSettings)
    leads: LeadsSettings = field(factory=LeadsSettings)
    conversations: ConversationsSettings = field(factory=ConversationsSettings)
