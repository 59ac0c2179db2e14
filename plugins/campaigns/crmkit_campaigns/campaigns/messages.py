"""A member's message: the campaign's variant for the member's channel, with its variables."""

from __future__ import annotations

from typing import Any

from crmkit_channels import EmailMessage, SmsMessage

from crmkit_campaigns.campaigns.dry_render import message_variables
from crmkit_campaigns.campaigns.model import Campaign, Variant
from crmkit_campaigns.results.links import response_url


def message_for(
    app: Any, found: Campaign, chosen: Variant, *, member_id: int, party_id: int
) -> EmailMessage | SmsMessage:
    """The email or SMS of ``chosen`` to the member, as the channels plugin takes it.

    Its variables are the campaign (``campaign.id``, ``campaign.name``), ``member_id`` and
    ``response_url`` (the member's response page), beside the ``party`` the channels plugin
    gives every template.
    """
    variables = {
        **message_variables(found.id, found.name, member_id),
        "response_url": response_url(app, member_id),
    }
    if chosen.channel == "sms":
        return SmsMessage(
            party_id,
            found.purpose,
            template=chosen.template,
            body=None if chosen.template else chosen.text,
            variables=variables,
        )
    if chosen.template:
        return EmailMessage(party_id, found.purpose, template=chosen.template, variables=variables)
    return EmailMessage(
        party_id,
        found.purpose,
        subject=chosen.subject,
        text=chosen.text,
        html=chosen.html,
        variables=variables,
    )
